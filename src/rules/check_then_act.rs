//! `check-then-act`: a read decides, and a later act runs on that stale decision.

use super::flow::{decides_as_claim, Flow};
use super::links::Calls;
use super::{declare_rule, process_local_dedup, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{
    same_field, Derived, Effect, EffectId, EffectKind, FunctionIr, Isolation, ScopeKind, TestKind,
    WriteKind,
};

declare_rule! {
    /// ## What it does
    /// Finds a read whose result a condition tests (is this order paid? does this user exist?)
    /// followed, on a path that condition controls, by an act the check was meant to
    /// prevent from happening twice: a call to an external system (a charge, an e-mail, an
    /// HTTP request, a published message) on a path that also records what the check looks
    /// for (inserts the row, sets the status), an insert into the table that was read, or an
    /// update computed from the value that was read. A check that nothing on the path
    /// changes (is this user banned? is this plan valid?) is a permission or validity test:
    /// a second request made after the first would pass it too, so it is not reported, and
    /// neither are inserts into audit logs or history tables, which record every action by
    /// design; nor an insert of the key a lookup by a unique key (`findUnique`, `findByPk`,
    /// `findById`) did not find, which the database refuses the second time. It stays quiet
    /// when the pair is made
    /// atomic: a row lock taken by the read inside the transaction that also acts, a
    /// SERIALIZABLE transaction around both writes, a lock held across both, a claim whose
    /// result is tested (`INSERT ... ON CONFLICT DO NOTHING`, a conditional `UPDATE` whose
    /// row count is checked, `SET key NX`), an upsert, or a stable idempotency key on the
    /// external call.
    ///
    /// ## Why is this bad?
    /// Two requests for the same thing (a retry after a timeout, a double click, a queue
    /// redelivery, two pods) run the read before either of them acts. Both see "not paid",
    /// both pass the check, both charge. Plain reads take no locks under READ COMMITTED
    /// (PostgreSQL's default) or REPEATABLE READ (MySQL's default), and a unique constraint
    /// on the row written afterwards protects the row, never the side effects that ran
    /// before it.
    ///
    /// ## Example
    /// ```ts
    /// async function processPayment(orderId: string) {
    ///   const order = await db.query('SELECT * FROM orders WHERE id = $1', [orderId]);
    ///   if (order.status === 'paid') return { error: 'Already paid' };
    ///   const charge = await stripe.charges.create({ amount: order.total, currency: 'usd' });
    ///   await db.query('UPDATE orders SET status = $1 WHERE id = $2', ['paid', orderId]);
    /// }
    /// ```
    /// Request A reads the order (pending). Request B reads it before A updates it (still
    /// pending). Both pass the check, both call `charges.create`: the customer pays twice.
    ///
    /// ## Fix
    /// Make the decision and the act one atomic step:
    /// - claim first: `UPDATE orders SET status = 'processing' WHERE id = $1 AND status =
    ///   'pending' RETURNING id` (Prisma `updateMany` with its `count` tested, Mongo
    ///   `findOneAndUpdate` tested for null), or insert a claim row under a unique key with
    ///   `ON CONFLICT DO NOTHING RETURNING`, and act only when you won;
    /// - or lock: `SELECT ... FOR UPDATE` on one connection inside the transaction that also
    ///   acts (a row lock cannot lock a row that does not exist yet, so "no row, insert"
    ///   needs a claim or an advisory lock);
    /// - and give external calls an idempotency key that is the same on every retry
    ///   (`{ idempotencyKey: `charge:${order.id}` }`).
    ///
    /// ## Known limits
    /// Calls of the project's own functions are followed up to four deep; a call that cannot
    /// be resolved to one (a dynamic dispatch, a package) is not seen into.
    pub struct CheckThenAct {
        id: "check-then-act",
        level: Severity::Error,
        languages: &["typescript", "javascript", "rust"],
        summary: "a read decides, and an act on another path runs on the stale decision",
        links: super::Links::Linked,
    }
}

/// What the check saw on the branch the act runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Absent,
    Present,
    Value,
}

struct Race {
    act: EffectId,
    guard: usize,
    outcome: Outcome,
    /// The write that changes the tested state, for an external act after a value test.
    record: Option<EffectId>,
}

pub fn check(func: &FunctionIr, flow: &Flow, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    out.extend(findings(func, flow, cx, false));
}

