//! A row read as a tuple (`query_as::<_, (i64, bool)>("SELECT id, used FROM ..")`) keeps its
//! columns' names: the names of a tuple pattern over it, and `row.1`, are the selected columns,
//! so a test of `used` is a test of that field of the read.

use super::lower::{Lowerer, Val};
use crate::ir::EffectId;
use syn::Pat;

impl Lowerer<'_> {
    /// The field of `effect`'s result a projection names: `1` of a tuple row is its second
    /// selected column.
    pub fn column(&self, effect: EffectId, name: &str) -> String {
        name.parse::<usize>()
            .ok()
            .and_then(|i| self.columns.get(&effect)?.get(i))
            .filter(|c| !c.is_empty())
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    /// Binds a tuple pattern over a row read as a tuple (`let Some((id, used)) = ..`), each
    /// name to its column of the row; false when the pattern or the row is no such tuple.
    pub fn bind_columns(&mut self, pat: &Pat, val: &Val) -> bool {
        let (Some(e), Some(tuple)) = (val.effect, tuple_of(pat)) else {
            return false;
        };
        let Some(columns) = self.columns.get(&e).cloned() else {
            return false;
        };
        if columns.len() != tuple.elems.len() {
            return false;
        }
        for (p, column) in tuple.elems.iter().zip(columns) {
            let mut v = val.clone();
            if !column.is_empty() {
                v.fields.insert((e, column));
            }
            self.bind(p, v);
        }
        true
    }
}

/// The tuple a pattern destructures: itself, or inside `Some(..)`/`Ok(..)`.
fn tuple_of(pat: &Pat) -> Option<&syn::PatTuple> {
    match super::syntax::held(pat) {
        Pat::Tuple(t) => Some(t),
        _ => None,
    }
}
