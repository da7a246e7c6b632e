//! `side-effect-before-claim`: the act happens first and the record that would stop a repeat
//! is written after it.

use super::flow::{decides_as_claim, Flow};
use super::links::Calls;
use super::{declare_rule, weight, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{same_field, EffectId, EffectKind, FunctionIr, TestKind};
use crate::vocabulary::vocabulary;

declare_rule! {
    /// ## What it does
    /// Finds an external act (a charge, a refund, an e-mail, an HTTP POST, a published
    /// message) that runs before the write recording that it happened: the insert into the
    /// table a duplicate check reads, the store of the idempotency key, the status update
    /// that marks the operation done. It stays quiet when the operation was claimed before
    /// the act (a tested `INSERT ... ON CONFLICT DO NOTHING`, `SET key NX`, a conditional
    /// status update whose count is checked), when the act carries a stable idempotency
    /// key, since the provider then absorbs a repeat, and when a repeat is harmless by the
    /// provider model's `cost` (a disposable Checkout session or setup intent, a capture of a
    /// given payment intent). Level warning; error when the act moves money.
    ///
    /// ## Why is this bad?
    /// Recording after acting makes the record a log, not a guard. If the process dies
    /// between the act and the record (a deploy, an out-of-memory kill, a timeout), the retry
    /// finds no record and acts again. If two deliveries of the same event arrive together,
    /// both act before either records, and the unique constraint on the record fails one of
    /// them after the damage is done.
    ///
    /// ## Example
    /// ```ts
    /// const seen = await db.query('SELECT 1 FROM processed WHERE key = $1', [key]);
    /// if (seen.rowCount) return;
    /// await mailer.sendMail(receipt);
    /// await db.query('INSERT INTO processed (key) VALUES ($1)', [key]);
    /// ```
    ///
    /// ## Fix
    /// Claim first, act, then mark it complete: insert a pending row under a unique key with
    /// `ON CONFLICT DO NOTHING RETURNING` (or `SET key NX PX`) and act only when you won;
    /// after the act, mark it done; on failure, delete the claim or mark it failed so a retry
    /// can proceed.
    ///
    /// ## Related rules
    /// Quiet at an act that runs on a race `check-then-act` or `process-local-dedup` reports, whose
    /// explanation names the late record (one table, `RACE_OWNERS` in `src/rules/mod.rs`). At a race
    /// `time-window-dedup` reports it reports the late record as well, as it did before the table.
    pub struct SideEffectBeforeClaim {
        id: "side-effect-before-claim",
        level: Severity::Warning,
        languages: &["typescript", "javascript", "rust"],
        summary: "an external act runs before the write that records it",
        links: super::Links::Linked,
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let flow = &shared.flow;
    // An act that runs on a racy check is reported once, by the rule that reports the race,
    // whose explanation already names the late record.
    let raced = shared.raced_acts(|o| o.quiet, SideEffectBeforeClaim::META.id);
    for (act_id, act) in func.effects.iter().enumerate() {
        if raced.contains(&act_id) || flow.at[act_id].unreachable {
            continue;
        }
        let EffectKind::External {
            provider,
            operation,
            key,
            ..
        } = &act.kind
        else {
            continue;
        };
        if key.as_ref().is_some_and(|k| k.is_stable())
            || weight::harmless(act)
            || claimed_before(func, flow, act_id)
        {
            continue;
        }
        let Some((check, record)) = record_after(func, flow, act_id) else {
            continue;
        };
        // Inside one call of a helper, the helper's own finding; two calls of one helper
        // (`notify(a)`, then `notify(b)`) do two operations, and what the second writes
        // records the second, not the act of the first.
        if matches!(
            Calls::of(act, &func.effects[record]),
            Calls::OneCall | Calls::TwoCallsOfOneHelper
        ) {
            continue;
        }
        let written = &func.effects[record];
        let (al, rl) = (act.span.line, written.span.line);
        let mut secondary = vec![Label::at(
            &func.effects[record],
            "the operation is recorded only here, after the act",
        )];
        secondary
            .extend(check.map(|c| Label::at(&func.effects[c], "the check that reads the record")));
        let security = weight::security(false, false, act);
        let mut message = format!(
            "`{operation}` ({provider}) runs before the write that records it at line {rl}: a crash or a concurrent duplicate in between repeats it"
        );
        if let Some(s) = security {
            message = format!("{message}; {}", s.sentence());
        }
        out.push(Diagnostic {
            secondary,
            steps: vec![
                Step::new(Actor::A, act.span, format!("attempt A calls `{operation}` at line {al}")),
                Step::new(Actor::A, written.span, format!("A dies (a deploy, a timeout) before line {rl}, or attempt B arrives before A gets there")),
                Step::new(Actor::B, act.span, format!("nothing records the operation yet, so the retry or B calls `{operation}` at line {al} again")),
                Step::new(Actor::Both, written.span, format!("the record at line {rl} is written after both side effects")),
            ],
            help: "claim first, act, then mark it done: a pending row under a unique key (`ON CONFLICT DO NOTHING RETURNING`) or `SET key NX PX`, tested before the act; mark it complete after, and release the claim on failure".into(),
            severity: if security.is_some() { Severity::Error } else { SideEffectBeforeClaim::META.level },
            security,
            ..cx.diagnostic(&SideEffectBeforeClaim::META, func, message, Label::at(act, "the side effect happens here"))
        });
    }
}

/// A tested claim earlier in the function: the act already runs for one caller only.
fn claimed_before(func: &FunctionIr, flow: &Flow, act: EffectId) -> bool {
    (0..act).any(|c| {
        decides_as_claim(func, flow, c) || matches!(func.effects[c].kind, EffectKind::Lock { .. })
    })
}

/// The write after the act that records the operation, and the check that reads that record:
/// an insert into a table a check before the act read, an update of a field that check
/// tested, or a key stored in a key-value store a check before the act read.
fn record_after(
    func: &FunctionIr,
    flow: &Flow,
    act: EffectId,
) -> Option<(Option<EffectId>, EffectId)> {
    let checks: Vec<EffectId> = (0..act)
        .filter(|&r| matches!(func.effects[r].kind, EffectKind::Read { .. }))
        .filter(|&r| flow.decided_by(r, act))
        .collect();
    (act + 1..func.effects.len())
        .filter(|&w| flow.compatible(act, w))
        .find_map(
            |w| match checks.iter().copied().find(|&r| records(func, flow, r, w)) {
                Some(check) => Some((Some(check), w)),
                None => marks_done(func, w).then_some((None, w)),
            },
        )
}

/// A write that marks the operation done even with no check before the act: an insert into
/// a table of processed or sent things, a status or done-at field set, a key stored under
/// a name that says so.
fn marks_done(func: &FunctionIr, write: EffectId) -> bool {
    match &func.effects[write].kind {
        EffectKind::Write {
            resource: Some(r),
            kind,
            sets,
        } => {
            use crate::ir::WriteKind::*;
            let (table, words) = (r.name(), vocabulary());
            if words.log_tables.any_word_of(table) {
                return false;
            }
            match kind {
                Insert { .. } | InsertIgnore | Upsert | Put { .. } => {
                    words.record_tables.any_word_of(table)
                }
                Update { .. } | Conditional { .. } => sets.iter().any(|s| marks_state(s)),
                Delete => false,
            }
        }
        // A value stored after a call out is as likely a cache of its answer as a record:
        // its key says which (`export:{id}:notified`), or a check that reads it.
        EffectKind::Claim { .. } => true,
        EffectKind::KvPut { key: Some(key), .. } => names_done(key),
        _ => false,
    }
}

/// A name made of words one of which marks an operation done (`notified`, `sent_at`).
fn names_done(name: &str) -> bool {
    vocabulary().done_verbs.any_word_of(name)
}

/// A status field, or a done-at time of an operation (`sentAt`, `crm_synced_at`).
fn marks_state(field: &str) -> bool {
    let words = vocabulary();
    words.status_fields.is_whole(field)
        || (words.time_suffixes.is_last_word_of(field) && names_done(field))
}

fn records(func: &FunctionIr, flow: &Flow, read: EffectId, write: EffectId) -> bool {
    let EffectKind::Read { resource, .. } = &func.effects[read].kind else {
        return false;
    };
    match (&func.effects[write].kind, resource) {
        (
            EffectKind::Write {
                resource: Some(w),
                kind,
                sets,
            },
            Some(r),
        ) if w.same_as(r) => {
            use crate::ir::WriteKind::*;
            match kind {
                Insert { .. } | InsertIgnore | Upsert | Put { .. } => true,
                Update { .. } | Conditional { .. } => {
                    let tested = tested_fields(flow, read);
                    tested.is_empty()
                        || sets.iter().any(|s| tested.iter().any(|t| same_field(s, t)))
                }
                Delete => false,
            }
        }
        // A key-value read (`GET`/`EXISTS`) recorded by a later store of a key.
        (EffectKind::Claim { .. } | EffectKind::KvPut { .. }, None) => true,
        _ => false,
    }
}

fn tested_fields(flow: &Flow, read: EffectId) -> Vec<String> {
    flow.guards
        .iter()
        .flat_map(|g| &g.tests)
        .filter(|t| t.effect == read)
        .flat_map(|t| match &t.kind {
            TestKind::Value { fields } => fields.clone(),
            TestKind::Presence { .. } => Vec::new(),
        })
        .collect()
}