/// One finding per read that decides a racy act. `window`: only reads that look for recent
/// rows (whose findings `time-window-dedup` reports), or only the others.
pub(super) fn findings(
    func: &FunctionIr,
    flow: &Flow,
    cx: &RuleContext,
    window: bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut reported = Vec::new();
    for (read_id, read) in func.effects.iter().enumerate() {
        // A key fresh to this request cannot be checked by a concurrent one.
        let EffectKind::Read {
            fresh_key: false,
            window: is_window,
            ..
        } = read.kind
        else {
            continue;
        };
        // A duplicate check in process memory is `process-local-dedup`'s finding, which
        // explains the in-process race as well.
        if is_window != window || process_local_dedup::dedup(func, flow, read_id).is_some() {
            continue;
        }
        let races = races_for(func, flow, read_id);
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
        out.push(diagnostic(func, flow, cx, read_id, primary, &races));
    }
    out
}

/// Acts that run on a check another request can pass at the same time; `windows`: also on
/// checks for recent rows (which `time-window-dedup` reports).
pub(super) fn raced_acts(func: &FunctionIr, flow: &Flow, windows: bool) -> Vec<EffectId> {
    (0..func.effects.len())
        .filter(|&r| match func.effects[r].kind {
            EffectKind::Read {
                fresh_key: false,
                window,
                ..
            } => windows || !window,
            _ => false,
        })
        .flat_map(|r| races_for(func, flow, r))
        .map(|race| race.act)
        .collect()
}

fn races_for(func: &FunctionIr, flow: &Flow, read_id: EffectId) -> Vec<Race> {
    let read = &func.effects[read_id];
    let mut races: Vec<Race> = Vec::new();
    for g in flow.guards_testing(read_id) {
        // A value test says more than a presence test of the same read (`!a || a.points < n`).
        let tests = || flow.guards[g].tests.iter().filter(|t| t.effect == read_id);
        let test = tests()
            .find(|t| matches!(t.kind, TestKind::Value { .. }))
            .or_else(|| tests().next())
            .map(|t| t.kind.clone());
        let Some(test) = test else { continue };
        for (act_id, act) in func.effects.iter().enumerate().skip(read_id + 1) {
            let Some(&(_, branch)) = flow.at[act_id].guards.iter().find(|(gg, _)| *gg == g) else {
                continue;
            };
            if Calls::of(read, act) == Calls::OneCall || flow.at[act_id].unreachable {
                continue;
            }
            let outcome = match &test {
                // Finding a row that a filter on its state selected (`status = 'unpaid'`) is
                // a value check of that state.
                TestKind::Presence { present_when_true }
                    if *present_when_true == branch && filters_state(read) =>
                {
                    Outcome::Value
                }
                TestKind::Presence { present_when_true } if *present_when_true == branch => {
                    Outcome::Present
                }
                TestKind::Presence { .. } => Outcome::Absent,
                TestKind::Value { .. } => Outcome::Value,
            };
            let fields = match &test {
                TestKind::Value { fields } => fields.as_slice(),
                _ => &[],
            };
            if cache_fill(func, read_id, act) {
                continue;
            }
            let record =
                records_state(func, read_id, fields).filter(|&r| flow.compatible(r, act_id));
            if !is_racy_act(read, act, outcome, fields, record.is_some()) {
                continue;
            }
            if protected(func, flow, read_id, act_id, outcome) {
                continue;
            }
            if !races.iter().any(|r| r.act == act_id) {
                races.push(Race {
                    act: act_id,
                    guard: g,
                    outcome,
                    record,
                });
            }
        }
    }
    races.sort_by_key(|r| r.act);
    races
}

/// A store into an in-process cache whose entries the function uses, of a value loaded or
/// made after the lookup missed: two requests that both miss store what they each loaded,
/// and the cache stays a cache.
fn cache_fill(func: &FunctionIr, read_id: EffectId, act: &Effect) -> bool {
    let in_process = func.effects[read_id].kind.in_process();
    let filled = matches!(
        act.kind,
        EffectKind::Write {
            kind: WriteKind::Put {
                made_at: Some(n),
                ..
            },
            ..
        } if n > read_id
    );
    in_process && filled && func.passed_on.contains(&read_id)
}

fn filters_state(read: &Effect) -> bool {
    matches!(
        read.kind,
        EffectKind::Read {
            filters_state: true,
            ..
        }
    )
}

fn window(read: &Effect) -> bool {
    matches!(read.kind, EffectKind::Read { window: true, .. })
}

fn is_external(e: &Effect) -> bool {
    matches!(e.kind, EffectKind::External { .. })
}

