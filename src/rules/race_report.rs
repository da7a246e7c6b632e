//! How a race is explained: the finding of `check-then-act`, which `time-window-dedup`
//! words as a window standing in for a key.

use super::analysis::Analysis;
use super::flow::Flow;
use super::race_help::{self, Shape};
use super::races::{is_external, Outcome, Race};
use super::{race_owner, unique_keys, weight, RuleContext, RuleMeta};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{Derived, Effect, EffectId, EffectKind, FunctionIr, Isolation, WriteKind};

/// One finding per read whose races `rule` reports (by [`super::RACE_OWNERS`]) that decides a racy act, the act a call out when there is
/// one; a second read deciding the same act adds nothing.
pub(super) fn findings(
    func: &FunctionIr,
    shared: &Analysis,
    cx: &RuleContext,
    rule: &RuleMeta,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut reported = Vec::new();
    for read in shared
        .races
        .iter()
        .filter(|r| race_owner(r.kind).reported_by == rule.id)
    {
        let races = &read.races;
        let Some(primary) = races
            .iter()
            .find(|r| is_external(&func.effects[r.act]))
            .or_else(|| races.first())
        else {
            continue;
        };
        if reported.contains(&primary.act) {
            continue;
        }
        reported.push(primary.act);
        out.push(diagnostic(
            func,
            &shared.flow,
            cx,
            rule,
            read.read,
            primary,
            races,
        ));
    }
    out
}

