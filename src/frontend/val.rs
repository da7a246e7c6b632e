//! What an expression evaluates to, for both front-ends: the effect whose result it is, the
//! effects it was computed from, where its value comes from, and which fields it read.

use crate::ir::{EffectId, Source};
use std::collections::BTreeSet;

/// What an expression evaluates to, as far as effects and key sources go.
#[derive(Clone, Debug, Default)]
pub(crate) struct Val {
    /// The expression is (a projection of) this effect's result.
    pub effect: Option<EffectId>,
    /// Effects whose results the value is computed from.
    pub deps: BTreeSet<EffectId>,
    pub sources: BTreeSet<Source>,
    /// Fields of earlier results the value was computed from (`order.status`).
    pub fields: BTreeSet<(EffectId, String)>,
    /// Made in the function by a call that is neither a conversion nor a known source
    /// (`tokio::spawn(..)`, `compile(src)`): how many effects had been pushed by then.
    pub made: Option<usize>,
}

impl Val {
    /// The result of a call: a new value loaded from storage, not one computed from the
    /// call's arguments.
    pub fn result(effect: EffectId) -> Val {
        Val {
            effect: Some(effect),
            sources: BTreeSet::from([Source::Stored]),
            ..Val::default()
        }
    }

    pub fn constant() -> Val {
        Val {
            sources: BTreeSet::from([Source::Constant]),
            ..Val::default()
        }
    }

    /// Combines two operands: the result is no longer either one's result.
    pub fn merge(&mut self, other: Val) {
        self.made = self.made.max(other.made);
        self.deps.extend(other.deps);
        self.deps.extend(other.effect);
        self.sources.extend(other.sources);
        self.fields.extend(other.fields);
    }

    /// The value of one of two branches: still a read's result when either branch is, or
    /// when both are the same one.
    pub fn join(&mut self, other: Val) {
        self.made = self.made.max(other.made);
        match (self.effect, other.effect) {
            (None, Some(_)) if self.deps.is_empty() => {
                let effect = other.effect;
                self.merge(other);
                self.deps.retain(|d| Some(*d) != effect);
                self.effect = effect;
            }
            (Some(a), Some(b)) if a == b => {
                self.deps.extend(other.deps);
                self.sources.extend(other.sources);
                self.fields.extend(other.fields);
            }
            (Some(_), None) if other.deps.is_empty() => {
                self.sources.extend(other.sources);
                self.fields.extend(other.fields);
            }
            _ => self.merge(other),
        }
    }

    /// The fields of `effect`'s result the value was computed from.
    pub fn fields_of(&self, effect: EffectId) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(e, _)| *e == effect)
            .map(|(_, f)| f.clone())
            .collect()
    }

    /// How many effects had been pushed when the value was loaded or made, if it was: a
    /// value that existed before a check cannot have been made for what the check found.
    pub fn made_at(&self) -> Option<usize> {
        self.all_deps().map(|d| d + 1).chain(self.made).max()
    }

    pub fn derived(mut self) -> Val {
        self.deps.extend(self.effect.take());
        self
    }

    /// Every effect the value comes from, its own result included.
    pub fn all_deps(&self) -> impl Iterator<Item = EffectId> + '_ {
        self.effect.iter().copied().chain(self.deps.iter().copied())
    }
}
