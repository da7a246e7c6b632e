//! What the project's unique keys say about a race on a check-then-insert: which key stops
//! the second row (and not what ran before it), or which key to declare, in the project's
//! own schema language.

use super::flow::Flow;
use super::races::same_resource;
use crate::ir::{same_field, Effect, EffectId, EffectKind, FieldEq, FunctionIr, WriteKind};
use crate::schema::{Key, KeyKind, Schema, Syntax, Table};

/// What keeps a key unique, so that the database refuses a second row of it.
#[derive(Clone, Copy)]
pub(super) enum UniqueBy<'s> {
    /// The lookup itself takes only a unique key (`findUnique`).
    Lookup,
    /// A key the schema declares.
    Declared(&'s Table, &'s Key),
}

impl UniqueBy<'_> {
    /// The key as a finding names it: "the unique key on `users(email)` (schema.prisma:12)".
    pub(super) fn describe(self, read: &Effect) -> String {
        match self {
            UniqueBy::Lookup => format!("the unique key `{}` looks up", read.callee),
            UniqueBy::Declared(table, key) => format!(
                "the unique key on `{}({})` ({}:{})",
                table.name,
                key.fields.join(", "),
                key.file.display(),
                key.line
            ),
        }
    }
}

/// Why the database refuses a second insert of the key a lookup did not find, which then
/// decides as a claim would (the loser gets an error, nothing is done twice): the model says
/// the lookup is by a unique key (`findUnique`), or a key of the project's schema covers the
/// fields it selects by.
pub(super) fn unique_lookup<'s>(read: &Effect, schema: &'s Schema) -> Option<UniqueBy<'s>> {
    let EffectKind::Read {
        unique_key, filter, ..
    } = &read.kind
    else {
        return None;
    };
    // The declared key names itself better than the lookup that relies on it.
    let declared = read
        .kind
        .resource()
        .and_then(|r| schema.table(r))
        .and_then(|t| Some(UniqueBy::Declared(t, t.key_covering(&filter.equalities)?)));
    declared.or(unique_key.then_some(UniqueBy::Lookup))
}

/// The key that refuses a second run's copy of an insert by the row's own values: a unique
/// key, or a composite primary key, whose every column the insert sets to a value that is not
/// made fresh for the row. A second run of the same request sets the same values; a
/// single-column primary key is left out, as code that sets one usually makes it up
/// (`id: generateId()` through a helper the analysis does not see into).
fn refused_twice<'s>(insert: &Effect, schema: &'s Schema) -> Option<UniqueBy<'s>> {
    let EffectKind::Write {
        kind: WriteKind::Insert { fresh },
        resource: Some(resource),
        sets,
    } = &insert.kind
    else {
        return None;
    };
    let table = schema.table(resource)?;
    let set: Vec<String> = sets
        .iter()
        .filter(|field| !fresh.contains(field))
        .cloned()
        .collect();
    table
        .keys
        .iter()
        .filter(|k| k.kind == KeyKind::Unique || k.fields.len() > 1)
        .find(|k| k.predicate.is_none() && fills(table, k, &set))
        .map(|key| UniqueBy::Declared(table, key))
}

/// An insert on the act's path, between the check and the act, that the database refuses
/// the second time: into the table the read looked a unique key up in, or under a key of its
/// own values (into the read's own table only when the read's filter is unknown, see
/// [`selects_by_known_fields`]). The second request's error stops it before the act.
pub(super) fn refused_between(
    func: &FunctionIr,
    flow: &Flow,
    read_id: EffectId,
    act_id: EffectId,
    schema: &Schema,
) -> Option<EffectId> {
    let read = &func.effects[read_id];
    (read_id + 1..act_id).find(|&w| {
        let refused = refuses_copy(read, &func.effects[w], schema).is_some();
        refused && flow.compatible(w, act_id) && flow.refusal_stops(w, act_id)
    })
}

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
    let key = refuses_copy(read, insert, schema)?.describe(read);
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
    // With conditions besides its equalities, the check's key is not known.
    if filter.more || unique_lookup(read, schema).is_some() {
        return None;
    }
    let fields: Vec<&str> = filter
        .equalities
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
    Some(declare_in(table, &fields, &filter.equalities))
}

