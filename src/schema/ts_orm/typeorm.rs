//! TypeORM entities: an `@Entity` class's table, its primary columns (several make one
//! composite key), `@Column({ unique: true })`, and unique constraints and indexes declared on
//! the class (`@Unique`, `@Index([..], { unique: true })`) or on a property; the same from
//! `new EntitySchema({ name, tableName, columns, uniques, indices })`.

use super::{classes, Class, Decorator, Source};
use crate::schema::{Key, KeyKind, Predicate, Table};
use tree_sitter::Node;

pub(super) fn tables(src: &Source) -> Vec<Table> {
    let mut tables: Vec<Table> = classes(src)
        .iter()
        .filter_map(|class| entity(src, class))
        .collect();
    for (call, args) in src.calls("EntitySchema") {
        tables.extend(args.first().and_then(|o| schema(src, *o, call)));
    }
    tables
}

/// `new EntitySchema({ name: 'Order', tableName: 'orders', columns: { id: { primary: true } },
/// uniques: [{ columns: [..] }], indices: [{ columns: [..], unique: true }] })`.
fn schema(src: &Source, options: Node, at: Node) -> Option<Table> {
    let text = |o: Node, k: &str| src.prop(o, k).and_then(|n| src.string(n));
    let mut table = src.table(&text(options, "name")?, at);
    if let Some(name) = text(options, "tableName") {
        table.name = name;
    }
    let mut primary: Option<Key> = None;
    let columns = src.prop(options, "columns");
    for (field, column) in columns.map(|c| src.pairs(c)).unwrap_or_default() {
        if let Some(name) = text(column, "name").filter(|n| *n != field) {
            table.columns.push((field.clone(), name));
        }
        if !src.flag(column, "primary") {
            if src.flag(column, "unique") {
                table
                    .keys
                    .push(src.key(KeyKind::Unique, vec![field], column));
            }
        } else if let Some(key) = primary.as_mut() {
            key.fields.push(field);
        } else {
            primary = Some(src.key(KeyKind::Primary, vec![field], column));
        }
    }
    table.keys.splice(0..0, primary);
    for (list, unique) in [("uniques", true), ("indices", false)] {
        let Some(list) = src.prop(options, list).filter(|l| l.kind() == "array") else {
            continue;
        };
        for item in list.named_children(&mut list.walk()) {
            let fields = src.prop(item, "columns").and_then(|c| src.strings(c));
            let Some(fields) = fields.filter(|_| unique || src.flag(item, "unique")) else {
                continue;
            };
            let mut key = src.key(KeyKind::Unique, fields, item);
            key.name = text(item, "name");
            key.predicate = text(item, "where").map(|w| Predicate::sql(&w));
            table.keys.push(key);
        }
    }
    Some(table)
}

fn entity(src: &Source, class: &Class) -> Option<Table> {
    let decorator = class.decorators.iter().find(|d| d.name == "Entity")?;
    let mut table = src.table(&class.name, class.node);
    // `@Entity('orders')`, `@Entity({ name: 'orders' })`.
    if let Some(name) = decorator.args.first().and_then(|a| {
        src.string(*a)
            .or_else(|| src.prop(*a, "name").and_then(|n| src.string(n)))
    }) {
        table.name = name;
    }
    let mut primary: Option<Key> = None;
    for (field, decorators) in &class.fields {
        for d in decorators {
            let options = d.args.iter().copied().find(|a| a.kind() == "object");
            let column = options
                .and_then(|o| src.prop(o, "name"))
                .and_then(|n| src.string(n));
            if let Some(column) = column.filter(|c| d.name.ends_with("Column") && c != field) {
                table.columns.push((field.clone(), column));
            }
            let flag = |k: &str| options.is_some_and(|o| src.flag(o, k));
            let kind = match d.name.as_str() {
                "PrimaryColumn" | "PrimaryGeneratedColumn" => KeyKind::Primary,
                "Column" if flag("primary") => KeyKind::Primary,
                "Column" if flag("unique") => KeyKind::Unique,
                "Index" if flag("unique") => {
                    table.keys.extend(index(src, d, vec![field.clone()]));
                    continue;
                }
                // The owning side of a one-to-one relation: TypeORM makes its column unique.
                "JoinColumn" if decorators.iter().any(|o| o.name == "OneToOne") => KeyKind::Unique,
                _ => continue,
            };
            if kind == KeyKind::Unique {
                table.keys.push(src.key(kind, vec![field.clone()], d.node));
            } else if let Some(key) = primary.as_mut() {
                key.fields.push(field.clone());
            } else {
                primary = Some(src.key(kind, vec![field.clone()], d.node));
            }
        }
    }
    table.keys.splice(0..0, primary);
    for d in &class.decorators {
        let fields = d
            .args
            .iter()
            .find_map(|a| (a.kind() == "array").then(|| src.strings(*a)).flatten());
        let Some(fields) = fields else { continue };
        match d.name.as_str() {
            // `@Unique(['a', 'b'])`, `@Unique('name', ['a', 'b'])`.
            "Unique" => {
                let mut key = src.key(KeyKind::Unique, fields, d.node);
                key.name = d.args.first().and_then(|a| src.string(*a));
                table.keys.push(key);
            }
            "Index" => table.keys.extend(index(src, d, fields)),
            _ => {}
        }
    }
    Some(table)
}

