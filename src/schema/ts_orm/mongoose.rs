//! Mongoose schemas: `new Schema({ field: { type, unique: true } })`, `schema.index({ a: 1,
//! b: 1 }, { unique: true })` and the implicit `_id` key, named by the `model('Order',
//! schema, 'orders')` call that registers the schema (collection from its third argument or
//! the `collection` option).

use super::Source;
use crate::schema::{KeyKind, Table};
use tree_sitter::Node;

/// Subdocuments nested deeper than this are not read.
const MAX_NESTING: usize = 8;

pub(super) fn tables(src: &Source) -> Vec<Table> {
    let models: Vec<(String, Node, Option<String>)> = src
        .calls("model")
        .filter_map(|(_, args)| {
            let name = src.string(*args.first()?)?;
            Some((
                name,
                *args.get(1)?,
                args.get(2).and_then(|c| src.string(*c)),
            ))
        })
        .collect();
    let mut tables = Vec::new();
    for (schema, args) in src.calls("Schema") {
        let Some(definition) = args.first().filter(|d| d.kind() == "object") else {
            continue;
        };
        let options = args.get(1).copied();
        let variable = schema
            .parent()
            .filter(|p| p.kind() == "variable_declarator")
            .and_then(|p| p.child_by_field_name("name"))
            .map(|n| src.text(n));
        let registered = models.iter().find(|(_, s, _)| {
            *s == schema || (s.kind() == "identifier" && Some(src.text(*s)) == variable)
        });
        let (model, collection) = match registered {
            Some((name, _, collection)) => (name.clone(), collection.clone()),
            // Registered in another file, likely: `orderSchema` is the schema of `Order`.
            None => match variable.and_then(model_of) {
                Some(model) => (model, None),
                None => continue,
            },
        };
        let mut table = src.table(&model, schema);
        if let Some(name) = collection.or_else(|| {
            options
                .and_then(|o| src.prop(o, "collection"))
                .and_then(|c| src.string(c))
        }) {
            table.name = name;
        }
        if !options
            .and_then(|o| src.prop(o, "_id"))
            .is_some_and(|v| v.kind() == "false")
        {
            table
                .keys
                .push(src.key(KeyKind::Primary, vec!["_id".to_string()], schema));
        }
        fields(src, &mut table, *definition, "", 0);
        if let Some(variable) = variable {
            indexes(src, &mut table, variable);
        }
        tables.push(table);
    }
    tables
}

/// `orderSchema` -> `Order`.
fn model_of(variable: &str) -> Option<String> {
    let stem = variable
        .strip_suffix("Schema")
        .or(variable.strip_suffix("schema"))?;
    let mut chars = stem.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

/// `{ email: { type: String, unique: true }, profile: { handle: { type, index: { unique: true } } } }`.
fn fields(src: &Source, table: &mut Table, definition: Node, prefix: &str, depth: usize) {
    if depth > MAX_NESTING {
        return;
    }
    for (name, value) in src.pairs(definition) {
        if value.kind() != "object" {
            continue;
        }
        let path = format!("{prefix}{name}");
        let unique = src.flag(value, "unique")
            || src
                .prop(value, "index")
                .is_some_and(|i| src.flag(i, "unique"));
        if unique {
            table.keys.push(src.key(KeyKind::Unique, vec![path], value));
        } else if src.prop(value, "type").is_none() {
            fields(src, table, value, &format!("{path}."), depth + 1);
        }
    }
}

/// `orderSchema.index({ customer: 1, key: 1 }, { unique: true, partialFilterExpression })`.
fn indexes(src: &Source, table: &mut Table, schema: &str) {
    for (call, args) in src.calls("index") {
        let on_schema = super::receiver(call).is_some_and(|r| src.text(r) == schema);
        let (Some(spec), Some(options)) = (args.first(), args.get(1)) else {
            continue;
        };
        if !on_schema || !src.flag(*options, "unique") {
            continue;
        }
        let fields: Vec<String> = src.pairs(*spec).into_iter().map(|(f, _)| f).collect();
        if fields.is_empty() {
            continue;
        }
        let mut key = src.key(KeyKind::Unique, fields, call);
        key.name = src.prop(*options, "name").and_then(|n| src.string(n));
        key.predicate = src
            .prop(*options, "partialFilterExpression")
            .map(|filter| src.object_predicate(filter));
        table.keys.push(key);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    #[test]
    fn mongoose_schemas_give_keys_under_their_model() {
        let tables = read_one(
            r#"import mongoose, { Schema, model } from 'mongoose';
const orderSchema = new Schema({
  key: { type: String, unique: true },
  customer: { type: Schema.Types.ObjectId, ref: 'User', index: true },
  profile: { handle: { type: String, index: { unique: true } } },
  note: { type: String, unique: false },
  status: String,
});
orderSchema.index({ customer: 1, day: 1 }, { unique: true, partialFilterExpression: { status: 'open' } });
orderSchema.index({ createdAt: -1 });
other.index({ a: 1 }, { unique: true });
export const Order = mongoose.model('Order', orderSchema, 'orders');
const invoiceSchema = new mongoose.Schema({ number: { type: Number, unique: true } }, { collection: 'bills' });
const lineSchema = new Schema({ sku: String }, { _id: false });
"#,
        );
        assert_eq!(
            keys(&tables, "orders"),
            [
                key(Primary, &["_id"], 2),
                key(Unique, &["key"], 3),
                key(Unique, &["profile.handle"], 5),
                key(Unique, &["customer", "day"], 9),
            ]
        );
        assert_eq!(tables[0].model, "Order");
        let predicate = tables[0].keys[3].predicate.as_ref().unwrap();
        assert_eq!(predicate.equalities.as_ref().map(Vec::len), Some(1));
        // Unregistered here: named after its variable.
        assert_eq!(tables[1].model, "Invoice");
        assert_eq!(
            keys(&tables, "bills"),
            [key(Primary, &["_id"], 13), key(Unique, &["number"], 13)]
        );
        assert_eq!(keys(&tables, "Line"), []);
    }
}