/// The declaration in the language of the file that declares the table.
pub(super) fn declare_in(table: &Table, fields: &[&str], filter: &[FieldEq]) -> String {
    let file = table.file.display();
    let column = table.syntax == Syntax::Migration;
    let names: Vec<String> = fields.iter().map(|f| spelled(table, f, column)).collect();
    let states: Vec<String> = filter
        .iter()
        .filter_map(|f| {
            let constant = f.constant.as_ref()?;
            Some(format!(
                "{} = '{constant}'",
                spelled(table, &f.field, column)
            ))
        })
        .collect();
    let partial = if states.is_empty() {
        String::new()
    } else {
        format!(
            " (a partial index `WHERE {}` if only those rows must be unique)",
            states.join(" AND ")
        )
    };
    let (keyed, listed, quoted_list) = (
        names.join(", "),
        names.join("`, `"),
        names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let at = format!("{file}:{}", table.line);
    let model = &table.model;
    let declaration = match table.syntax {
        Syntax::Prisma => {
            return format!("add `@@unique([{keyed}])` to `model {model}` in {file}{partial}, then create first and catch `P2002`")
        }
        Syntax::Migration => {
            let condition = if states.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", states.join(" AND "))
            };
            let table = quoted(&table.name);
            return format!(
                "add a migration with `CREATE UNIQUE INDEX ON {table} ({keyed}){condition};`, then insert first with `ON CONFLICT DO NOTHING` and act only when a row was inserted"
            );
        }
        Syntax::TypeOrm => format!("add `@Unique([{quoted_list}])` to the entity `{model}` ({at}){partial}"),
        Syntax::MikroOrm => format!("add `@Unique({{ properties: [{quoted_list}] }})` to the entity `{model}` ({at}){partial}"),
        Syntax::Sequelize => format!("add `{{ unique: true, fields: [{quoted_list}] }}` to the `indexes` of the model `{model}` ({at}){partial}"),
        Syntax::Mongoose => {
            let spec: Vec<String> = names.iter().map(|n| format!("{n}: 1")).collect();
            return format!("add `.index({{ {} }}, {{ unique: true }})` to the schema of `{model}` ({at}){partial}, then insert first and catch error `11000`", spec.join(", "));
        }
        Syntax::Drizzle => {
            let on: Vec<String> = names.iter().map(|n| format!("t.{n}")).collect();
            format!("add `uniqueIndex().on({})` to the table `{model}` ({at}){partial}", on.join(", "))
        }
        Syntax::SeaOrm => format!("declare `{listed}` unique on the entity `{model}` ({at}) with `#[sea_orm(unique)]` (one column) or a migration's `Index::create().unique()`{partial}"),
    };
    format!("{declaration}, then insert first and handle the duplicate-key error")
}

/// A field as the table's own declaration spells it: its column (`externalId` is
/// `external_id`, quoted when Postgres would fold its case: `"pushToken"`) when `column`,
/// else its field name in the schema language (`team_id` is Prisma's `teamId`).
pub(super) fn spelled(table: &Table, field: &str, column: bool) -> String {
    let mapped = table.columns.iter().find_map(|(f, c)| {
        let (from, to) = if column { (f, c) } else { (c, f) };
        same_field(from, field).then(|| to.clone())
    });
    let declared = || {
        table
            .lines
            .iter()
            .map(|(word, _)| word)
            .find(|word| same_field(word, field))
            .cloned()
    };
    let name = mapped
        .or_else(declared)
        .unwrap_or_else(|| field.to_string());
    if column {
        quoted(&name)
    } else {
        name
    }
}

