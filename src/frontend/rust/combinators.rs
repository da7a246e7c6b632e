//! `Option` and `Result` combinators on a result: the closure of `.or_else(|_| ..)` or
//! `.unwrap_or_else(|| ..)` runs only when the result is absent (or an error), the closure of
//! `.map(|row| ..)` or `.and_then(..)` only when it is present. Each is a branch on the result's
//! presence, not a closure that may run any number of times.

use super::lower::{Lowerer, Val};
use crate::ir::{Block, EffectId, EffectKind, Guard, Node as IrNode, Test};
use syn::spanned::Spanned;
use syn::Expr;

/// Combinators whose closure runs when the result is absent or an error.
const ABSENT_SIDE: &[&str] = &[
    "or_else",
    "unwrap_or_else",
    "ok_or_else",
    "get_or_insert_with",
];

/// Combinators whose closure runs when the result is present.
const PRESENT_SIDE: &[&str] = &["map", "and_then", "inspect", "filter", "is_some_and"];

/// Calls that make an iterator or a stream of a result: a `.map(..)` after them runs per item.
const ITERATE: &[&str] = &[
    "iter",
    "into_iter",
    "iter_mut",
    "fetch",
    "fetch_many",
    "stream",
    "into_stream",
    "keys",
    "values",
    "drain",
];

/// Whether the links between a result and a combinator, as (name, is a call), leave the
/// combinator given that result (`.fetch_one(pool).await.map_err(..).or_else(..)`), not a
/// field of it (`order.items.map(..)`) or its items (`rows.iter().map(..)`).
pub fn keeps_result<'n>(mut between: impl Iterator<Item = (&'n str, bool)>) -> bool {
    between.all(|(name, call)| call && !ITERATE.contains(&name))
}

impl Lowerer<'_> {
    /// A closure given to `combinator` on the result of `subject`: a branch on its presence,
    /// lowered into `out`; none when it is no such branch (and nothing was lowered).
    pub fn branch_closure(
        &mut self,
        closure: &Expr,
        combinator: &str,
        subject: EffectId,
        out: &mut Block,
    ) -> Option<Val> {
        let present = if PRESENT_SIDE.contains(&combinator) {
            true
        } else if ABSENT_SIDE.contains(&combinator) {
            false
        } else {
            return None;
        };
        // A read's result, or a call's that may be one; a write's result tested is a claim.
        let tested = matches!(
            self.b.effects[subject].kind,
            EffectKind::Read { .. } | EffectKind::Call(_)
        );
        let (true, Expr::Closure(c)) = (tested, closure) else {
            return None;
        };
        let e = subject;
        for p in &c.inputs {
            if present {
                self.bind(p, Val::result(e));
            } else {
                self.param(p, None);
            }
        }
        let mut body = Block::new();
        let v = self.expr(&c.body, &mut body);
        // A closure that only computes a value (`.map(|t| t.id)`) tests nothing.
        if body.is_empty() {
            return Some(v.derived());
        }
        let (then, otherwise) = if present {
            (body, Block::new())
        } else {
            (Block::new(), body)
        };
        out.push(IrNode::Guard {
            guard: Guard::new(self.ctx.span(closure.span()), vec![Test::presence(e, true)]),
            then,
            otherwise,
        });
        Some(v.derived())
    }
}