/// `@Index('name', [..], { unique: true, where: '..' })`: a key when unique.
fn index(src: &Source, d: &Decorator, fields: Vec<String>) -> Option<Key> {
    let options = d.args.iter().copied().find(|a| a.kind() == "object")?;
    if !src.flag(options, "unique") {
        return None;
    }
    let mut key = src.key(KeyKind::Unique, fields, d.node);
    key.name = d.args.first().and_then(|a| src.string(*a));
    key.predicate = src
        .prop(options, "where")
        .and_then(|w| src.string(w))
        .map(|w| Predicate::sql(&w));
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    const ENTITY: &str = r#"
import { Entity, PrimaryGeneratedColumn, PrimaryColumn, Column, Unique, Index } from 'typeorm';

@Entity({ name: 'orders' })
@Unique('uq_provider_ref', ['provider', 'externalRef'])
@Index(['customerId', 'key'], { unique: true, where: '"deletedAt" IS NULL' })
@Index(['createdAt'])
export class Order {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ unique: true, name: 'idempotency_key' })
  key: string;

  @Index({ unique: true })
  @Column()
  email: string;

  @Index()
  @Column({ name: 'customer_id' })
  customerId: string;

  @Column({ unique: false })
  note: string;

  @OneToOne(() => Invoice) @JoinColumn({ name: 'invoice_id' }) invoice: Invoice;
  @ManyToOne(() => User) @JoinColumn() user: User;
}

@Entity()
class Membership {
  @PrimaryColumn() teamId: string;
  @PrimaryColumn({ name: 'user_id' }) userId: string;
}

@Entity('invoices')
export class Invoice { @PrimaryColumn('uuid') id: string; }

class NotAnEntity { @PrimaryColumn() id: string; }
"#;

    #[test]
    fn typeorm_entity_schemas_give_keys() {
        let tables = read_one(
            r#"const { EntitySchema } = require('typeorm');
module.exports = new EntitySchema({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: Number, primary: true, generated: true },
    key: { type: String, unique: true, name: 'idem_key' },
    note: { type: String },
  },
  uniques: [{ name: 'orders_ref', columns: ['provider', 'ref'] }],
  indices: [{ columns: ['note'] }, { columns: ['customer'], unique: true, where: 'status = 1' }],
});
"#,
        );
        assert_eq!(
            keys(&tables, "orders"),
            [
                key(Primary, &["id"], 6),
                key(Unique, &["key"], 7),
                key(Unique, &["provider", "ref"], 10),
                key(Unique, &["customer"], 11),
            ]
        );
        assert_eq!(
            tables[0].columns,
            [("key".to_string(), "idem_key".to_string())]
        );
    }

    #[test]
    fn typeorm_entities_give_keys_and_columns() {
        let tables = read_one(ENTITY);
        let names: Vec<(&str, &str, u32)> = tables
            .iter()
            .map(|t| (t.model.as_str(), t.name.as_str(), t.line))
            .collect();
        assert_eq!(
            names,
            [
                ("Order", "orders", 8),
                ("Membership", "Membership", 31),
                ("Invoice", "invoices", 37)
            ]
        );
        assert_eq!(
            keys(&tables, "orders"),
            [
                key(Primary, &["id"], 9),
                key(Unique, &["key"], 12),
                key(Unique, &["email"], 15),
                key(Unique, &["invoice"], 26),
                key(Unique, &["provider", "externalRef"], 5),
                key(Unique, &["customerId", "key"], 6),
            ]
        );
        let orders = &tables[0];
        assert_eq!(orders.keys[4].name.as_deref(), Some("uq_provider_ref"));
        let predicate = orders.keys[5].predicate.as_ref().unwrap();
        assert_eq!(predicate.text, r#""deletedAt" IS NULL"#);
        assert_eq!(predicate.equalities.as_ref().map(Vec::len), Some(1));
        assert_eq!(
            orders.columns,
            [
                ("key".to_string(), "idempotency_key".to_string()),
                ("customerId".to_string(), "customer_id".to_string()),
                ("invoice".to_string(), "invoice_id".to_string())
            ]
        );
        // Two primary columns are one composite key.
        assert_eq!(
            keys(&tables, "Membership"),
            [key(Primary, &["teamId", "userId"], 32)]
        );
        assert_eq!(keys(&tables, "invoices"), [key(Primary, &["id"], 37)]);
    }
}