/// Whether the act is one the check was meant to stop from happening twice.
fn is_racy_act(
    read: &Effect,
    act: &Effect,
    outcome: Outcome,
    fields: &[String],
    records: bool,
) -> bool {
    let same_table = || match (read.kind.resource(), act.kind.resource()) {
        (Some(a), Some(b)) => a.same_as(b),
        _ => false,
    };
    match &act.kind {
        // A call out repeats harmfully only when this path also changes what the check
        // tested: otherwise a second request made after the first would pass the check and
        // call again too, and the check is a permission or validity test, not a guard
        // against doing it twice.
        // A query for recent rows is a duplicate check by its shape, whoever records them.
        EffectKind::External { .. } => outcome != Outcome::Present && (records || window(read)),
        EffectKind::Write { kind, sets, .. } => match kind {
            // An insert the check was meant to stop: into the table found without the row,
            // or, after a value check whose state this path records, into any table (the
            // membership row between "invite not accepted" and "mark accepted") but a log,
            // which records each action by design.
            WriteKind::Insert if same_table() && by_unique_key(read) => false,
            WriteKind::Insert | WriteKind::Put { .. } => {
                (outcome == Outcome::Absent && same_table())
                    || (outcome == Outcome::Value
                        && records
                        && !act.kind.resource().is_some_and(|r| r.is_log()))
            }
            // A stale check only loses an update that computes what it tested from the old
            // value (`balance < amount`, then `balance - amount`); counting up another field,
            // even atomically, loses nothing.
            WriteKind::Update { derived } | WriteKind::Conditional { derived } => {
                outcome == Outcome::Value
                    && same_table()
                    && derives_tested(derived, fields)
                    && changes_tested(sets, fields)
            }
            WriteKind::Delete | WriteKind::Upsert | WriteKind::InsertIgnore => false,
        },
        _ => false,
    }
}

/// A lookup by a key the database keeps unique: of two requests that insert what it did not
/// find, the database refuses the second, so the key decides, as a claim would (the loser
/// gets an error, nothing is done twice).
fn by_unique_key(read: &Effect) -> bool {
    matches!(
        read.kind,
        EffectKind::Read {
            unique_key: true,
            ..
        }
    )
}

/// The first later effect that changes what the read saw, the step that would stop a second
/// request: a write to the read's table that assigns a tested field (any write when either
/// side's fields are unknown); a store into the key-value store read when the read's key is
/// unknown; a call creating into the provider collection that was listed.
fn records_state(func: &FunctionIr, read_id: EffectId, fields: &[String]) -> Option<EffectId> {
    let read = &func.effects[read_id];
    let resource = read.kind.resource();
    func.effects
        .iter()
        .enumerate()
        .skip(read_id + 1)
        .find(|(_, e)| match (&e.kind, resource) {
            // Removing a row or key never stops a second request.
            (
                EffectKind::Write {
                    kind: WriteKind::Delete,
                    ..
                },
                _,
            ) => false,
            (
                EffectKind::Write {
                    resource: Some(r),
                    sets,
                    ..
                },
                Some(read),
            ) if r.same_as(read) => changes_tested(sets, fields),
            (EffectKind::KvPut { .. } | EffectKind::Claim { .. }, None) => {
                e.library == read.library
            }
            (EffectKind::External { operation, .. }, Some(read)) => operation
                .split_once('.')
                .is_some_and(|(collection, _)| collection == read.name()),
            _ => false,
        })
        .map(|(id, _)| id)
}

/// Whether a write assigns a field the check tested; unknown on either side counts as yes.
fn changes_tested(sets: &[String], fields: &[String]) -> bool {
    fields.is_empty()
        || sets.is_empty()
        || sets.iter().any(|s| fields.iter().any(|f| same_field(s, f)))
}

/// Whether the write derives a field the check tested; unknown on either side counts as yes.
fn derives_tested(derived: &Derived, fields: &[String]) -> bool {
    match derived {
        Derived::Nothing => false,
        Derived::Unknown => true,
        Derived::Fields(derived) => changes_tested(derived, fields),
    }
}

fn protected(
    func: &FunctionIr,
    flow: &Flow,
    read_id: EffectId,
    act_id: EffectId,
    outcome: Outcome,
) -> bool {
    let read = &func.effects[read_id];
    let act = &func.effects[act_id];
    // Process memory changes only under this request between the two.
    if read.kind.in_process() && read.turn == act.turn {
        return true;
    }
    if let EffectKind::External { key: Some(key), .. } = &act.kind {
        if key.is_stable() {
            return true;
        }
    }
    // The act is itself a claim (`if map.insert(k, v).is_none()`, a caught duplicate insert).
    if decides_as_claim(func, flow, act_id) {
        return true;
    }
    if flow.at[act_id]
        .scopes
        .iter()
        .any(|s| matches!(s, ScopeKind::Lock { .. }))
        || lock_held(func, read_id, act_id)
        || claimed_between(func, flow, read_id, act_id)
    {
        return true;
    }
    let same_txn = read.txn.is_some() && read.txn == act.txn;
    let txn = read.txn.map(|t| &func.txns[t]);
    let locking = matches!(read.kind, EffectKind::Read { locking: true, .. });
    let inserts = matches!(
        act.kind,
        EffectKind::Write {
            kind: WriteKind::Insert,
            ..
        }
    );
    if same_txn
        && locking
        && !txn.is_some_and(|t| t.on_pool)
        && !(outcome == Outcome::Absent && inserts)
    {
        return true;
    }
    same_txn
        && txn.is_some_and(|t| t.isolation == Isolation::Serializable && !t.on_pool)
        && matches!(act.kind, EffectKind::Write { .. })
}

