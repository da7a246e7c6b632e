//! A readable text form of the IR, for debugging front-ends (`toctou dump-ir FILE`) and for
//! snapshot tests, so a front-end change shows as an IR diff.

use crate::ir::{
    walk, Block, Derived, Effect, EffectKind, FileIr, Filter, FunctionIr, Joined, Node, Part,
    ScopeKind, Test, TestKind, Visitor, WriteKind,
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
        let mut printer = Printer {
            out: &mut out,
            func,
            depth: 1,
        };
        walk(&mut printer, &func.body);
    }
    out
}

/// Prints each node on a line, nested blocks indented under it.
struct Printer<'o, 'f> {
    out: &'o mut String,
    func: &'f FunctionIr,
    depth: usize,
}

impl Printer<'_, '_> {
    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}{text}", "  ".repeat(self.depth));
    }
}

impl<'a> Visitor<'a> for Printer<'_, '_> {
    type Frame = ();

    fn enter(&mut self, node: &'a Node) {
        let text = match node {
            Node::Effect(id) => effect(*id, &self.func.effects[*id]),
            Node::Guard { guard, .. } => {
                let tests: Vec<String> = guard.tests.iter().map(test).collect();
                let joined = match guard.joined {
                    Joined::All => "",
                    Joined::Any => "any: ",
                    Joined::Mixed => "mixed: ",
                };
                format!("guard @{} ({joined}{})", guard.span.line, tests.join("; "))
            }
            Node::Loop(_) => "loop".to_string(),
            Node::Try {
                catches_unique_violation,
                ..
            } => {
                let unique = if *catches_unique_violation {
                    " catches-unique"
                } else {
                    ""
                };
                format!("try{unique}")
            }
            Node::Scope { kind, .. } => {
                let k = match kind {
                    ScopeKind::Txn(t) => format!("txn#{t}"),
                    ScopeKind::Lock { library } => format!("lock {library}"),
                    ScopeKind::Call { function } => format!("call {function}"),
                    ScopeKind::Callback { call } => format!("callback of e{call}"),
                };
                format!("scope {k}")
            }
            Node::Exit(span) => format!("exit @{}", span.line),
            Node::Fail(span) => format!("fail @{}", span.line),
            Node::Macro { name, span } => format!("macro {name}! @{}", span.line),
        };
        self.line(&text);
    }

    /// A guard's `else` and a `try`'s `finally` show only when they hold something; a
    /// `catch` always shows.
    fn block(&mut self, _: &mut (), part: Part, block: &'a Block) {
        match part {
            Part::Otherwise | Part::Finally if block.is_empty() => return,
            Part::Otherwise => self.line("else"),
            Part::Catch => self.line("catch"),
            Part::Finally => self.line("finally"),
            _ => {}
        }
        self.depth += 1;
        walk(self, block);
        self.depth -= 1;
    }
}

fn test(t: &Test) -> String {
    match &t.kind {
        TestKind::Presence { present_when_true } => {
            let state = if *present_when_true {
                "present"
            } else {
                "absent"
            };
            format!("e{} {state}", t.effect)
        }
        TestKind::Value { fields } => format!("e{} value[{}]", t.effect, fields.join(",")),
    }
}

fn effect(id: usize, e: &Effect) -> String {
    let txn = e.txn.map(|t| format!(" in txn#{t}")).unwrap_or_default();
    let by = [e.library.as_str(), e.callee.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    format!("e{id} @{} {} [{by}]{txn}", e.span.line, what(&e.kind))
}

/// ` by[order_id,status=pending]`: the fields a read selects by, with their constants, and
/// `..` when it has other conditions.
fn filter_text(filter: &Filter) -> String {
    if filter.equalities.is_empty() && !filter.more {
        return String::new();
    }
    let mut fields: Vec<String> = filter
        .equalities
        .iter()
        .map(|f| match &f.constant {
            Some(c) => format!("{}={c}", f.field),
            None => f.field.clone(),
        })
        .collect();
    if filter.more {
        fields.push("..".to_string());
    }
    format!(" by[{}]", fields.join(","))
}

/// What an effect does, with its flags.
fn what(kind: &EffectKind) -> String {
    match kind {
        EffectKind::Read {
            resource,
            locking,
            window,
            fresh_key,
            filters_state,
            in_process,
            unique_key,
            aggregate,
            filter,
        } => format!(
            "read {}{}{}{}{}{}{}{}{}",
            res(resource.as_ref()),
            if *locking { " locking" } else { "" },
            if *window { " window" } else { "" },
            if *fresh_key { " fresh-key" } else { "" },
            if *filters_state { " state-filter" } else { "" },
            if *in_process { " in-process" } else { "" },
            if *unique_key { " unique-key" } else { "" },
            if *aggregate { " aggregate" } else { "" },
            filter_text(filter)
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
            refuses,
            ..
        } => format!(
            "fs-write {op} {path}{}{}",
            if *exclusive { " exclusive" } else { "" },
            if *refuses { " refuses" } else { "" }
        ),
        EffectKind::Claim {
            resource,
            key,
            ttl_ms,
        } => format!(
            "claim {}{}",
            res(resource.as_ref()),
            key_and_ttl(key.as_deref(), *ttl_ms)
        ),
        EffectKind::KvPut { key, ttl_ms } => {
            format!("kv-put{}", key_and_ttl(key.as_deref(), *ttl_ms))
        }
        EffectKind::Lock {
            in_process: true, ..
        } => "lock in-process".into(),
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
    }
}

fn key_and_ttl(key: Option<&str>, ttl_ms: Option<u64>) -> String {
    let key = key.map(|k| format!(" key[{k}]")).unwrap_or_default();
    let ttl = ttl_ms.map(|t| format!(" ttl[{t}ms]")).unwrap_or_default();
    key + &ttl
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
        WriteKind::Insert { fresh } if !fresh.is_empty() => {
            format!("Insert fresh[{}]", fresh.join(","))
        }
        WriteKind::Update { derived: d } => format!("Update{}", derived(d)),
        WriteKind::Conditional { derived: d } => format!("Conditional{}", derived(d)),
        WriteKind::Put { made_at, .. } => match made_at {
            Some(n) => format!("Put made-at[{n}]"),
            None => "Put".into(),
        },
        other => format!("{other:?}"),
    }
}
