//! Drizzle tables: `pgTable('orders', { key: text('idempotency_key').unique() }, (t) =>
//! [uniqueIndex('x').on(t.a, t.b), unique().on(..), primaryKey({ columns: [..] })])`, and the
//! same for `mysqlTable`, `sqliteTable` and the builders of `pgTableCreator(..)`. Keys name properties; `columns` maps them to the
//! SQL names the column builders give.

use super::{chain, returned, sql_equalities, Link, Source};
use crate::frontend::ts::syntax::unwrap;
use crate::ir::FieldEq;
use crate::schema::{KeyKind, Predicate, Table};
use tree_sitter::Node;

pub(super) fn tables(src: &Source) -> Vec<Table> {
    // `const createTable = pgTableCreator((name) => `app_${name}`)` builds tables as `pgTable`.
    let creators = src
        .nodes
        .iter()
        .filter(|n| n.kind() == "variable_declarator")
        .filter_map(|d| {
            let links = chain(unwrap(d.child_by_field_name("value")?), src.text);
            let [creator] = links.as_slice() else {
                return None;
            };
            let name = d.child_by_field_name("name")?;
            creator
                .name
                .ends_with("TableCreator")
                .then(|| src.text(name).to_string())
        });
    let builders: Vec<String> = ["pgTable", "mysqlTable", "sqliteTable"]
        .map(String::from)
        .into_iter()
        .chain(creators)
        .collect();
    let mut tables = Vec::new();
    for builder in &builders {
        for (call, args) in src.calls(builder) {
            let (Some(name), Some(columns)) =
                (args.first().and_then(|n| src.string(*n)), args.get(1))
            else {
                continue;
            };
            let variable = call
                .parent()
                .filter(|p| p.kind() == "variable_declarator")
                .and_then(|p| p.child_by_field_name("name"));
            let mut table = src.table(variable.map_or(name.as_str(), |v| src.text(v)), call);
            table.name = name;
            for (field, value) in src.pairs(returned(*columns)) {
                column(src, &mut table, field, value);
            }
            if let Some(extras) = args.get(2) {
                let extras = returned(*extras);
                let items: Vec<Node> = match extras.kind() {
                    "array" => extras.named_children(&mut extras.walk()).collect(),
                    _ => src.pairs(extras).into_iter().map(|(_, v)| v).collect(),
                };
                for item in items {
                    constraint(src, &mut table, &chain(unwrap(item), src.text));
                }
            }
            tables.push(table);
        }
    }
    tables.sort_by_key(|t| t.line);
    tables
}

/// `key: text('idempotency_key').notNull().unique()`.
fn column(src: &Source, table: &mut Table, field: String, value: Node) {
    let links = chain(value, src.text);
    let Some(builder) = links.first() else { return };
    if let Some(column) = builder.args.first().and_then(|a| src.string(*a)) {
        if column != field {
            table.columns.push((field.clone(), column));
        }
    }
    for link in links.iter().skip(1) {
        let kind = match link.name.as_str() {
            "primaryKey" => KeyKind::Primary,
            "unique" => KeyKind::Unique,
            _ => continue,
        };
        let mut key = src.key(kind, vec![field.clone()], link.node);
        key.name = link.args.first().and_then(|a| src.string(*a));
        table.keys.push(key);
    }
}

/// `uniqueIndex('name').on(t.a, t.b).where(..)`, `unique().on(..)`, `primaryKey({ columns })`.
fn constraint(src: &Source, table: &mut Table, links: &[Link]) {
    let Some(first) = links.first() else { return };
    let on = links
        .iter()
        .find(|l| l.name == "on")
        .map(|l| l.args.as_slice());
    let (kind, fields) = match first.name.as_str() {
        "uniqueIndex" | "unique" => (
            KeyKind::Unique,
            on.map(<[Node]>::to_vec).unwrap_or_default(),
        ),
        "primaryKey" => match first.args.first().and_then(|o| src.prop(*o, "columns")) {
            Some(list) => (KeyKind::Primary, vec![list]),
            None => (KeyKind::Primary, first.args.clone()),
        },
        _ => return,
    };
    let fields = fields.iter().flat_map(|f| match f.kind() {
        "array" => f.named_children(&mut f.walk()).collect(),
        _ => vec![*f],
    });
    // An index on an expression (`lower(email)`) is not a key of named fields.
    let Some(fields) = fields
        .map(|f| src.member(f))
        .collect::<Option<Vec<String>>>()
    else {
        return;
    };
    if fields.is_empty() {
        return;
    }
    let mut key = src.key(kind, fields, first.node);
    key.name = first.args.first().and_then(|a| {
        src.string(*a)
            .or_else(|| src.prop(*a, "name").and_then(|n| src.string(n)))
    });
    key.predicate = links
        .iter()
        .find(|l| l.name == "where")
        .and_then(|l| l.args.first().copied())
        .map(|w| Predicate {
            text: src.text(w).to_string(),
            equalities: condition(src, w, 0),
        });
    table.keys.push(key);
}