/// A lock taken before the read and still held at the act: a lock taken only after the check
/// serialises nothing the check saw.
fn lock_held(func: &FunctionIr, read_id: EffectId, act_id: EffectId) -> bool {
    let held_at = |end: EffectId| {
        func.effects[..end]
            .iter()
            .map(|e| match e.kind {
                EffectKind::Lock { .. } => 1,
                EffectKind::Unlock => -1,
                _ => 0,
            })
            .sum::<i32>()
            > 0
    };
    held_at(read_id) && held_at(act_id)
}

/// A claim between the read and the act whose outcome the code tests (or whose duplicate
/// error it handles): only one request gets past it.
fn claimed_between(func: &FunctionIr, flow: &Flow, read_id: EffectId, act_id: EffectId) -> bool {
    (read_id + 1..act_id).any(|c| decides_as_claim(func, flow, c))
}

fn diagnostic(
    func: &FunctionIr,
    flow: &Flow,
    cx: &RuleContext,
    read_id: EffectId,
    race: &Race,
    races: &[Race],
) -> Diagnostic {
    let read = &func.effects[read_id];
    let act = &func.effects[race.act];
    let guard = flow.guards[race.guard];
    let table = read
        .kind
        .resource()
        .map_or_else(|| format!("`{}`", read.callee), |r| format!("`{r}`"));
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
    let (message, consequence, severity) = match &act.kind {
        EffectKind::External { .. } => (
            format!("{act_name} can run twice: the check of {table} at line {rl} is not atomic with it"),
            format!("A calls {act_name} at line {al}, then B does too: the side effect happens twice"),
            Severity::Error,
        ),
        EffectKind::Write { kind: kind @ (WriteKind::Insert | WriteKind::Put { .. }), resource, .. } => (
            match resource.as_ref().filter(|r| !read.kind.resource().is_some_and(|t| t.same_as(r))) {
                Some(written) => format!("concurrent requests can both insert into `{written}`: the check of {table} at line {rl} is not atomic with the insert"),
                None => format!("concurrent requests can both insert into {table}: the check at line {rl} is not atomic with the insert"),
            },
            if matches!(kind, WriteKind::Put { .. }) {
                format!("both store at line {al}, each believing it was first: the second overwrites the first")
            } else {
                format!("both insert at line {al}: a duplicate row, or a unique-constraint error for the second")
            },
            Severity::Warning,
        ),
        _ => (
            format!("concurrent requests can both update {table} on a stale check: the value read at line {rl} has changed by the write"),
            format!("both update at line {al} a field the check tested: the second update either overwrites the first or breaks what the check ensured"),
            Severity::Warning,
        ),
    };
    steps.push(Step::new(Actor::Both, act.span, consequence));
    let mut secondary = vec![
        Label::at(read, format!("reads {table} here")),
        Label::new(guard.span, "both requests can pass this check"),
    ];
    if let Some(record) = race.record.filter(|r| *r != race.act) {
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
    for other in races.iter().filter(|r| r.act != race.act) {
        let e = &func.effects[other.act];
        secondary.push(Label::at(
            e,
            format!("{} also runs on the stale decision", act_description(e)),
        ));
    }
    let notes = notes(func, read, act, race.outcome);
    let library = if is_external(act) && read.library == "javascript" {
        &act.library
    } else {
        &read.library
    };
    let mut help = cx
        .models
        .help(library, "check-then-act")
        .unwrap_or("make the check and the act atomic: claim first (an insert under a unique key, or a conditional update whose count you test), or lock across both")
        .to_string();
    if let EffectKind::External {
        accepts_key: true,
        key: None,
        provider,
        ..
    } = &act.kind
    {
        help.push_str(&format!(
            "; and pass {provider} an idempotency key that is the same on every retry"
        ));
    }
    Diagnostic {
        severity,
        secondary,
        steps,
        notes,
        help,
        ..cx.diagnostic(
            &CheckThenAct::META,
            func,
            message,
            Label::at(act, primary_label(act)),
        )
    }
}

fn act_description(act: &Effect) -> String {
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
            kind: WriteKind::Insert | WriteKind::Put { .. },
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
    notes
}
