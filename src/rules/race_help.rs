//! The help of a race finding: it leads with the fix for the shape of the race (a missing row
//! then inserted, a state checked then set, a counter checked then moved, a single-use
//! credential checked then marked, a provider call), then gives the library's own syntax.

use super::races::{is_external, Outcome, Race};
use super::{unique_keys, RuleContext};
use crate::ir::{Derived, Effect, EffectKind, FunctionIr, WriteKind};
use crate::vocabulary::vocabulary;

/// The shape of a race, which picks the fix the help leads with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// A call out to a provider that takes an idempotency key and got none.
    KeyedCall,
    /// A single-use credential checked, then marked used by a separate update.
    SingleUse,
    /// A value checked, then written as computed from the old one (a balance, a stock count).
    Counter,
    /// No row found, then one inserted.
    MissingRow,
    /// A state checked (a status, a flag, a time set when done), then acted on.
    State,
    /// Anything else: claim or lock.
    Other,
}

impl Shape {
    pub(super) fn of(func: &FunctionIr, read: &Effect, race: &Race) -> Shape {
        let act = &func.effects[race.act];
        let record = race.record.map(|r| &func.effects[r]);
        match &act.kind {
            EffectKind::External {
                accepts_key: true,
                key: None,
                ..
            } => Shape::KeyedCall,
            EffectKind::Write {
                kind: WriteKind::Update { derived } | WriteKind::Conditional { derived },
                ..
            } => {
                if *derived == Derived::Nothing {
                    Shape::SingleUse
                } else {
                    Shape::Counter
                }
            }
            _ if race.outcome == Outcome::Absent
                && [Some(act), record]
                    .into_iter()
                    .flatten()
                    .any(|w| unique_keys::inserts_into(read, w)) =>
            {
                Shape::MissingRow
            }
            _ if race.outcome == Outcome::Value => Shape::State,
            _ => Shape::Other,
        }
    }
}

/// The help: the fix for the shape first, then the library's advice.
pub(super) fn help(cx: &RuleContext, func: &FunctionIr, read: &Effect, race: &Race) -> String {
    let act = &func.effects[race.act];
    let shape = Shape::of(func, read, race);
    let table = read.subject();
    let field = race.fields.first().map_or("state", String::as_str);
    let lead = match shape {
        Shape::KeyedCall => format!("give {} an idempotency key derived from the checked `{table}` (its id), the same for every request about it, so the provider drops the second call", super::race_report::act_description(act)),
        Shape::SingleUse => format!("consume the `{table}` in one conditional update that tests what the check tested (`UPDATE {table} SET {field} = now() WHERE id = $1 AND {field} IS NULL`) and grant what it gives only when the update changed a row"),
        Shape::Counter => format!("check in the write: one atomic conditional update (`UPDATE {table} SET {field} = {field} - $2 WHERE id = $1 AND {field} >= $2`), acting only when it changed a row"),
        Shape::State => {
            // A time set when done (`paidAt`) was seen unset; a state, at some value.
            let seen = if vocabulary().time_suffixes.is_last_word_of(field) {
                format!("{field} IS NULL")
            } else {
                format!("{field} = ..")
            };
            format!("make the check a conditional update: set the new state only where `{field}` still holds what the check saw (`UPDATE {table} SET {field} = .. WHERE id = $1 AND {seen}`), and act only when it changed a row")
        }
        Shape::MissingRow => missing_row(cx, func, read, race),
        Shape::Other => "claim first (an insert under a unique key, or a conditional update whose count you test), or lock across the check and the act".into(),
    };
    // The library's advice gives its syntax: for a key, of passing one; else of the
    // alternatives to the lead.
    match library_help(cx, read, act, shape) {
        Some(advice) if shape == Shape::KeyedCall => format!("{lead}; {advice}"),
        Some(advice) => format!("{lead}; or {advice}"),
        None => lead,
    }
}

/// No row, then an insert: the insert goes first under a unique key, whose violation the loser
/// handles; when the key exists and the insert comes after the act, only its place is wrong.
fn missing_row(cx: &RuleContext, func: &FunctionIr, read: &Effect, race: &Race) -> String {
    let act = &func.effects[race.act];
    if let Some(advice) = unique_keys::key_to_declare(read, cx.schema) {
        return advice;
    }
    let late_insert = race
        .record
        .map(|r| &func.effects[r])
        .filter(|w| w.span.start > act.span.start && is_external(act));
    match late_insert {
        Some(insert) if unique_keys::refuses_copy(read, insert, cx.schema).is_some() => format!(
            "move the insert at line {} before {}: the unique key already refuses the second request's row, so the request that loses stops before acting",
            insert.span.line,
            super::race_report::act_description(act)
        ),
        _ => format!("insert into `{}` first, under a unique key, and treat the duplicate-key error as \"already done\"", read.subject()),
    }
}

/// The fix for the library of the check (of the act, for a JavaScript call out, and for a
/// provider call whose key the help leads with).
fn library_help<'m>(
    cx: &'m RuleContext,
    read: &Effect,
    act: &Effect,
    shape: Shape,
) -> Option<&'m str> {
    let act_first = shape == Shape::KeyedCall || (is_external(act) && read.library == "javascript");
    let (first, second) = if act_first {
        (&act.library, &read.library)
    } else {
        (&read.library, &act.library)
    };
    cx.models
        .help(first, "check-then-act")
        .or_else(|| cx.models.help(second, "check-then-act"))
}
