//! Kysely migrations: `db.schema.createTable('x').addColumn('k', 'text', (c) =>
//! c.unique().primaryKey())`, `.addUniqueConstraint('name', [..])`,
//! `.addPrimaryKeyConstraint('name', [..])`, `alterTable('x')` with those and
//! `.dropConstraint('name')`, `createIndex('n').on('x').columns([..]).unique()` (partial with
//! `.where(..)`) and `dropIndex('n')`.

use super::{altered, chain, returned, sql_equalities, Link, Source};
use crate::ir::FieldEq;
use crate::schema::{KeyKind, Predicate, Table};

pub(super) fn apply(src: &Source, tables: &mut Vec<Table>) {
    for links in src.chains() {
        let Some(at) = links.iter().position(|l| {
            let on_schema = super::receiver(l.node).is_some_and(|r| src.text(r).contains("schema"));
            on_schema && l.args.len() == 1
        }) else {
            continue;
        };
        let (first, rest) = (&links[at], links.get(at + 1..).unwrap_or_default());
        let Some(name) = first.args.first().and_then(|a| src.string(*a)) else {
            continue;
        };
        match first.name.as_str() {
            "createTable" => {
                tables.retain(|t| t.name != name);
                tables.push(src.table(&name, first.node));
                table(src, altered(tables, src, &name, first.node), rest);
            }
            "alterTable" => table(src, altered(tables, src, &name, first.node), rest),
            "createIndex" => index(src, tables, name, rest),
            "dropIndex" => {
                for table in tables.iter_mut() {
                    table.keys.retain(|k| k.name.as_ref() != Some(&name));
                }
            }
            _ => {}
        }
    }
}

fn table(src: &Source, table: &mut Table, links: &[Link]) {
    for link in links {
        let arg = |i: usize| link.args.get(i).copied();
        let text = |i: usize| arg(i).and_then(|a| src.string(a));
        match link.name.as_str() {
            // `.addColumn('key', 'text', (c) => c.notNull().unique())`.
            "addColumn" => {
                let (Some(column), Some(build)) = (text(0), arg(2)) else {
                    continue;
                };
                for modifier in chain(returned(build), src.text) {
                    let kind = match modifier.name.as_str() {
                        "primaryKey" => KeyKind::Primary,
                        "unique" => KeyKind::Unique,
                        _ => continue,
                    };
                    table
                        .keys
                        .push(src.key(kind, vec![column.clone()], modifier.node));
                }
            }
            "addUniqueConstraint" | "addPrimaryKeyConstraint" => {
                let Some(fields) = arg(1).and_then(|a| src.strings(a)) else {
                    continue;
                };
                let kind = match link.name.as_str() {
                    "addPrimaryKeyConstraint" => KeyKind::Primary,
                    _ => KeyKind::Unique,
                };
                let mut key = src.key(kind, fields, link.node);
                key.name = text(0);
                table.keys.push(key);
            }
            "dropConstraint" => {
                let dropped = text(0);
                table
                    .keys
                    .retain(|k| dropped.is_none() || k.name != dropped);
            }
            _ => {}
        }
    }
}

/// `createIndex('n').on('orders').columns(['a', 'b']).unique().where('status', '=', 'open')`.
fn index(src: &Source, tables: &mut Vec<Table>, name: String, links: &[Link]) {
    let find = |n: &str| links.iter().find(|l| l.name == n);
    let (Some(on), Some(_)) = (find("on"), find("unique")) else {
        return;
    };
    let Some(table) = on.args.first().and_then(|a| src.string(*a)) else {
        return;
    };
    let fields: Option<Vec<String>> = links
        .iter()
        .filter(|l| l.name == "column" || l.name == "columns")
        .map(|l| l.args.first().and_then(|a| src.strings(*a)))
        .try_fold(Vec::new(), |mut all, f| {
            all.extend(f?);
            Some(all)
        });
    let Some(fields) = fields.filter(|f| !f.is_empty()) else {
        return;
    };
    let mut key = src.key(KeyKind::Unique, fields, on.node);
    key.name = Some(name);
    let wheres: Vec<&Link> = links.iter().filter(|l| l.name == "where").collect();
    if !wheres.is_empty() {
        let text: Vec<String> = wheres
            .iter()
            .map(|l| src.text(l.node).to_string())
            .collect();
        key.predicate = Some(Predicate {
            text: text.join(" AND "),
            equalities: wheres.iter().try_fold(Vec::new(), |mut all, l| {
                all.extend(condition(src, l)?);
                Some(all)
            }),
        });
    }
    altered(tables, src, &table, on.node).keys.push(key);
}

/// `.where('status', '=', 'open')`, `.where('deleted_at', 'is', null)`, ``.where(sql`..`)``.
fn condition(src: &Source, link: &Link) -> Option<Vec<FieldEq>> {
    match link.args.as_slice() {
        [field, op, value] => {
            let op = src.string(*op)?;
            (op == "=" || op.eq_ignore_ascii_case("is")).then_some(())?;
            Some(vec![FieldEq {
                field: src.string(*field)?,
                constant: Some(src.literal(*value)?),
            }])
        }
        [sql] => {
            let template = sql.child_by_field_name("arguments")?;
            sql_equalities(src.string(template)?.as_str())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    #[test]
    fn kysely_migrations_build_keys() {
        let tables = read_one(
            r#"export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('orders')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('note', 'text')
    .addUniqueConstraint('orders_provider_ref', ['provider', 'ref'])
    .execute();
  await db.schema.createIndex('orders_open').on('orders').columns(['customer', 'day']).unique()
    .where('status', '=', 'open').execute();
  await db.schema.createIndex('orders_note').on('orders').column('note').execute();
  await db.schema.alterTable('orders').dropConstraint('orders_provider_ref').execute();
}
"#,
        );
        assert_eq!(
            keys(&tables, "orders"),
            [
                key(Primary, &["id"], 4),
                key(Unique, &["key"], 5),
                key(Unique, &["customer", "day"], 9)
            ]
        );
        let predicate = tables[0].keys[2].predicate.as_ref().unwrap();
        assert_eq!(predicate.equalities.as_ref().map(Vec::len), Some(1));
        assert_eq!(tables.len(), 1);
    }
}
