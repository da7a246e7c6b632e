//! `process-local-dedup`: a duplicate check kept in one process's memory.

use super::dedups::Dedup;
use super::flow::Flow;
use super::{declare_rule, weight, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{EffectId, EffectKind, FunctionIr};

declare_rule! {
    /// ## What it does
    /// Finds a duplicate check kept in the process's memory: a module-level `Map`, `Set` or LRU
    /// cache in TypeScript/JavaScript, a `static`, `OnceLock`, `lazy_static` or app-state
    /// `HashMap`/`HashSet`/`DashMap` or cache (`moka`, `quick_cache`, `lru`, `cached`) in Rust,
    /// consulted (`has`, `get`, `contains_key`, `cache_get`) and then given the key (`add`,
    /// `set`, `insert`, `put`, `cache_set`) on the path where the key was not there. It stays
    /// quiet on caches whose entries the code uses (the cached value is returned or passed on),
    /// on maps a function builds for itself, and when a claim every process shares decides
    /// after the in-memory check (`SET key NX` tested, an insert whose duplicate error is
    /// handled, a conditional update whose count is tested). It also stays quiet in a
    /// user-interface client, a package whose nearest `package.json` or `Cargo.toml` depends on
    /// a UI framework (`react-dom`, `vue`, `svelte`, `@angular/core`, `electron`, `tauri`..)
    /// and on no server framework (`express`, `@nestjs/core`, `next`, `axum`, `actix-web`..):
    /// each user has a process of their own there, and no other instance sees that user's
    /// clicks.
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
    ///
    /// ## Related rules
    /// A race whose check is a duplicate check in process memory is this rule's alone:
    /// `check-then-act`, `time-window-dedup` and `side-effect-before-claim` stay quiet at it (one
    /// table, `RACE_OWNERS` in `src/rules/mod.rs`), also in a user-interface client where this rule
    /// is quiet itself. `missing-idempotency-key` reports the act's missing key as well, at error
    /// level.
    pub struct ProcessLocalDedup {
        id: "process-local-dedup",
        level: Severity::Warning,
        languages: &["typescript", "javascript", "rust"],
        summary: "a duplicate check kept in one process's memory, unseen by the service's other processes",
        links: super::Links::Linked,
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let flow = &shared.flow;
    // A client's memory is its one user's: no other instance sees that user's requests.
    if cx.client {
        return;
    }
    for (read_id, d) in &shared.dedups {
        out.push(diagnostic(func, flow, cx, *read_id, d));
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
    let map = read.subject();
    let (rl, gl, sl) = (read.span.line, guard.span.line, store.span.line);
    let act = d.act;
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
                    severity = weight::external_level(act);
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
    let security = act.and_then(|a| weight::security(false, false, &func.effects[a]));
    let mut message = format!(
        "`{map}` guards {what} against duplicates only inside this process: another instance of the service, or this one after a restart, has never seen the key"
    );
    if let Some(s) = security {
        severity = Severity::Error;
        message = format!("{message}; {}", s.sentence());
    }
    Diagnostic {
        severity,
        secondary,
        steps,
        notes,
        help,
        security,
        ..cx.diagnostic(
            &ProcessLocalDedup::META,
            func,
            message,
            Label::at(
                read,
                format!("checks `{map}`, which lives in this process's memory"),
            ),
        )
    }
}
