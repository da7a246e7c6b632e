//! What the project's unique keys say about a race on a check-then-insert: which key stops
//! the second row (and not what ran before it), or which key to declare, in the project's
//! own schema language.

use super::races::{unique_lookup, UniqueBy};
use crate::ir::{Effect, EffectKind, FieldEq, WriteKind};
use crate::schema::{Schema, Table};
use std::path::Path;

/// The note for an act that runs before the insert a unique key refuses: the key stops the
/// second row, not the act.
pub(super) fn stops_row_not_act(
    read: &Effect,
    act: &Effect,
    insert: &Effect,
    schema: &Schema,
) -> Option<String> {
    if !is_insert(insert) || insert.span.start <= act.span.start {
        return None;
    }
    let key = match unique_lookup(read, schema)? {
        UniqueBy::Lookup => format!("the unique key `{}` looks up", read.callee),
        UniqueBy::Declared(table, key) => format!(
            "the unique key on `{}({})` ({}:{})",
            table.name,
            key.fields.join(", "),
            shown(&key.file),
            key.line
        ),
    };
    Some(format!(
        "{key} stops the second row at line {}, not {} at line {}, which has run by then: write the row first and act only once it is in",
        insert.span.line,
        super::race_report::act_description(act),
        act.span.line
    ))
}

/// The unique key to declare so that the database refuses the second insert a check-then-
/// insert makes, when the check selects by fields no key covers.
pub(super) fn key_to_declare(read: &Effect, schema: &Schema) -> Option<String> {
    let EffectKind::Read { filter, .. } = &read.kind else {
        return None;
    };
    if unique_lookup(read, schema).is_some() {
        return None;
    }
    let fields: Vec<&str> = filter
        .iter()
        .filter(|f| f.constant.is_none())
        .map(|f| f.field.as_str())
        .collect();
    if fields.is_empty() {
        return None;
    }
    let resource = read.kind.resource()?;
    let Some(table) = schema.table(resource) else {
        return Some(format!(
            "a unique key on `{resource}({})` would make the database refuse the second insert: declare one, insert first and handle the duplicate-key error",
            fields.join(", ")
        ));
    };
    Some(declare_in(table, &fields, filter))
}

/// The declaration in the language of the file that declares the table.
pub(super) fn declare_in(table: &Table, fields: &[&str], filter: &[FieldEq]) -> String {
    let file = shown(&table.file);
    let states: Vec<String> = filter
        .iter()
        .filter_map(|f| Some(format!("{} = '{}'", f.field, f.constant.as_ref()?)))
        .collect();
    let partial = if states.is_empty() {
        String::new()
    } else {
        format!(
            " (a partial index `WHERE {}` if only those rows must be unique)",
            states.join(" AND ")
        )
    };
    match table.file.extension().and_then(|e| e.to_str()) {
        Some("prisma") => format!(
            "add `@@unique([{}])` to `model {}` in {file}{partial}, then create first and catch `P2002`",
            fields.join(", "),
            table.model
        ),
        Some("sql") => format!(
            "add a migration with `CREATE UNIQUE INDEX ON {} ({}){};`, then insert first with `ON CONFLICT DO NOTHING` and act only when a row was inserted",
            table.name,
            fields.join(", "),
            if states.is_empty() { String::new() } else { format!(" WHERE {}", states.join(" AND ")) }
        ),
        _ => format!(
            "declare a unique index on ({}) for `{}` where it is declared ({file}:{}){partial}, then insert first and handle the duplicate-key error",
            fields.join(", "),
            table.model,
            table.line
        ),
    }
}

/// Whether the write inserts into the table the read looked in.
pub(super) fn inserts_into(read: &Effect, write: &Effect) -> bool {
    is_insert(write)
        && match (read.kind.resource(), write.kind.resource()) {
            (Some(r), Some(w)) => r.same_as(w),
            _ => false,
        }
}

fn is_insert(e: &Effect) -> bool {
    matches!(
        e.kind,
        EffectKind::Write {
            kind: WriteKind::Insert,
            ..
        }
    )
}

/// A schema file as findings show it: relative to the working directory when under it.
fn shown(file: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| file.to_path_buf())
        .display()
        .to_string()
}