fn diagnostic(
    func: &FunctionIr,
    flow: &Flow,
    cx: &RuleContext,
    rule: &RuleMeta,
    read_id: EffectId,
    race: &Race,
    races: &[Race],
) -> Diagnostic {
    let read = &func.effects[read_id];
    let act = &func.effects[race.act];
    let guard = flow.guards[race.guard];
    let table = format!("`{}`", read.subject());
    let (rl, gl, al) = (read.span.line, guard.span.line, act.span.line);
    let act_name = act_description(act);
    let seen = match race.outcome {
        Outcome::Absent => "finds nothing".to_string(),
        _ => "sees a state that lets it proceed".to_string(),
    };
    let mut steps = vec![
        Step::new(
            Actor::A,
            read.span,
            format!("request A reads {table} at line {rl} and {seen}"),
        ),
        Step::new(
            Actor::B,
            read.span,
            format!(
                "request B reads {table} at line {rl} before A reaches line {al}, and sees the same"
            ),
        ),
        Step::new(
            Actor::Both,
            guard.span,
            format!("both pass the check at line {gl}"),
        ),
    ];
    let single_use = Shape::of(func, read, race) == Shape::SingleUse;
    let (message, consequence, severity) = match &act.kind {
        EffectKind::External { cost, .. } => (
            format!("{act_name} can run twice: the check of {table} at line {rl} is not atomic with it"),
            format!(
                "A calls {act_name} at line {al}, then B does too: {}",
                cost.map_or("the side effect happens twice", |c| c.twice())
            ),
            weight::external_level(act),
        ),
        EffectKind::Write { kind: kind @ (WriteKind::Insert { .. } | WriteKind::Put { .. }), resource, .. } => (
            match resource {
                Some(written) if !read.kind.resource().is_some_and(|t| t.same_as(written)) => format!("concurrent requests can both insert into `{written}`: the check of {table} at line {rl} is not atomic with the insert"),
                Some(_) => format!("concurrent requests can both insert into {table}: the check at line {rl} is not atomic with the insert"),
                // A table the model could not name is not the one checked.
                None => format!("concurrent requests can both insert a row: the check of {table} at line {rl} is not atomic with the insert"),
            },
            if matches!(kind, WriteKind::Put { .. }) {
                format!("both store at line {al}, each believing it was first: the second overwrites the first")
            } else {
                format!("both insert at line {al}: a duplicate row, or a unique-constraint error for the second")
            },
            Severity::Warning,
        ),
        _ if single_use => (
            format!("a single-use {table} can be used twice: both requests pass the check at line {gl} before the update at line {al} marks it used"),
            format!("both mark it used at line {al}, each having been granted what it gives"),
            Severity::Error,
        ),
        EffectKind::Write {
            kind: WriteKind::Update { derived } | WriteKind::Conditional { derived },
            resource: Some(written),
            ..
        } if !read.kind.resource().is_some_and(|t| t.same_as(written)) => {
            // Diesel names the table `products::table`; its column is `products.stock`.
            let owner = written.name().trim_end_matches("::table");
            let changed = match derived {
                Derived::Fields(fields) => fields
                    .iter()
                    .map(|f| format!("`{owner}.{f}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => format!("`{written}`"),
            };
            (
                format!("concurrent requests can both change {changed} from its old value: the check of {table} at line {rl} is not atomic with it"),
                format!("both update {changed} at line {al}: the change is applied twice"),
                Severity::Warning,
            )
        }
        _ => (
            format!("concurrent requests can both update {table} on a stale check: the value read at line {rl} has changed by the write"),
            format!("both update at line {al} a field the check tested: the second update either overwrites the first or breaks what the check ensured"),
            Severity::Warning,
        ),
    };
    let security = weight::security(
        weight::checks_credential(read, &race.fields),
        single_use,
        act,
    );
    let (message, severity) = match security {
        Some(s) => (format!("{message}; {}", s.sentence()), Severity::Error),
        None => (message, severity),
    };
    steps.push(Step::new(Actor::Both, act.span, consequence));
    let mut secondary = vec![
        Label::at(read, format!("reads {table} here")),
        Label::new(guard.span, "both requests can pass this check"),
    ];
    record_step(func, race, &mut secondary, &mut steps);
    for other in races.iter().filter(|r| r.act != race.act) {
        let e = &func.effects[other.act];
        secondary.push(Label::at(
            e,
            format!("{} also runs on the stale decision", act_description(e)),
        ));
    }
    let mut notes = notes(func, read, act, race.outcome);
    let record = race.record.map(|r| &func.effects[r]);
    notes.extend(record.and_then(|w| unique_keys::stops_row_not_act(read, act, w, cx.schema)));
    let help = race_help::help(cx, func, read, race);
    Diagnostic {
        severity,
        secondary,
        steps,
        notes,
        help,
        security,
        ..cx.diagnostic(rule, func, message, Label::at(act, primary_label(act)))
    }
}

/// The write that records the tested state, as a label and as A's step in the order it
/// happens: before the act (too late for B, who has passed the check) or after it.
fn record_step(func: &FunctionIr, race: &Race, secondary: &mut Vec<Label>, steps: &mut Vec<Step>) {
    let Some(record) = race.record.filter(|r| *r != race.act) else {
        return;
    };
    let w = &func.effects[record];
    let (label, step) = if record > race.act {
        (
            "the state the check tests changes only here, after the act",
            format!(
                "A records the new state at line {}, too late to stop B",
                w.span.line
            ),
        )
    } else {
        (
            "the state the check tests changes here, not atomically with the check",
            format!(
                "A records the new state at line {}, but B has already passed the check",
                w.span.line
            ),
        )
    };
    secondary.push(Label::at(w, label));
    // In the order it happens: before the act, or after it.
    let at = if record > race.act {
        steps.len()
    } else {
        steps.len() - 1
    };
    steps.insert(at, Step::new(Actor::A, w.span, step));
}

pub(super) fn act_description(act: &Effect) -> String {
    match &act.kind {
        EffectKind::External {
            provider,
            operation,
            ..
        } => format!("`{operation}` ({provider})"),
        EffectKind::Write {
            resource: Some(r), ..
        } => format!("the write to `{r}`"),
        _ => format!("`{}`", act.callee),
    }
}

fn primary_label(act: &Effect) -> String {
    match &act.kind {
        EffectKind::External { .. } => "both requests make this call".into(),
        EffectKind::Write {
            kind: WriteKind::Insert { .. } | WriteKind::Put { .. },
            ..
        } => "both requests insert here".into(),
        _ => "both requests write here".into(),
    }
}

/// Why protections that are present do not protect.
fn notes(func: &FunctionIr, read: &Effect, act: &Effect, outcome: Outcome) -> Vec<String> {
    let mut notes = Vec::new();
    let locking = matches!(read.kind, EffectKind::Read { locking: true, .. });
    match read.txn.map(|t| &func.txns[t]) {
        None if locking => notes.push(
            "the read locks rows, but it runs outside a transaction on this connection, so the lock ends with the statement".into(),
        ),
        Some(t) if t.on_pool => notes.push(format!(
            "the transaction begun at line {} runs on a pool: each query may take a different connection, so it neither isolates nor locks anything",
            t.span.line
        )),
        Some(_) if locking && outcome == Outcome::Absent => notes.push(format!(
            "the read at line {} locks rows, but a lock cannot cover a row that does not exist yet: both requests find nothing and both insert",
            read.span.line
        )),
        Some(t) if t.isolation != Isolation::Serializable && !locking => notes.push(format!(
            "the transaction at line {} runs at the database's default isolation (READ COMMITTED on PostgreSQL, REPEATABLE READ on MySQL): plain reads in it take no locks",
            t.span.line
        )),
        _ => {}
    }
    if read.txn.is_none() && act.txn.is_some() {
        notes.push("the read runs outside the transaction the act runs in".into());
    }
    let mutex = func.effects.iter().find(|e| {
        e.span.start < read.span.start
            && matches!(
                e.kind,
                EffectKind::Lock {
                    in_process: true,
                    ..
                }
            )
    });
    if let (Some(lock), false) = (mutex, read.kind.in_process()) {
        notes.push(format!(
            "the lock taken at line {} is this process's own: it makes this process's requests take turns, but another process or replica of the service runs the check in between",
            lock.span.line
        ));
    }
    notes
}
