//! Sequelize models: `sequelize.define('Order', attributes, options)`, `Order.init(attributes,
//! { sequelize, .. })` and sequelize-typescript `@Table` classes. Keys come from attributes
//! (`primaryKey: true`, `unique: true`, `unique: 'group'` shared by the attributes of one
//! composite key) and unique `indexes`. The `id` Sequelize adds to a model without a primary
//! key is not assumed: the table may not have it (the migrations that create it say).

use super::{classes, Source};
use crate::schema::{Key, KeyKind, Table};
use tree_sitter::Node;

pub(super) fn tables(src: &Source) -> Vec<Table> {
    let mut tables = Vec::new();
    for (call, args) in src.calls("define") {
        // Attributes defined elsewhere are not known: their model's keys are not guessed.
        let attributes = args.get(1).filter(|a| a.kind() == "object");
        let (Some(model), Some(attributes)) =
            (args.first().and_then(|m| src.string(*m)), attributes)
        else {
            continue;
        };
        tables.push(model_table(
            src,
            &model,
            *attributes,
            args.get(2).copied(),
            call,
        ));
    }
    for (call, args) in src.calls("init") {
        let model = super::receiver(call).filter(|r| r.kind() == "identifier");
        let attributes = args.first().filter(|a| a.kind() == "object");
        let (Some(model), Some(attributes), Some(options)) = (model, attributes, args.get(1))
        else {
            continue;
        };
        if src.prop(*options, "sequelize").is_some() {
            let model = src.text(model).to_string();
            tables.push(model_table(src, &model, *attributes, Some(*options), call));
        }
    }
    tables.extend(decorated(src));
    tables
}

fn model_table(
    src: &Source,
    model: &str,
    attributes: Node,
    options: Option<Node>,
    at: Node,
) -> Table {
    let mut table = src.table(model, at);
    let option = |k: &str| {
        options
            .and_then(|o| src.prop(o, k))
            .and_then(|n| src.string(n))
    };
    if let Some(model) = option("modelName") {
        table.model.clone_from(&model);
        table.name = model;
    }
    if let Some(name) = option("tableName") {
        table.name = name;
    }
    self::attributes(src, &mut table, attributes);
    if let Some(options) = options {
        indexes(src, &mut table, options);
    }
    table
}

/// sequelize-typescript: `@Table({ tableName })` classes with `@PrimaryKey`, `@Unique` and
/// `@Column({ .. })` properties.
fn decorated(src: &Source) -> Vec<Table> {
    let mut tables = Vec::new();
    for class in classes(src) {
        let Some(decorator) = class.decorators.iter().find(|d| d.name == "Table") else {
            continue;
        };
        let mut table = src.table(&class.name, class.node);
        let options = decorator.args.first().copied();
        if let Some(name) = options
            .and_then(|o| src.prop(o, "tableName"))
            .and_then(|n| src.string(n))
        {
            table.name = name;
        }
        let mut keys = Keys::default();
        for (field, decorators) in &class.fields {
            for d in decorators {
                let first = d.args.first().copied();
                match d.name.as_str() {
                    "PrimaryKey" => keys.primary(src, field, d.node),
                    // `@Unique`, `@Unique('group')`, `@Unique({ name: 'group', msg })`.
                    "Unique" => keys.unique(src, field, first.and_then(|a| group(src, a)), d.node),
                    "Column" => {
                        if let Some(options) = first.filter(|a| a.kind() == "object") {
                            keys.attribute(src, &mut table, field, options, d.node);
                        }
                    }
                    _ => {}
                }
            }
        }
        keys.finish(&mut table);
        if let Some(options) = options {
            indexes(src, &mut table, options);
        }
        tables.push(table);
    }
    tables
}

#[derive(Default)]
struct Keys {
    primary: Option<Key>,
    unique: Vec<Key>,
}

impl Keys {
    /// `{ type: .., primaryKey: true, unique: 'group', field: 'column' }`.
    fn attribute(&mut self, src: &Source, table: &mut Table, field: &str, options: Node, at: Node) {
        if let Some(column) = src.prop(options, "field").and_then(|c| src.string(c)) {
            table.columns.push((field.to_string(), column));
        }
        if src.flag(options, "primaryKey") {
            self.primary(src, field, at);
        }
        if let Some(unique) = src.prop(options, "unique") {
            let group = group(src, unique);
            if unique.kind() == "true" || group.is_some() {
                self.unique(src, field, group, at);
            }
        }
    }

    /// Several primary-key attributes make one composite key.
    fn primary(&mut self, src: &Source, field: &str, at: Node) {
        match self.primary.as_mut() {
            Some(key) => key.fields.push(field.to_string()),
            None => self.primary = Some(src.key(KeyKind::Primary, vec![field.to_string()], at)),
        }
    }

    fn unique(&mut self, src: &Source, field: &str, group: Option<String>, at: Node) {
        let known = self
            .unique
            .iter_mut()
            .find(|k| group.is_some() && k.name == group);
        if let Some(key) = known {
            key.fields.push(field.to_string());
            return;
        }
        let mut key = src.key(KeyKind::Unique, vec![field.to_string()], at);
        key.name = group;
        self.unique.push(key);
    }

