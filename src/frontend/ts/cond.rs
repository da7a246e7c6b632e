//! Conditions: which earlier results a branch tests, and how (presence or a value).

use super::lower::{Lowerer, Val};
use super::syntax::{self, unquote};
use crate::ir::{Block, EffectId, Guard, Joined, Test};
use crate::models::{Language, Models};
use tree_sitter::Node;

/// Properties that describe a result's shape or identity rather than the stored state:
/// testing a found record's `id` tests that it was found.
const STRUCTURAL: &[&str] = &[
    "rows", "data", "value", "Item", "Items", "result", "results", "records", "body", "0", "id",
    "_id",
];
/// Whether a property names a stored field rather than the result's shape or size.
pub(super) fn is_field(models: &Models, prop: &str) -> bool {
    !STRUCTURAL.contains(&prop) && !models.is_count_property(Language::Typescript, prop)
}

/// How an operand relates to an earlier result.
enum Operand {
    /// The result itself, or its count.
    Whole(EffectId),
    /// A field inside the result.
    Field(EffectId, Vec<String>),
    /// A value computed from results, and the fields of theirs it used.
    Derived(Vec<EffectId>, Val),
}

impl<'a, 't> Lowerer<'a, 't> {
    /// Lowers a condition (emitting any calls in it) and describes what it tests.
    pub fn guard(&mut self, cond: Node<'t>, out: &mut Block) -> Guard {
        let mut tests = Vec::new();
        let joined = self.cond(cond, false, out, &mut tests);
        tests.dedup();
        Guard {
            span: self.span(cond),
            tests,
            joined: joined.unwrap_or_default(),
        }
    }

