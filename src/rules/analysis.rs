//! What several rules share about one function, computed once: its [`Flow`], the races
//! each read decides, the inserts it decides that a unique key refuses, and the duplicate
//! checks kept in process memory. Which rule reports a site that several could is
//! [`super::RACE_OWNERS`]'s to say, not the rules'.

use super::dedups::{dedup, Dedup};
use super::flow::Flow;
use super::races::{races_for, window, Outcome, Race};
use super::unique_keys::never_conflicts;
use super::{race_owner, RaceOwner};
use crate::ir::{EffectId, EffectKind, FunctionIr};
use crate::schema::Schema;

/// The check a race runs on, which decides the rule that reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckKind {
    /// A duplicate check in process memory.
    InProcessDedup,
    /// A look for recent rows (`created_at > now() - 5 minutes`).
    Window,
    /// Any other read.
    Plain,
}

/// A read that decides acts a concurrent request can repeat.
pub(super) struct RacedRead {
    pub read: EffectId,
    pub kind: CheckKind,
    /// By act, at least one.
    pub races: Vec<Race>,
}

/// What the rules share about one function, computed once: its control facts and, from
/// them, its races and in-process duplicate checks.
pub struct Analysis<'f> {
    pub flow: Flow<'f>,
    /// In effect order.
    pub(super) races: Vec<RacedRead>,
    /// Duplicate checks in process memory, by their read, in effect order.
    pub(super) dedups: Vec<(EffectId, Dedup)>,
    /// Inserts a check decides that the database refuses the second time, with nothing to
    /// handle the refusal: (read, insert), in effect order.
    pub(super) refused: Vec<(EffectId, EffectId)>,
}

impl<'f> Analysis<'f> {
    pub fn new(func: &'f FunctionIr, schema: &Schema) -> Analysis<'f> {
        let mut flow = Flow::new(func);
        for (id, effect) in func.effects.iter().enumerate() {
            flow.at[id].never_conflicts = never_conflicts(effect, schema);
        }
        let mut races = Vec::new();
        let mut dedups = Vec::new();
        let mut refused = Vec::new();
        for read in 0..func.effects.len() {
            let dedup = dedup(func, &flow, read);
            // A key fresh to this request cannot be checked by a concurrent one.
            if matches!(
                func.effects[read].kind,
                EffectKind::Read {
                    fresh_key: false,
                    ..
                }
            ) {
                let kind = if dedup.is_some() {
                    CheckKind::InProcessDedup
                } else if window(&func.effects[read]) {
                    CheckKind::Window
                } else {
                    CheckKind::Plain
                };
                let decided = races_for(func, &flow, read, schema);
                refused.extend(decided.refused.iter().map(|&insert| (read, insert)));
                // A window that found a row (a code within its expiry) decides by that row
                // like any other check: only what runs because nothing recent was found is
                // the window's.
                let groups = match kind {
                    CheckKind::Window => {
                        let (absent, found): (Vec<_>, Vec<_>) = decided
                            .races
                            .into_iter()
                            .partition(|r| r.outcome == Outcome::Absent);
                        vec![(CheckKind::Window, absent), (CheckKind::Plain, found)]
                    }
                    kind => vec![(kind, decided.races)],
                };
                for (kind, decided) in groups.into_iter().filter(|(_, r)| !r.is_empty()) {
                    races.push(RacedRead {
                        read,
                        kind,
                        races: decided,
                    });
                }
            }
            if let Some(d) = dedup {
                dedups.push((read, d));
            }
        }
        Analysis {
            flow,
            races,
            dedups,
            refused,
        }
    }

    /// The acts that run on a race whose row of [`super::RACE_OWNERS`] names `rule` in
    /// `column` (the rules quiet at the act, or those that raise it).
    pub(super) fn raced_acts(
        &self,
        column: fn(&RaceOwner) -> &'static [&'static str],
        rule: &str,
    ) -> Vec<EffectId> {
        self.races
            .iter()
            .filter(|r| column(race_owner(r.kind)).contains(&rule))
            .flat_map(|r| r.races.iter().map(|race| race.act))
            .collect()
    }
}