/// An SQL name as written in a migration: quoted when it has capitals.
fn quoted(name: &str) -> String {
    if name.chars().any(char::is_uppercase) {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

/// The key that refuses the copy of `insert` a second request makes after passing the same
/// check: the key the read looked up, for an insert into its table; else a key of the row's
/// own values, for an insert into another table or after a check whose filter is unknown.
pub(super) fn refuses_copy<'s>(
    read: &Effect,
    insert: &Effect,
    schema: &'s Schema,
) -> Option<UniqueBy<'s>> {
    let same = same_resource(read, insert);
    let by_read = unique_lookup(read, schema).filter(|_| same && is_insert(insert));
    let by_row = || {
        (!same || !selects_by_known_fields(read))
            .then(|| refused_twice(insert, schema))
            .flatten()
    };
    by_read.or_else(by_row)
}

/// An insert into a table the schema declares, setting known columns none of whose keys it
/// fills: no row ever conflicts with it, so `ON CONFLICT DO NOTHING` always inserts and a
/// caught duplicate-key error never comes. (A primary key the database fills, a serial id,
/// conflicts with nothing either.)
pub(super) fn never_conflicts(insert: &Effect, schema: &Schema) -> bool {
    let EffectKind::Write {
        kind: WriteKind::Insert { .. } | WriteKind::InsertIgnore,
        resource: Some(resource),
        sets,
    } = &insert.kind
    else {
        return false;
    };
    let Some(table) = schema.table(resource) else {
        return false;
    };
    !sets.is_empty() && !table.keys.iter().any(|k| fills(table, k, sets))
}

/// Whether the columns set give every column of the key a value.
fn fills(table: &Table, key: &Key, sets: &[String]) -> bool {
    !key.fields.is_empty()
        && key
            .fields
            .iter()
            .all(|k| sets.iter().any(|s| table.same_column(k, s)))
}

/// Whether the read's filter is known: then it, not the inserted row, says which rows two
/// requests passing the check share (a check by `email` against a key on `(workspace_id,
/// email)` lets rows of two workspaces in). Unknown (`OR: [{ email }, { teamId }]`, a filter
/// built elsewhere), the inserted row's own key is what the two share.
fn selects_by_known_fields(read: &Effect) -> bool {
    matches!(&read.kind, EffectKind::Read { filter, .. } if !filter.more && !filter.equalities.is_empty())
}

/// Whether the write inserts into the table the read looked in.
pub(super) fn inserts_into(read: &Effect, write: &Effect) -> bool {
    is_insert(write)
        && match (read.kind.resource(), write.kind.resource()) {
            (Some(r), Some(w)) => r.same_as(w),
            _ => false,
        }
}

pub(super) fn is_insert(e: &Effect) -> bool {
    matches!(
        e.kind,
        EffectKind::Write {
            kind: WriteKind::Insert { .. },
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn advice(syntax: Syntax, file: &str) -> String {
        let mut table = Table::new("Invite", Path::new(file), 7).declared_in(syntax);
        table.columns.push(("teamId".into(), "team_id".into()));
        declare_in(&table, &["email", "team_id"], &[])
    }

    #[test]
    fn the_key_to_declare_is_written_in_the_tables_own_language() {
        let cases = [
            (
                Syntax::Prisma,
                "schema.prisma",
                "add `@@unique([email, teamId])` to `model Invite`",
            ),
            (
                Syntax::Migration,
                "1.sql",
                "`CREATE UNIQUE INDEX ON \"Invite\" (email, team_id);`",
            ),
            (
                Syntax::TypeOrm,
                "invite.ts",
                "add `@Unique(['email', 'teamId'])` to the entity `Invite` (invite.ts:7)",
            ),
            (
                Syntax::Mongoose,
                "invite.ts",
                "add `.index({ email: 1, teamId: 1 }, { unique: true })`",
            ),
            (
                Syntax::Drizzle,
                "schema.ts",
                "add `uniqueIndex().on(t.email, t.teamId)` to the table `Invite`",
            ),
            (
                Syntax::Sequelize,
                "invite.js",
                "`{ unique: true, fields: ['email', 'teamId'] }`",
            ),
        ];
        for (syntax, file, expected) in cases {
            let advice = advice(syntax, file);
            assert!(advice.contains(expected), "{syntax:?}: {advice}");
        }
    }
}
