//! The race search: for a read, the acts on paths its test decides that a concurrent request
//! passing the same test repeats, and what would have protected them.

use super::flow::{decides_as_claim, Flow};
use super::links::Calls;
use super::unique_keys::{is_insert, refused_between, refuses_copy};
use super::weight;
use crate::ir::{
    same_field, Derived, Effect, EffectId, EffectKind, FunctionIr, Isolation, ScopeKind, TestKind,
    WriteKind,
};
use crate::schema::Schema;

/// What the check saw on the branch the act runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Absent,
    Present,
    Value,
}

/// An act that runs on a check another request can pass at the same time.
pub(super) struct Race {
    pub act: EffectId,
    /// The guard that tests the read on the act's path.
    pub guard: usize,
    pub outcome: Outcome,
    /// The write that changes the tested state, for an external act after a value test.
    pub record: Option<EffectId>,
    /// The fields the guard tests of the read (none for a presence test).
    pub fields: Vec<String>,
}

/// What a read decides: the acts a concurrent request can repeat, by act, one per act; and
/// the inserts it would repeat but the database refuses the second time, by a unique key,
/// with no handling of the refusal and no racy act before them (the losing request fails
/// with the driver's error, having done nothing twice).
#[derive(Default)]
pub(super) struct Decided {
    pub races: Vec<Race>,
    pub refused: Vec<EffectId>,
}

