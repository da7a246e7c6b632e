//! The link policy: how rules read a function whose calls of the project's own helpers have
//! their effects linked in, and the one answer to "are these effects inside one helper call".

use crate::ir::Effect;

/// How a rule reads a function: as written, or with its helpers' effects linked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// Only sites written in the function itself: a helper's own site is reported in the
    /// helper, once, not again in each caller. [`super::run`] drops the rest.
    AsWritten,
    /// Sites inside helpers too: a race whose read and act sit in different helpers, or
    /// half in the caller, is seen only across the calls.
    Linked,
}

/// Where two effects of one linked function come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calls {
    /// Both are written in the function itself.
    Here,
    /// Both come from inside one call of a helper, whose own findings cover what happens
    /// between them.
    OneCall,
    /// From two calls of one helper (`notify(a)`, then `notify(b)`): two operations, and a
    /// variable of the helper names something else in each.
    TwoCallsOfOneHelper,
    /// One here and one in a helper, or in calls of different helpers.
    Apart,
}

impl Calls {
    pub fn of(a: &Effect, b: &Effect) -> Calls {
        match (a.via.first(), b.via.first()) {
            (None, None) => Calls::Here,
            (Some(fa), Some(fb)) if fa.function == fb.function => {
                if a.span == b.span {
                    Calls::OneCall
                } else {
                    Calls::TwoCallsOfOneHelper
                }
            }
            _ => Calls::Apart,
        }
    }
}
