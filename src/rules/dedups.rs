//! Duplicate checks kept in process memory: a lookup in a map or set of the process whose
//! "not seen" branch stores the key and goes on to work a duplicate would repeat.

use super::flow::{decides_as_claim, End, Flow, GuardBranch};
use super::links::Calls;
use crate::ir::{EffectId, EffectKind, FunctionIr, Resource, TestKind, WriteKind};

/// A read of in-process state that works as a duplicate check.
pub(super) struct Dedup {
    pub guard: usize,
    /// The store that records the key.
    pub store: EffectId,
    /// The first act on the store's path that a duplicate would repeat.
    pub act: Option<EffectId>,
}

/// Whether the read is a duplicate check on in-process state: tested, not used as a cached
/// value, and followed on its "not seen" branch by a store into the same map that no shared
/// claim backs up.
pub(super) fn dedup(func: &FunctionIr, flow: &Flow, read_id: EffectId) -> Option<Dedup> {
    let EffectKind::Read {
        in_process: true,
        resource: Some(map),
        ..
    } = &func.effects[read_id].kind
    else {
        return None;
    };
    if used_as_cache(func, map) || in_flight(func, flow, map) {
        return None;
    }
    for g in flow.guards_testing(read_id) {
        // A duplicate check asks whether the key was seen, not what state it is in.
        let Some(unseen) = flow.guards[g].tests.iter().find_map(|t| match t.kind {
            TestKind::Presence { present_when_true } if t.effect == read_id => {
                Some(!present_when_true)
            }
            _ => None,
        }) else {
            continue;
        };
        let on_unseen = |e: EffectId| flow.at[e].guards.contains(&GuardBranch::new(g, unseen));
        let Some(store) = (read_id + 1..func.effects.len()).find(|&s| {
            marks_seen(&func.effects[s].kind, map, read_id)
                && on_unseen(s)
                && Calls::of(&func.effects[s], &func.effects[read_id]) != Calls::OneCall
        }) else {
            continue;
        };
        // It answers the duplicate (`return res.sendStatus(409)`) and turns it away, or keeps
        // it from work that matters. Failing on a seen key asserts that a name is unique (a
        // registry), not a dedup; a bare `return` with no work behind the set only skips
        // bookkeeping this process already did.
        let seen = GuardBranch::new(g, !unseen);
        let answers = flow.end(g, !unseen) == End::Leaves
            && (0..func.effects.len()).any(|e| flow.at[e].guards.contains(&seen));
        let act = first_act(func, flow, read_id, store);
        if (answers || act.is_some()) && !shared_claim(func, flow, read_id, store) {
            return Some(Dedup {
                guard: g,
                store,
                act,
            });
        }
    }
    None
}

/// The function uses the map's entries as values (returns or passes on what a lookup found):
/// a cache or registry, not a set of keys seen.
fn used_as_cache(func: &FunctionIr, map: &Resource) -> bool {
    func.passed_on.iter().any(|&e| {
        let kind = &func.effects[e].kind;
        kind.in_process() && kind.resource().is_some_and(|r| r.same_as(map))
    })
}

/// The first act on the store's path that a duplicate would repeat: a call out, a write to
/// something other than the map, or awaited work the models do not know.
fn first_act(
    func: &FunctionIr,
    flow: &Flow,
    read_id: EffectId,
    store: EffectId,
) -> Option<EffectId> {
    let map = func.effects[read_id].kind.resource();
    (read_id + 1..func.effects.len()).find(|&a| {
        a != store
            && flow.compatible(a, store)
            && match &func.effects[a].kind {
                EffectKind::External { .. } => true,
                EffectKind::Call(site) => site.awaited,
                EffectKind::Write { kind, resource, .. } => {
                    let same_map = resource
                        .as_ref()
                        .zip(map)
                        .is_some_and(|(a, b)| a.same_as(b));
                    !matches!(kind, WriteKind::Put { .. }) && !same_map
                }
                _ => false,
            }
    })
}

/// A store into the map of a value that existed before the check: it marks the key as seen,
/// rather than keeping what was loaded or made for it.
fn marks_seen(kind: &EffectKind, map: &Resource, read_id: EffectId) -> bool {
    match kind {
        EffectKind::Write {
            kind: WriteKind::Put { made_at, .. },
            resource: Some(r),
            ..
        } => r.same_as(map) && made_at.map_or(true, |n| n <= read_id),
        _ => false,
    }
}

/// The entry is removed again when the work is done (anywhere: a spawned task or a `finally`
/// callback is lowered where it is written; not in a sweep over entries, not only on
/// failure): it marks work in flight in this process, which the in-process race covers, not
/// work done.
fn in_flight(func: &FunctionIr, flow: &Flow, map: &Resource) -> bool {
    (0..func.effects.len()).any(|d| {
        matches!(&func.effects[d].kind, EffectKind::Write { kind: WriteKind::Delete, resource: Some(r), .. } if r.same_as(map))
            && !flow.at[d].in_loop
            && flow.at[d].try_failures.is_empty()
    })
}

/// A claim every process shares, made after the check on the store's path, whose outcome the
/// code tests: the in-memory check is only a fast path in front of it.
fn shared_claim(func: &FunctionIr, flow: &Flow, read_id: EffectId, store: EffectId) -> bool {
    let in_memory = |c: EffectId| {
        matches!(
            func.effects[c].kind,
            EffectKind::Write {
                kind: WriteKind::Put { .. },
                ..
            }
        )
    };
    (read_id + 1..func.effects.len())
        .filter(|&c| flow.compatible(c, store) && !in_memory(c))
        .any(|c| decides_as_claim(func, flow, c))
}
