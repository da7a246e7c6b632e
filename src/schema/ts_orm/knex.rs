//! knex migrations: `knex.schema.createTable('orders', (t) => { .. })` and `alterTable` (or
//! `table`) with `t.increments()`, `t.string('key').unique()`, `.primary()`, `t.unique([..])`,
//! `t.primary([..])`, `t.dropUnique([..])`, `t.dropPrimary()`, `t.renameColumn(a, b)`; and
//! the schema's `dropTable`, `dropTableIfExists` and `renameTable` (Kysely's too).

use super::{altered, chain, Link, Source};
use crate::schema::{KeyKind, Table};
use tree_sitter::Node;

pub(super) fn apply(src: &Source, tables: &mut Vec<Table>) {
    for links in src.chains() {
        for link in &links {
            let on_schema =
                super::receiver(link.node).is_some_and(|r| src.text(r).contains("schema"));
            let Some(name) = link
                .args
                .first()
                .and_then(|a| src.string(*a))
                .filter(|_| on_schema)
            else {
                continue;
            };
            match (link.name.as_str(), link.args.get(1)) {
                ("createTable" | "createTableIfNotExists", Some(callback)) => {
                    tables.retain(|t| t.name != name);
                    tables.push(src.table(&name, link.node));
                    build(src, tables, &name, *callback);
                }
                ("alterTable" | "table", Some(callback)) => {
                    altered(tables, src, &name, link.node);
                    build(src, tables, &name, *callback);
                }
                ("dropTable" | "dropTableIfExists", _) => tables.retain(|t| t.name != name),
                ("renameTable", Some(to)) => {
                    let to = src.string(*to);
                    if let Some((table, to)) = tables.iter_mut().find(|t| t.name == name).zip(to) {
                        table.name = to;
                    }
                }
                _ => {}
            }
        }
    }
}

/// The statements of a table builder callback, applied to the table.
fn build(src: &Source, tables: &mut [Table], name: &str, callback: Node) {
    let Some(builder) = parameter(callback).map(|p| src.text(p)) else {
        return;
    };
    let Some(table) = tables.iter_mut().find(|t| t.name == name) else {
        return;
    };
    for call in src
        .within(callback)
        .filter(|n| n.kind() == "call_expression")
    {
        let is_statement = !super::is_inner_link(call);
        let links = chain(call, src.text);
        let on_builder = links
            .first()
            .and_then(|l| super::receiver(l.node))
            .is_some_and(|r| src.text(r) == builder);
        if is_statement && on_builder {
            statement(src, table, &links);
        }
    }
}

/// The first parameter of a callback: `t` in `(t) => ..`, `t => ..`, `function (t) {..}`.
fn parameter(callback: Node) -> Option<Node> {
    if let Some(single) = callback.child_by_field_name("parameter") {
        return Some(single);
    }
    let first = callback.child_by_field_name("parameters")?.named_child(0)?;
    Some(first.child_by_field_name("pattern").unwrap_or(first))
}

fn statement(src: &Source, table: &mut Table, links: &[Link]) {
    let Some(first) = links.first() else { return };
    let arg = |i: usize| first.args.get(i).copied();
    let strings = |i: usize| arg(i).and_then(|a| src.strings(a));
    // `'name'` or `{ indexName: 'name' }` / `{ constraintName: 'name' }`.
    let name = |a: Option<Node>| {
        a.and_then(|a| {
            src.string(a).or_else(|| {
                ["indexName", "constraintName"]
                    .iter()
                    .find_map(|k| src.prop(a, k).and_then(|n| src.string(n)))
            })
        })
    };
    match first.name.as_str() {
        "increments" | "bigIncrements" | "bigincrements" => {
            if !arg(1)
                .and_then(|o| src.prop(o, "primaryKey"))
                .is_some_and(|v| v.kind() == "false")
            {
                let column = arg(0)
                    .and_then(|a| src.string(a))
                    .unwrap_or_else(|| "id".to_string());
                table
                    .keys
                    .push(src.key(KeyKind::Primary, vec![column], first.node));
            }
        }
        "unique" | "primary" => {
            let kind = if first.name == "primary" {
                KeyKind::Primary
            } else {
                KeyKind::Unique
            };
            if let Some(fields) = strings(0).filter(|f| !f.is_empty()) {
                let mut key = src.key(kind, fields, first.node);
                key.name = name(arg(1));
                table.keys.push(key);
            }
        }
        "dropUnique" => {
            let (fields, dropped) = (strings(0), name(arg(1)));
            table.keys.retain(|k| {
                k.kind != KeyKind::Unique
                    || (Some(&k.fields) != fields.as_ref()
                        && (dropped.is_none() || k.name != dropped))
            });
        }
        "dropPrimary" => table.keys.retain(|k| k.kind != KeyKind::Primary),
        "renameColumn" => {
            if let (Some(from), Some(to)) = (
                arg(0).and_then(|a| src.string(a)),
                arg(1).and_then(|a| src.string(a)),
            ) {
                let fields = table.keys.iter_mut().flat_map(|k| &mut k.fields);
                for field in fields.filter(|f| **f == from) {
                    field.clone_from(&to);
                }
            }
        }
        // A column: `t.string('key').notNullable().unique()`.
        _ => {
            let Some(column) = arg(0).and_then(|a| src.string(a)) else {
                return;
            };
            for link in links.iter().skip(1) {
                let kind = match link.name.as_str() {
                    "unique" => KeyKind::Unique,
                    "primary" => KeyKind::Primary,
                    _ => continue,
                };
                let mut key = src.key(kind, vec![column.clone()], link.node);
                key.name = name(link.args.first().copied());
                table.keys.push(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    #[test]
    fn knex_migrations_build_keys_in_order() {
        let tables = read_one(
            r#"export async function up(knex) {
  await knex.schema.createTable('orders', (t) => {
    t.increments('id');
    t.string('key').notNullable().unique();
    t.string('provider');
    t.string('ref');
    t.unique(['provider', 'ref'], { indexName: 'orders_provider_ref' });
    t.index(['created_at']);
    t.string('note').index();
  });
  await knex.schema.createTable('members', function (table) {
    table.integer('team_id');
    table.integer('user_id');
    table.primary(['team_id', 'user_id']);
  });
  await knex.schema.alterTable('orders', (t) => {
    t.dropUnique(['provider', 'ref']);
    t.string('email').unique();
    other.unique(['not', 'mine']);
  });
  await knex.schema.createTable('scratch', (t) => { t.increments(); });
  await knex.schema.dropTable('scratch');
}
export async function down(knex) {
  await knex.schema.dropTable('orders');
}
exports.down = (knex) => knex.schema.dropTable('members');
"#,
        );
        assert_eq!(
            keys(&tables, "orders"),
            [
                key(Primary, &["id"], 3),
                key(Unique, &["key"], 4),
                key(Unique, &["email"], 18)
            ]
        );
        assert_eq!(
            keys(&tables, "members"),
            [key(Primary, &["team_id", "user_id"], 14)]
        );
        assert_eq!(tables.len(), 2);
    }
}
