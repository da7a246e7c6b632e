//! A readable text form of the IR, for debugging front-ends (`toctou dump-ir FILE`) and for
//! snapshot tests, so a front-end change shows as an IR diff.

use crate::ir::{
    Block, Derived, Effect, EffectKind, FileIr, FunctionIr, Node, ScopeKind, TestKind, WriteKind,
};
use std::fmt::Write;

pub fn dump(file: &FileIr) -> String {
    let mut out = String::new();
    for note in &file.notes {
        let line = note
            .span
            .map(|s| format!("{}: ", s.line))
            .unwrap_or_default();
        let _ = writeln!(out, "note {line}{}", note.message);
    }
    for func in &file.functions {
        let _ = writeln!(out, "fn {} @{}", func.name, func.span.line);
        for (i, t) in func.txns.iter().enumerate() {
            let pool = if t.on_pool { " on-pool" } else { "" };
            let _ = writeln!(out, "  txn#{i} @{} {:?}{pool}", t.span.line, t.isolation);
        }
        block(&mut out, func, &func.body, 1);
    }
    out
}

fn block(out: &mut String, func: &FunctionIr, body: &Block, depth: usize) {
    let pad = "  ".repeat(depth);
    for node in body {
        match node {
            Node::Effect(id) => {
                let _ = writeln!(out, "{pad}{}", effect(*id, &func.effects[*id]));
            }
            Node::Guard {
                guard,
                then,
                otherwise,
            } => {
                let tests: Vec<String> = guard
                    .tests
                    .iter()
                    .map(|t| match &t.kind {
                        TestKind::Presence { present_when_true } => {
                            format!(
                                "e{} {}",
                                t.effect,
                                if *present_when_true {
                                    "present"
                                } else {
                                    "absent"
                                }
                            )
                        }
                        TestKind::Value { fields } => {
                            format!("e{} value[{}]", t.effect, fields.join(","))
                        }
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "{pad}guard @{} ({})",
                    guard.span.line,
                    tests.join("; ")
                );
                block(out, func, then, depth + 1);
                if !otherwise.is_empty() {
                    let _ = writeln!(out, "{pad}else");
                    block(out, func, otherwise, depth + 1);
                }
            }
            Node::Loop(b) => {
                let _ = writeln!(out, "{pad}loop");
                block(out, func, b, depth + 1);
            }
            Node::Try {
                body,
                catch,
                finally,
                catches_unique_violation,
            } => {
                let unique = if *catches_unique_violation {
                    " catches-unique"
                } else {
                    ""
                };
                let _ = writeln!(out, "{pad}try{unique}");
                block(out, func, body, depth + 1);
                let _ = writeln!(out, "{pad}catch");
                block(out, func, catch, depth + 1);
                if !finally.is_empty() {
                    let _ = writeln!(out, "{pad}finally");
                    block(out, func, finally, depth + 1);
                }
            }
            Node::Scope { kind, body } => {
                let k = match kind {
                    ScopeKind::Txn(t) => format!("txn#{t}"),
                    ScopeKind::Lock { library } => format!("lock {library}"),
                    ScopeKind::Call { function } => format!("call {function}"),
                    ScopeKind::Callback { call } => format!("callback of e{call}"),
                };
                let _ = writeln!(out, "{pad}scope {k}");
                block(out, func, body, depth + 1);
            }
            Node::Exit(span) => {
                let _ = writeln!(out, "{pad}exit @{}", span.line);
            }
            Node::Fail(span) => {
                let _ = writeln!(out, "{pad}fail @{}", span.line);
            }
        }
    }
}

fn effect(id: usize, e: &Effect) -> String {
    let txn = e.txn.map(|t| format!(" in txn#{t}")).unwrap_or_default();
    let what = match &e.kind {
        EffectKind::Read {
            resource,
            locking,
            window,
            fresh_key,
            filters_state,
            in_process,
            unique_key,
        } => format!(
            "read {}{}{}{}{}{}{}",
            res(resource.as_ref()),
            if *locking { " locking" } else { "" },
            if *window { " window" } else { "" },
            if *fresh_key { " fresh-key" } else { "" },
            if *filters_state { " state-filter" } else { "" },
            if *in_process { " in-process" } else { "" },
            if *unique_key { " unique-key" } else { "" }
        ),
        EffectKind::Write {
            resource,
            kind,
            sets,
        } => {
            format!(
                "write {} {} sets[{}]",
                res(resource.as_ref()),
                write_kind(kind),
                sets.join(",")
            )
        }
        EffectKind::FsCheck { path } => format!("fs-check {path}"),
        EffectKind::FsWrite {
            path,
            op,
            exclusive,
            ..
        } => format!(
            "fs-write {op} {path}{}",
            if *exclusive { " exclusive" } else { "" }
        ),
        EffectKind::Claim {
            resource,
            key,
            ttl_ms,
        } => format!(
            "claim {}{}{}",
            res(resource.as_ref()),
            key.as_ref()
                .map(|k| format!(" key[{k}]"))
                .unwrap_or_default(),
            ttl_ms.map(|t| format!(" ttl[{t}ms]")).unwrap_or_default()
        ),
        EffectKind::KvPut { key, ttl_ms } => format!(
            "kv-put{}{}",
            key.as_ref()
                .map(|k| format!(" key[{k}]"))
                .unwrap_or_default(),
            ttl_ms.map(|t| format!(" ttl[{t}ms]")).unwrap_or_default()
        ),
        EffectKind::Lock { .. } => "lock".into(),
        EffectKind::Unlock => "unlock".into(),
        EffectKind::Call(site) => {
            format!(
                "call {}{}{}",
                site.path.join("."),
                site.receiver_type
                    .as_ref()
                    .map(|t| format!(" on {t}"))
                    .unwrap_or_default(),
                if site.awaited { " awaited" } else { "" },
            ) + &site
                .callbacks
                .iter()
                .map(|c| format!(" callback@{c}"))
                .collect::<String>()
        }
        EffectKind::TxnBegin(t) => format!("begin txn#{t}"),
        EffectKind::TxnEnd(t) => format!("end txn#{t}"),
        EffectKind::External {
            provider,
            operation,
            key,
            ..
        } => {
            let key = key.as_ref().map(|k| {
                let stable = if k.is_stable() { "stable" } else { "unstable" };
                format!(" key({stable}: {})", k.text)
            });
            format!("external {provider} {operation}{}", key.unwrap_or_default())
        }
        EffectKind::KeyDerivation { name, sources } => format!("key {name} {sources:?}"),
    };
    let by = [e.library.as_str(), e.callee.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    format!("e{id} @{} {what} [{by}]{txn}", e.span.line)
}

fn res(r: Option<&crate::ir::Resource>) -> String {
    r.map_or_else(|| "?".into(), |r| r.name().to_string())
}

fn write_kind(kind: &WriteKind) -> String {
    let derived = |d: &Derived| match d {
        Derived::Nothing => String::new(),
        Derived::Fields(fields) => format!(" derived[{}]", fields.join(",")),
        Derived::Unknown => " derived[?]".into(),
    };
    match kind {
        WriteKind::Update { derived: d } => format!("Update{}", derived(d)),
        WriteKind::Conditional { derived: d } => format!("Conditional{}", derived(d)),
        WriteKind::Put { made_at, .. } => match made_at {
            Some(n) => format!("Put made-at[{n}]"),
            None => "Put".into(),
        },
        other => format!("{other:?}"),
    }
}
