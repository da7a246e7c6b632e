//! Conditions: which earlier results a branch tests (`if let Some(..)`, `.is_none()`,
//! `count > 0`, `order.status == Status::Paid`, match arms), and how.

use super::lower::{Lowerer, Val};
use crate::ir::{Block, EffectId, Guard, Joined, Test};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Lit, Pat};

/// Methods whose boolean says whether a result exists (`true` when it does).
const PRESENT_WHEN: &[(&str, bool)] = &[
    ("is_some", true),
    ("is_none", false),
    ("is_ok", true),
    ("is_err", false),
    ("is_empty", false),
    ("is_some_and", true),
    ("is_none_or", false),
];

fn value(effect: EffectId, val: &Val) -> Test {
    Test::value(effect, val.fields_of(effect))
}

impl Lowerer<'_> {
    pub fn guard(&mut self, cond: &Expr, out: &mut Block) -> Guard {
        let mut tests = Vec::new();
        let joined = self.cond(cond, false, out, &mut tests);
        Guard {
            span: self.ctx.span(cond.span()),
            tests,
            joined: joined.unwrap_or_default(),
        }
    }

    /// The tests a pattern makes of the value it matches: `Some(_)`/`Ok(_)` exist,
    /// `None`/`Err(_)` do not, other patterns compare a value.
    pub fn pattern_guard(&mut self, pat: &Pat, val: &Val, span: proc_macro2::Span) -> Guard {
        let tests = self.pattern_tests(pat, val);
        Guard::new(self.ctx.span(span), tests)
    }

    fn pattern_tests(&self, pat: &Pat, val: &Val) -> Vec<Test> {
        let targets: Vec<EffectId> = match val.effect {
            Some(e) if self.tested(e) => vec![e],
            _ => val
                .deps
                .iter()
                .copied()
                .filter(|&e| self.tested(e))
                .collect(),
        };
        let variant = super::syntax::pat_variant(pat);
        let wildcard = matches!(pat, Pat::Wild(_))
            || matches!(pat, Pat::Ident(i) if i.ident != "None" && i.subpat.is_none());
        if wildcard {
            return Vec::new();
        }
        targets
            .into_iter()
            .map(|e| match variant.as_deref() {
                Some("Some" | "Ok") if val.effect == Some(e) => Test::presence(e, true),
                Some("None" | "Err") if val.effect == Some(e) => Test::presence(e, false),
                _ => value(e, val),
            })
            .collect()
    }

    fn tested(&self, e: EffectId) -> bool {
        self.b.effects[e].kind.is_testable()
    }

    /// Describes what a condition tests; returns how it joins them, `None` for one test.
    fn cond(
        &mut self,
        e: &Expr,
        negated: bool,
        out: &mut Block,
        tests: &mut Vec<Test>,
    ) -> Option<Joined> {
        match e {
            Expr::Paren(p) => self.cond(&p.expr, negated, out, tests),
            Expr::Group(g) => self.cond(&g.expr, negated, out, tests),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
                self.cond(&u.expr, !negated, out, tests)
            }
            Expr::Binary(b) if matches!(b.op, BinOp::And(_) | BinOp::Or(_)) => {
                let left = self.cond(&b.left, negated, out, tests);
                let right = self.cond(&b.right, negated, out, tests);
                // `!(a && b)` is `!a || !b`.
                let op = if matches!(b.op, BinOp::And(_)) != negated {
                    Joined::All
                } else {
                    Joined::Any
                };
                Some(Joined::of(op, left, right))
            }
            Expr::Binary(b) => {
                self.comparison(b, negated, out, tests);
                None
            }
            Expr::Let(l) => {
                let v = self.expr(&l.expr, out);
                let t = self.pattern_tests(&l.pat, &v);
                // `if let Some(x) = ..` binds in the then branch only; the names shadow.
                self.record_type(&l.pat, &l.expr);
                self.bind(&l.pat, v);
                tests.extend(t);
                None
            }
            Expr::MethodCall(m) => {
                let method = m.method.to_string();
                if let Some(&(_, present)) = PRESENT_WHEN.iter().find(|(n, _)| *n == method) {
                    let v = self.expr(&m.receiver, out);
                    for a in &m.args {
                        self.expr(a, out);
                    }
                    self.truthiness(&v, present != negated, tests);
                    return None;
                }
                let v = self.expr(e, out);
                self.truthiness(&v, !negated, tests);
                None
            }
            _ => {
                let v = self.expr(e, out);
                self.truthiness(&v, !negated, tests);
                None
            }
        }
    }

    /// A value used as a condition: a result itself (a boolean read, `exists()`) tests
    /// presence; anything computed from results tests their values.
    fn truthiness(&self, v: &Val, present_when_true: bool, tests: &mut Vec<Test>) {
        match v.effect {
            Some(e) if self.tested(e) => {
                let projected = v.fields.iter().any(|(f, _)| *f == e);
                tests.push(if projected {
                    value(e, v)
                } else {
                    Test::presence(e, present_when_true)
                });
            }
            _ => tests.extend(
                v.deps
                    .iter()
                    .copied()
                    .filter(|&e| self.tested(e))
                    .map(|e| value(e, v)),
            ),
        }
    }

    /// `count > 0`, `rows.len() == 0`, `rows_affected() == 1`: counts test presence;
    /// comparisons of fields (`order.status == Status::Paid`) test values.
    fn comparison(
        &mut self,
        b: &syn::ExprBinary,
        negated: bool,
        out: &mut Block,
        tests: &mut Vec<Test>,
    ) {
        let left = self.expr(&b.left, out);
        let right = self.expr(&b.right, out);
        let (operand, literal, flipped) = match (int_literal(&b.right), int_literal(&b.left)) {
            (Some(n), _) => (left, Some(n), false),
            (None, Some(n)) => (right, Some(n), true),
            _ => {
                let mut v = left;
                v.merge(right);
                self.truthiness(&v.derived(), true, tests);
                return;
            }
        };
        let counted = operand
            .effect
            .filter(|&e| self.tested(e))
            .filter(|&e| !operand.fields.iter().any(|(f, _)| *f == e));
        let Some(e) = counted else {
            self.truthiness(&operand.derived(), true, tests);
            return;
        };
        let op = match (&b.op, flipped) {
            (BinOp::Gt(_), false) | (BinOp::Lt(_), true) => ">",
            (BinOp::Lt(_), false) | (BinOp::Gt(_), true) => "<",
            (BinOp::Ge(_), false) | (BinOp::Le(_), true) => ">=",
            (BinOp::Le(_), false) | (BinOp::Ge(_), true) => "<=",
            (BinOp::Eq(_), _) => "==",
            (BinOp::Ne(_), _) => "!=",
            _ => "",
        };
        let present = match (literal, op) {
            (Some(0), "==" | "<=") | (Some(1), "<") => Some(false),
            (Some(0), "!=" | ">") | (Some(1), ">=" | "==") => Some(true),
            _ => None,
        };
        tests.push(match present {
            Some(p) => Test::presence(e, p != negated),
            None => value(e, &operand),
        });
    }
}

fn int_literal(e: &Expr) -> Option<u64> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        Expr::Paren(p) => int_literal(&p.expr),
        _ => None,
    }
}
