//! `process-local-dedup`: a duplicate check kept in one process's memory.

use super::flow::{decides_as_claim, End, Flow};
use super::links::Calls;
use super::{declare_rule, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{EffectId, EffectKind, FunctionIr, Resource, TestKind, WriteKind};

declare_rule! {
    /// ## What it does
    /// Finds a duplicate check kept in the process's memory: a module-level `Map`, `Set` or
    /// LRU cache in TypeScript/JavaScript, a `static`, `OnceLock`, `lazy_static` or app-state
    /// `HashMap`/`HashSet`/`DashMap`/`moka` cache in Rust, consulted (`has`, `get`,
    /// `contains_key`) and then given the key (`add`, `set`, `insert`) on the path where the
    /// key was not there. It stays quiet on caches whose entries the code uses (the cached
    /// value is returned or passed on), on maps a function builds for itself, and when a
    /// claim every process shares decides after the in-memory check (`SET key NX` tested, an
    /// insert whose duplicate error is handled, a conditional update whose count is tested).
    /// It also stays quiet in a user-interface client, a package whose nearest
    /// `package.json` or `Cargo.toml` depends on a UI framework (`react-dom`, `vue`,
    /// `svelte`, `@angular/core`, `electron`, `tauri`..) and on no server framework
    /// (`express`, `@nestjs/core`, `next`, `axum`, `actix-web`..): each user has a process of
    /// their own there, and no other instance sees that user's clicks.
    ///
    /// ## Why is this bad?
    /// Each process has its own map. Behind a load balancer, a retry, a queue redelivery or a
    /// double click reaches another pod, whose map has never seen the key, and the work runs
    /// twice; a deploy or a crash empties every map. Where the check and the store are two
    /// steps, two requests inside one process can also both pass between them.
    ///
    /// ## Example
    /// ```ts
    /// const processed = new Set<string>();
    /// app.post('/webhooks/stripe', async (req, res) => {
    ///   if (processed.has(req.body.id)) return res.sendStatus(200);
    ///   processed.add(req.body.id);
    ///   await fulfil(req.body);
    /// });
    /// ```
    /// Stripe delivers `evt_1` to pod 1, which records it and starts fulfilment. The
    /// acknowledgement is slow, Stripe redelivers to pod 3, whose set is empty: the order is
    /// fulfilled twice.
    ///
    /// ## Fix
    /// Claim the key where every process sees it, atomically, before acting: Redis
    /// `SET key 1 NX PX <ms>` and act only on `OK`, or an insert under a unique key (`ON
    /// CONFLICT DO NOTHING RETURNING`, a caught duplicate-key error). An in-memory set may
    /// stay in front of that claim as a fast path.
    ///
    /// ## Known limits
    /// A service that really runs as one process can turn the rule off in `toctou.toml`.
    pub struct ProcessLocalDedup {
        id: "process-local-dedup",
        level: Severity::Warning,
        languages: &["typescript", "javascript", "rust"],
        summary: "a duplicate check kept in one process's memory, unseen by the service's other processes",
        links: super::Links::Linked,
    }
}

/// A read of in-process state that works as a duplicate check.
pub(super) struct Dedup {
    pub guard: usize,
    /// The store that records the key.
    pub store: EffectId,
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
        let on_unseen = |e: EffectId| flow.at[e].guards.contains(&(g, unseen));
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
        let seen = (g, !unseen);
        let answers = flow.end(g, !unseen) == End::Leaves
            && (0..func.effects.len()).any(|e| flow.at[e].guards.contains(&seen));
        if (answers || first_act(func, flow, read_id, store).is_some())
            && !shared_claim(func, flow, read_id, store)
        {
            return Some(Dedup { guard: g, store });
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

pub fn check(func: &FunctionIr, flow: &Flow, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    // A client's memory is its one user's: no other instance sees that user's requests.
    if cx.client {
        return;
    }
    for read_id in 0..func.effects.len() {
        if let Some(d) = dedup(func, flow, read_id) {
            out.push(diagnostic(func, flow, cx, read_id, &d));
        }
    }
}

fn diagnostic(
    func: &FunctionIr,
    flow: &Flow,
    cx: &RuleContext,
    read_id: EffectId,
    d: &Dedup,
) -> Diagnostic {
    let read = &func.effects[read_id];
    let store = &func.effects[d.store];
    let guard = flow.guards[d.guard];
    let map = read
        .kind
        .resource()
        .map_or_else(|| read.callee.clone(), |r| r.to_string());
    let (rl, gl, sl) = (read.span.line, guard.span.line, store.span.line);
    let act = first_act(func, flow, read_id, d.store);
    let mut secondary = vec![
        Label::new(
            guard.span,
            "a duplicate is turned away here only if this process saw the key",
        ),
        Label::at(store, "the key is recorded in this process's memory only"),
    ];
    // A's check is shown at the test when it is written on the lookup's line (`if (seen.has(id))`).
    let check_site = if guard.span.line == rl {
        guard.span
    } else {
        read.span
    };
    let mut steps = vec![
        Step::new(Actor::A, check_site, format!("request A reaches instance 1 and checks `{map}` at line {rl}: the key is not there")),
        Step::new(Actor::A, store.span, format!("A records the key at line {sl}, in instance 1's memory")),
        Step::new(Actor::B, read.span, format!("request B for the same key (a client retry, a queue redelivery, a double click) reaches instance 2, or instance 1 after a restart: its `{map}` has never seen the key")),
        Step::new(Actor::B, guard.span, format!("B passes the check at line {gl}")),
    ];
    let mut severity = ProcessLocalDedup::META.level;
    let what = match act.map(|a| &func.effects[a]) {
        Some(act) => {
            let name = match &act.kind {
                EffectKind::External {
                    operation,
                    provider,
                    ..
                } => {
                    severity = Severity::Error;
                    format!("`{operation}` ({provider})")
                }
                _ => format!("`{}`", act.callee),
            };
            secondary.push(Label::at(act, "runs again for the duplicate"));
            steps.push(Step::new(
                Actor::Both,
                act.span,
                format!(
                    "both run {name} at line {}: the work happens twice",
                    act.span.line
                ),
            ));
            name
        }
        None => {
            steps.push(Step::new(
                Actor::Both,
                read.span,
                "both go on to do the work the check was meant to do once",
            ));
            "the work that follows".into()
        }
    };
    let mut notes = Vec::new();
    if store.turn != read.turn {
        notes.push(format!(
            "within one instance, too, the check at line {rl} and the store at line {sl} are separate steps: two concurrent requests can both pass before either stores the key"
        ));
    }
    let help = cx
        .models
        .help(&read.library, ProcessLocalDedup::META.id)
        .unwrap_or("claim the key where every process sees it, atomically, before acting: Redis `SET key 1 NX PX <ms>`, or an insert under a unique key whose duplicate error you handle")
        .to_string();
    Diagnostic {
        severity,
        secondary,
        steps,
        notes,
        help,
        ..cx.diagnostic(&ProcessLocalDedup::META, func, format!(
            "`{map}` guards {what} against duplicates only inside this process: another instance of the service, or this one after a restart, has never seen the key"
        ), Label::at(read, format!("checks `{map}`, which lives in this process's memory")))
    }
}