/// `sql\`${t.deletedAt} is null\``, `isNull(t.x)`, `eq(t.status, 'open')`, `and(..)`.
fn condition(src: &Source, node: Node, depth: usize) -> Option<Vec<FieldEq>> {
    let node = unwrap(node);
    if depth > 8 {
        return None;
    }
    if node.kind() == "template_string" {
        let mut sql = String::new();
        for part in node.named_children(&mut node.walk()) {
            match part.kind() {
                "template_substitution" => sql.push_str(&src.member(part.named_child(0)?)?),
                _ => sql.push_str(src.text(part)),
            }
        }
        return sql_equalities(&sql);
    }
    let links = chain(node, src.text);
    let [link] = links.as_slice() else {
        return None;
    };
    if link.name == "sql" {
        return condition(src, link.node.child_by_field_name("arguments")?, depth + 1);
    }
    let field = || src.member(*link.args.first()?);
    match (link.name.as_str(), link.args.as_slice()) {
        ("isNull", [_]) => Some(vec![FieldEq {
            field: field()?,
            constant: Some("null".to_string()),
        }]),
        ("eq", [_, value]) => Some(vec![FieldEq {
            field: field()?,
            constant: Some(src.literal(*value)?),
        }]),
        ("and", parts) => parts.iter().try_fold(Vec::new(), |mut all, p| {
            all.extend(condition(src, *p, depth + 1)?);
            Some(all)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    #[test]
    fn drizzle_tables_give_keys_and_columns() {
        let tables = read_one(
            r#"import { pgTable, serial, text, uniqueIndex, unique, primaryKey, index } from 'drizzle-orm/pg-core';
export const orders = pgTable('orders', {
  id: serial('id').primaryKey(),
  key: text('idempotency_key').notNull().unique(),
  customerId: text('customer_id'),
  status: text('status'),
}, (t) => [
  uniqueIndex('orders_customer_open').on(t.customerId, t.status).where(sql`${t.status} = 'open'`),
  unique().on(t.customerId, t.key),
  index('orders_status').on(t.status),
  uniqueIndex('orders_email_lower').on(sql`lower(${t.key})`),
]);
export const members = mysqlTable('members', {
  teamId: int('team_id'),
  userId: int('user_id'),
}, (t) => ({
  pk: primaryKey({ columns: [t.teamId, t.userId] }),
  byUser: index('by_user').on(t.userId),
}));
const createTable = pgTableCreator((name) => `t3_${name}`);
export const posts = createTable('post', (d) => ({ slug: d.text().unique() }));
"#,
        );
        assert_eq!(
            keys(&tables, "orders"),
            [
                key(Primary, &["id"], 3),
                key(Unique, &["key"], 4),
                key(Unique, &["customerId", "status"], 8),
                key(Unique, &["customerId", "key"], 9),
            ]
        );
        let orders = &tables[0];
        assert_eq!(orders.model, "orders");
        assert_eq!(
            orders.columns,
            [
                ("key".to_string(), "idempotency_key".to_string()),
                ("customerId".to_string(), "customer_id".to_string())
            ]
        );
        let predicate = orders.keys[2].predicate.as_ref().unwrap();
        let eq = &predicate.equalities.as_ref().unwrap()[0];
        assert_eq!(
            (eq.field.as_str(), eq.constant.as_deref()),
            ("status", Some("open"))
        );
        assert_eq!(
            keys(&tables, "members"),
            [key(Primary, &["teamId", "userId"], 17)]
        );
        assert_eq!(keys(&tables, "post"), [key(Unique, &["slug"], 21)]);
    }
}