    /// Describes what a condition tests; returns how it joins them, `None` for one test.
    fn cond(
        &mut self,
        node: Node<'t>,
        negated: bool,
        out: &mut Block,
        tests: &mut Vec<Test>,
    ) -> Option<Joined> {
        match node.kind() {
            "parenthesized_expression" | "non_null_expression" | "as_expression" => {
                let inner = node.named_child(0)?;
                self.cond(inner, negated, out, tests)
            }
            "unary_expression" => {
                let op = node.child_by_field_name("operator").map(|o| self.text(o));
                let arg = node.child_by_field_name("argument")?;
                self.cond(arg, negated ^ (op == Some("!")), out, tests)
            }
            "binary_expression" => match self.binary_parts(node) {
                Some((op @ ("&&" | "||" | "??"), left, right)) => {
                    let l = self.cond(left, negated, out, tests);
                    let r = self.cond(right, negated, out, tests);
                    // `!(a && b)` is `!a || !b`; `a ?? b` tests `b` only when `a` is absent.
                    Some(match op {
                        "??" => Joined::Mixed,
                        "&&" if !negated => Joined::of(Joined::All, l, r),
                        "||" if negated => Joined::of(Joined::All, l, r),
                        _ => Joined::of(Joined::Any, l, r),
                    })
                }
                _ => {
                    self.binary_cond(node, negated, out, tests);
                    None
                }
            },
            _ => {
                let val = self.expr(node, out);
                let callee = (syntax::unwrap(node).kind() == "call_expression")
                    .then(|| self.callee_name(syntax::unwrap(node)))
                    .flatten();
                let models = self.ctx.models;
                if callee.is_some_and(|n| models.is_emptiness_test(Language::Typescript, &n)) {
                    // `isEmpty(rows)`: true when absent.
                    let arg = syntax::unwrap(node)
                        .child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0));
                    if let Some(arg) = arg {
                        self.truthiness(arg, !negated, &val, tests);
                    }
                    return None;
                }
                self.truthiness(node, negated, &val, tests);
                None
            }
        }
    }

    fn callee_name(&self, call: Node) -> Option<String> {
        let f = call.child_by_field_name("function")?;
        let t = self.text(f);
        Some(t.rsplit('.').next().unwrap_or(t).to_string())
    }

    /// A value used as a condition on its own: `if (existing)`, `if (order.paid)`.
    fn truthiness(&mut self, node: Node<'t>, negated: bool, val: &Val, tests: &mut Vec<Test>) {
        // `if (err)` after `fs.stat(p, (err) => ..)`: the error is set when the path is absent.
        let negated = negated ^ self.absent_when_set.contains(self.text(node));
        match self.operand(node, val) {
            Some(Operand::Whole(e)) => tests.push(Test::presence(e, !negated)),
            Some(Operand::Field(e, fields)) => tests.push(Test::value(e, fields)),
            Some(Operand::Derived(es, val)) => tests.extend(derived_tests(es, &val)),
            None => {}
        }
    }

    fn binary_cond(
        &mut self,
        node: Node<'t>,
        negated: bool,
        out: &mut Block,
        tests: &mut Vec<Test>,
    ) {
        let Some((op, left, right)) = self.binary_parts(node) else {
            return;
        };
        let lv = self.expr(left, out);
        let rv = self.expr(right, out);
        let (operand, other, other_val, flipped) = if is_literal(right) {
            (left, right, lv, false)
        } else if is_literal(left) {
            (right, left, rv, true)
        } else {
            for (n, v) in [(left, lv), (right, rv)] {
                match self.operand(n, &v) {
                    Some(Operand::Whole(e)) => tests.push(Test::value(e, vec![])),
                    Some(Operand::Field(e, f)) => tests.push(Test::value(e, f)),
                    Some(Operand::Derived(es, val)) => tests.extend(derived_tests(es, &val)),
                    None => {}
                }
            }
            return;
        };
        let literal = unquote(self.text(other));
        match self.operand(operand, &other_val) {
            Some(Operand::Whole(e)) => {
                let present = match (literal, op) {
                    ("null" | "undefined", "===" | "==") => Some(false),
                    ("null" | "undefined", "!==" | "!=") => Some(true),
                    ("0", "===" | "==" | "<=") | ("1", "<") => Some(false),
                    ("0", "!==" | "!=" | ">") | ("1", ">=" | "===" | "==") => Some(true),
                    ("0", "<" | ">=") | ("1", ">" | "<=" | "!==" | "!=") => None,
                    _ => None,
                };
                let present = present.map(|p| {
                    if flipped && matches!(op, "<" | ">" | "<=" | ">=") {
                        !p
                    } else {
                        p
                    }
                });
                match present {
                    Some(p) => tests.push(Test::presence(e, p ^ negated)),
                    None => tests.push(Test::value(e, vec![])),
                }
            }
            Some(Operand::Field(e, f)) => tests.push(Test::value(e, f)),
            Some(Operand::Derived(es, val)) => tests.extend(derived_tests(es, &val)),
            None => {}
        }
    }

    /// Relates an operand to an earlier result through its member path.
    fn operand(&self, node: Node<'t>, val: &Val) -> Option<Operand> {
        let mut props = Vec::new();
        let mut n = syntax::unwrap(node);
        loop {
            match n.kind() {
                "member_expression" => {
                    if let Some(p) = n.child_by_field_name("property") {
                        props.push(self.text(p).to_string());
                    }
                    n = syntax::unwrap(n.child_by_field_name("object")?);
                }
                "subscript_expression" => {
                    props.push("0".into());
                    n = syntax::unwrap(n.child_by_field_name("object")?);
                }
                _ => break,
            }
        }
        let root = if n.kind() == "identifier" {
            self.vars.get(self.text(n)).cloned().unwrap_or_default()
        } else {
            val.clone()
        };
        let tested = |e: EffectId| self.b.effects[e].kind.is_testable();
        match root.effect {
            Some(e) if tested(e) => {
                props.reverse();
                let mut fields: Vec<String> = props
                    .into_iter()
                    .filter(|p| is_field(self.ctx.models, p))
                    .collect();
                // A method called on a field (`invite.status.toUpperCase()`) tests the field.
                if fields.is_empty() {
                    fields = root.fields_of(e);
                }
                Some(if fields.is_empty() {
                    Operand::Whole(e)
                } else {
                    Operand::Field(e, fields)
                })
            }
            _ => {
                let deps: Vec<EffectId> =
                    root.deps.iter().copied().filter(|&e| tested(e)).collect();
                (!deps.is_empty()).then_some(Operand::Derived(deps, root))
            }
        }
    }
}

fn is_literal(node: Node) -> bool {
    matches!(
        node.kind(),
        "null" | "undefined" | "number" | "string" | "true" | "false"
    )
}

/// A value computed from results tests the fields of theirs it used (`const canSkip =
/// existing.isSecret === wanted`), or their whole state when it used none.
fn derived_tests(effects: Vec<EffectId>, val: &Val) -> impl Iterator<Item = Test> + '_ {
    effects
        .into_iter()
        .map(move |e| Test::value(e, val.fields_of(e)))
}