/// What a read decides that a concurrent request can repeat.
pub(super) fn races_for(
    func: &FunctionIr,
    flow: &Flow,
    read_id: EffectId,
    schema: &Schema,
) -> Decided {
    let read = &func.effects[read_id];
    let state = state_columns(read);
    let mut decided = Decided::default();
    for g in flow.guards_testing(read_id) {
        // A value test says more than a presence test of the same read (`!a || a.points < n`).
        let tests = || flow.guards[g].tests.iter().filter(|t| t.effect == read_id);
        let test = tests()
            .find(|t| matches!(t.kind, TestKind::Value { .. }))
            .or_else(|| tests().next())
            .map(|t| t.kind.clone());
        let Some(test) = test else { continue };
        for (act_id, act) in func.effects.iter().enumerate().skip(read_id + 1) {
            let Some(branch) = flow.at[act_id]
                .guards
                .iter()
                .find(|b| b.guard == g)
                .map(|b| b.then)
            else {
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
                // Finding a row its state filter selected tests the state's columns.
                _ if outcome == Outcome::Value => state.as_slice(),
                _ => &[],
            };
            if cache_fill(func, read_id, act) {
                continue;
            }
            // On the path through both the check and the act.
            let on_path = |r| flow.compatible(r, act_id) && flow.reaches_guard(r, g);
            let record = records_state(func, read_id, fields, outcome, on_path);
            if !is_racy_act(read, act, outcome, fields, record.is_some()) {
                continue;
            }
            if protected(func, flow, read_id, act_id, outcome, schema) {
                continue;
            }
            // The database refuses the second request's row. Whether the loser's error goes
            // unhandled is said only where the refusal is sure: the row is the one a lookup by
            // a unique key did not find, of the key it looked up (a row keyed by values made
            // in a helper may be fresh, a row inserted after finding another may be a copy).
            if is_insert(act) && refuses_copy(read, act, schema).is_some() {
                let sure = outcome == Outcome::Absent && inserts_looked_up_key(read, act);
                if sure && !decided.refused.contains(&act_id) {
                    decided.refused.push(act_id);
                }
                continue;
            }
            if !decided.races.iter().any(|r| r.act == act_id) {
                decided.races.push(Race {
                    act: act_id,
                    guard: g,
                    outcome,
                    record,
                    fields: fields.to_vec(),
                });
            }
        }
    }
    decided.races.sort_by_key(|r| r.act);
    // After an act that has run twice, the refused insert is that race's explanation.
    let races = &decided.races;
    decided
        .refused
        .retain(|&i| !races.iter().any(|r| r.act < i && flow.compatible(r.act, i)));
    decided.refused.sort_unstable();
    decided
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

/// The columns a read's filter compares with a constant (`status = 'unpaid'`, `paid_at IS
/// NULL`): the state a row it finds is in.
fn state_columns(read: &Effect) -> Vec<String> {
    let EffectKind::Read { filter, .. } = &read.kind else {
        return Vec::new();
    };
    filter
        .equalities
        .iter()
        .filter(|f| f.constant.is_some())
        .map(|f| f.field.clone())
        .collect()
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

fn aggregate(read: &Effect) -> bool {
    matches!(
        read.kind,
        EffectKind::Read {
            aggregate: true,
            ..
        }
    )
}

pub(super) fn window(read: &Effect) -> bool {
    matches!(read.kind, EffectKind::Read { window: true, .. })
}

pub(super) fn is_external(e: &Effect) -> bool {
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
    let same_table = || same_resource(read, act);
    match &act.kind {
        // A call out repeats harmfully only when this path also changes what the check
        // tested: otherwise a second request made after the first would pass the check and
        // call again too, and the check is a permission or validity test, not a guard
        // against doing it twice.
        // A query for recent rows that found none is a duplicate check by its shape, whoever
        // records them.
        // A disposable object or one refused by its state is harmless to make twice.
        EffectKind::External { .. } => {
            !weight::harmless(act)
                && outcome != Outcome::Present
                && (records || (window(read) && outcome == Outcome::Absent))
        }
        EffectKind::Write { kind, sets, .. } => match kind {
            // An insert the check was meant to stop: into the table found without the row,
            // or, after a value check whose state this path records, into any table (the
            // membership row between "invite not accepted" and "mark accepted") but a log,
            // which records each action by design. After a quota (`count() < limit`) only a
            // row of the counted table overshoots it.
            WriteKind::Insert { .. } => {
                (outcome == Outcome::Absent && same_table())
                    || (outcome == Outcome::Value
                        && records
                        && !act.kind.resource().is_some_and(|r| r.is_log())
                        && (!aggregate(read) || same_table()))
            }
            // A map entry that replaces any value (a memo, a cache fill) is done twice only
            // where a check found it missing; elsewhere the second put replaces the first.
            WriteKind::Put { .. } => outcome == Outcome::Absent && same_table(),
            // A stale check only loses an update that computes what it tested from the old
            // value (`balance < amount`, then `balance - amount`); counting up another field,
            // even atomically, loses nothing. A single-use credential marked used by its own
            // update after the check (`usedAt` tested, then set) is used by both requests:
            // what it grants is handed to the caller, out of sight, before the mark.
            WriteKind::Update { derived } | WriteKind::Conditional { derived } => {
                if same_table() {
                    outcome == Outcome::Value
                        && changes_tested(sets, fields)
                        && (derives_tested(derived, fields)
                            || (*derived == Derived::Nothing
                                && weight::spends_credential(read, fields, sets)))
                } else {
                    // A counter moved on another row (crediting a balance after a voucher was
                    // found unused) is an act of its own, done twice; setting constants is not.
                    outcome != Outcome::Present && records && *derived != Derived::Nothing
                }
            }
            WriteKind::Delete | WriteKind::Upsert | WriteKind::InsertIgnore => false,
        },
        _ => false,
    }
}

/// The first later effect on a path (`on_path`) that changes what the read saw, the step that
/// would stop a second request: a write to the read's table that assigns a tested field (any write when either
/// side's fields are unknown); a store into the key-value store read when the read's key is
/// unknown; a call creating into the provider collection that was listed. After a test of a
/// field of a row that was found, a new row (a copy made from a template) changes nothing the
/// test saw; a count, whose fields are none, it does change.
fn records_state(
    func: &FunctionIr,
    read_id: EffectId,
    fields: &[String],
    outcome: Outcome,
    on_path: impl Fn(EffectId) -> bool,
) -> Option<EffectId> {
    let read = &func.effects[read_id];
    let resource = read.kind.resource();
    let read_library = &read.library;
    func.effects
        .iter()
        .enumerate()
        .skip(read_id + 1)
        .find(|&(id, e)| {
            let changes = match (&e.kind, resource) {
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
                        kind: WriteKind::Insert { .. },
                        ..
                    },
                    _,
                ) if outcome == Outcome::Value && !fields.is_empty() => false,
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
                // A provider's own collection (`stripe.customers.list`, then `.create`), not a
                // table of the same name (`refunds` in the database, `stripe.refunds.create`).
                (EffectKind::External { operation, .. }, Some(read))
                    if &e.library == read_library =>
                {
                    operation
                        .split_once('.')
                        .is_some_and(|(collection, _)| collection == read.name())
                }
                _ => false,
            };
            changes && on_path(id)
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
    schema: &Schema,
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
    // A claim, or a duplicate the database refuses, protects the check its key answers: a
    // count (`count() < limit`) is no key, and requests claiming different keys both pass it.
    let keyed = !aggregate(read);
    // The act is itself a claim (`if map.insert(k, v).is_none()`, a caught duplicate insert).
    if keyed && decides_as_claim(func, flow, act_id) {
        return true;
    }
    if flow.at[act_id]
        .scopes
        .iter()
        .any(|s| matches!(s, ScopeKind::Lock { .. }))
        || lock_held(func, read_id, act_id, !read.kind.in_process())
        || (keyed && claimed_between(func, flow, read_id, act_id))
        || (keyed && refused_between(func, flow, read_id, act_id, schema).is_some())
    {
        return true;
    }
    let same_txn = read.txn.is_some() && read.txn == act.txn;
    let txn = read.txn.map(|t| &func.txns[t]);
    // The read locks its rows, or rows of its table were locked earlier in its transaction
    // (`SELECT .. FOR UPDATE` in a helper before the check): a concurrent request waits.
    let locks = |e: &Effect| matches!(e.kind, EffectKind::Read { locking: true, .. });
    let locking = locks(read)
        || func.effects[..read_id]
            .iter()
            .any(|e| locks(e) && e.txn == read.txn && same_resource(e, read));
    let inserts = matches!(
        act.kind,
        EffectKind::Write {
            kind: WriteKind::Insert { .. },
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

/// Whether the insert, into the table the read looked in, sets every field the read selected
/// by a value (unknown columns count as yes; a state compared with a constant may be the
/// column's default).
fn inserts_looked_up_key(read: &Effect, insert: &Effect) -> bool {
    let (EffectKind::Read { filter, .. }, EffectKind::Write { sets, .. }) =
        (&read.kind, &insert.kind)
    else {
        return false;
    };
    same_resource(read, insert)
        && (sets.is_empty()
            || filter
                .equalities
                .iter()
                .filter(|f| f.constant.is_none())
                .all(|f| sets.iter().any(|s| same_field(s, &f.field))))
}

pub(super) fn same_resource(a: &Effect, b: &Effect) -> bool {
    match (a.kind.resource(), b.kind.resource()) {
        (Some(a), Some(b)) => a.same_as(b),
        _ => false,
    }
}

/// A lock taken before the read and still held at the act: a lock taken only after the check
/// serialises nothing the check saw. `across` counts only locks that other processes take too
/// (not a `Mutex` of this one), for state other processes share.
pub(super) fn lock_held(
    func: &FunctionIr,
    read_id: EffectId,
    act_id: EffectId,
    across: bool,
) -> bool {
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
    let shared = || {
        func.effects[..read_id].iter().any(|e| {
            matches!(
                e.kind,
                EffectKind::Lock {
                    in_process: false,
                    ..
                }
            )
        })
    };
    held_at(read_id) && held_at(act_id) && (!across || shared())
}

/// A claim between the read and the act whose outcome the code tests (or whose duplicate
/// error it handles) before the act: only one request gets past it.
fn claimed_between(func: &FunctionIr, flow: &Flow, read_id: EffectId, act_id: EffectId) -> bool {
    // Only on its success path: a call out made whatever the claim's outcome is not protected.
    let external = is_external(&func.effects[act_id]);
    (read_id + 1..act_id).any(|c| {
        decides_as_claim(func, flow, c)
            && if is_insert(&func.effects[c]) {
                flow.refusal_stops(c, act_id)
            } else {
                !external || flow.decided_by(c, act_id)
            }
    })
}