    fn finish(self, table: &mut Table) {
        table.keys.extend(self.primary);
        table.keys.extend(self.unique);
    }
}

/// The keys of attributes `{ id: { primaryKey: true }, email: { unique: true } }` (a model's,
/// or a migration's `createTable`).
pub(super) fn attributes(src: &Source, table: &mut Table, attributes: Node) {
    let mut keys = Keys::default();
    for (field, value) in src.pairs(attributes) {
        keys.attribute(src, table, &field, value, value);
    }
    keys.finish(table);
}

/// The keys of one attribute: a migration's `addColumn('orders', 'key', { unique: true })`.
pub(super) fn attribute(src: &Source, table: &mut Table, field: &str, options: Node) {
    let mut keys = Keys::default();
    keys.attribute(src, table, field, options, options);
    keys.finish(table);
}

/// The composite key a `unique` value names: `'group'` or `{ name: 'group' }`.
fn group(src: &Source, unique: Node) -> Option<String> {
    src.string(unique)
        .or_else(|| src.prop(unique, "name").and_then(|n| src.string(n)))
}

/// `indexes: [{ unique: true, fields: ['a', { name: 'b' }], where: { deletedAt: null } }]`.
fn indexes(src: &Source, table: &mut Table, options: Node) {
    let Some(list) = src.prop(options, "indexes").filter(|l| l.kind() == "array") else {
        return;
    };
    for options in list.named_children(&mut list.walk()) {
        table
            .keys
            .extend(index(src, options, src.prop(options, "fields")));
    }
}

/// A unique index's key: its options (`unique`, `name`, `where`) and fields (`['a', { name:
/// 'b' }]`).
pub(super) fn index(src: &Source, options: Node, fields: Option<Node>) -> Option<Key> {
    if !src.flag(options, "unique") {
        return None;
    }
    let fields = fields.filter(|f| f.kind() == "array")?;
    let fields = fields
        .named_children(&mut fields.walk())
        .map(|c| {
            src.string(c).or_else(|| {
                ["name", "attribute"]
                    .iter()
                    .find_map(|k| src.prop(c, k).and_then(|n| src.string(n)))
            })
        })
        .collect::<Option<Vec<String>>>()
        .filter(|f| !f.is_empty())?;
    let mut key = src.key(KeyKind::Unique, fields, options);
    key.name = src.prop(options, "name").and_then(|n| src.string(n));
    key.predicate = src.prop(options, "where").map(|w| src.object_predicate(w));
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    #[test]
    fn sequelize_define_and_init_give_keys() {
        let tables = read_one(
            r#"const { Sequelize, DataTypes, Model } = require('sequelize');
const Order = sequelize.define('Order', {
  id: { type: DataTypes.UUID, primaryKey: true },
  key: { type: DataTypes.STRING, unique: true, field: 'idempotency_key' },
  provider: { type: DataTypes.STRING, unique: 'provider_ref' },
  ref: { type: DataTypes.STRING, unique: 'provider_ref' },
  note: { type: DataTypes.STRING, unique: false },
  status: DataTypes.STRING,
}, {
  tableName: 'orders',
  indexes: [
    { unique: true, fields: ['customerId', { name: 'day' }], where: { deletedAt: null } },
    { fields: ['status'] },
  ],
});
class Invite extends Model {}
Invite.init({ email: { type: DataTypes.STRING, unique: true } }, { sequelize, modelName: 'invite' });
something.init({ a: { unique: true } }, {});
"#,
        );
        assert_eq!(
            keys(&tables, "orders"),
            [
                key(Primary, &["id"], 3),
                key(Unique, &["key"], 4),
                key(Unique, &["provider", "ref"], 5),
                key(Unique, &["customerId", "day"], 12),
            ]
        );
        let orders = &tables[0];
        assert_eq!((orders.model.as_str(), orders.line), ("Order", 2));
        assert_eq!(
            orders.columns,
            [("key".to_string(), "idempotency_key".to_string())]
        );
        let predicate = orders.keys[3].predicate.as_ref().unwrap();
        let eq = &predicate.equalities.as_ref().unwrap()[0];
        assert_eq!(
            (eq.field.as_str(), eq.constant.as_deref()),
            ("deletedAt", Some("null"))
        );
        assert_eq!(keys(&tables, "invite"), [key(Unique, &["email"], 17)]);
        assert_eq!(tables.len(), 2);
    }

    #[test]
    fn sequelize_typescript_tables_give_keys() {
        let tables = read_one(
            r#"import { Table, Column, Model, PrimaryKey, Unique, Index } from 'sequelize-typescript';
@Table({ tableName: 'accounts' })
export class Account extends Model {
  @PrimaryKey @Column id: string;
  @Unique @Column email: string;
  @Unique('provider_account') @Column provider: string;
  @Unique('provider_account') @Column providerAccountId: string;
  @Column({ unique: true, field: 'api_key' }) apiKey: string;
  @Index @Column status: string;
}
"#,
        );
        assert_eq!(
            keys(&tables, "accounts"),
            [
                key(Primary, &["id"], 4),
                key(Unique, &["email"], 5),
                key(Unique, &["provider", "providerAccountId"], 6),
                key(Unique, &["apiKey"], 8),
            ]
        );
        assert_eq!(tables[0].model, "Account");
    }
}
