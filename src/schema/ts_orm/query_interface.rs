//! Sequelize migrations (sequelize-cli, umzug): `queryInterface.createTable('orders', {
//! attributes })`, `addIndex`, `addConstraint({ type: 'unique' | 'primary key' })`,
//! `addColumn`, and the removals and renames that undo them.

use super::{altered, sequelize, Source};
use crate::schema::{KeyKind, Table};

pub(super) fn apply(src: &Source, tables: &mut Vec<Table>) {
    for links in src.chains() {
        for link in &links {
            let arg = |i: usize| link.args.get(i).copied();
            let text = |i: usize| arg(i).and_then(|a| src.string(a));
            // The query interface is a parameter, never `knex.schema` or `db.schema`.
            let on_interface = super::receiver(link.node).is_some_and(|r| r.kind() == "identifier");
            let Some(name) = text(0).filter(|_| on_interface) else {
                continue;
            };
            match link.name.as_str() {
                "createTable" => {
                    let Some(attributes) = arg(1).filter(|a| a.kind() == "object") else {
                        continue;
                    };
                    tables.retain(|t| t.name != name);
                    let table = altered(tables, src, &name, link.node);
                    sequelize::attributes(src, table, attributes);
                    postgres_names(table, 0);
                }
                "addColumn" => {
                    let (Some(column), Some(options)) = (text(1), arg(2)) else {
                        continue;
                    };
                    let table = altered(tables, src, &name, link.node);
                    let known = table.keys.len();
                    sequelize::attribute(src, table, &column, options);
                    postgres_names(table, known);
                }
                // `addIndex('t', ['a'], { unique: true })`, `addIndex('t', { fields, unique })`.
                "addIndex" => {
                    let (fields, options) = match (arg(1), arg(2)) {
                        (Some(fields), Some(options)) if fields.kind() == "array" => {
                            (Some(fields), options)
                        }
                        (Some(options), _) => (src.prop(options, "fields"), options),
                        _ => continue,
                    };
                    let key = sequelize::index(src, options, fields);
                    altered(tables, src, &name, link.node).keys.extend(key);
                }
                // `addConstraint('t', { type: 'unique', fields: [..], name })`.
                "addConstraint" => {
                    let Some(options) = arg(1) else { continue };
                    let kind = match src.prop(options, "type").and_then(|t| src.string(t)) {
                        Some(t) if t.eq_ignore_ascii_case("unique") => KeyKind::Unique,
                        Some(t) if t.eq_ignore_ascii_case("primary key") => KeyKind::Primary,
                        _ => continue,
                    };
                    let Some(fields) = src.prop(options, "fields").and_then(|f| src.strings(f))
                    else {
                        continue;
                    };
                    let mut key = src.key(kind, fields, link.node);
                    // Sequelize's default name, which a later `removeConstraint` drops it by.
                    let suffix = if kind == KeyKind::Primary { "pk" } else { "uk" };
                    let default = format!("{name}_{}_{suffix}", key.fields.join("_"));
                    key.name = src
                        .prop(options, "name")
                        .and_then(|n| src.string(n))
                        .or(Some(default));
                    altered(tables, src, &name, link.node).keys.push(key);
                }
                "removeConstraint" | "removeIndex" => {
                    let (dropped, fields) = (
                        text(1),
                        arg(1)
                            .filter(|a| a.kind() == "array")
                            .and_then(|a| src.strings(a)),
                    );
                    if let Some(table) = tables.iter_mut().find(|t| t.name == name) {
                        table.keys.retain(|k| {
                            (dropped.is_none() || k.name != dropped)
                                && (fields.is_none() || Some(&k.fields) != fields.as_ref())
                        });
                    }
                }
                "renameColumn" => {
                    let (Some(from), Some(to)) = (text(1), text(2)) else {
                        continue;
                    };
                    let table = tables.iter_mut().find(|t| t.name == name);
                    let fields = table
                        .into_iter()
                        .flat_map(|t| &mut t.keys)
                        .flat_map(|k| &mut k.fields);
                    for field in fields.filter(|f| **f == from) {
                        field.clone_from(&to);
                    }
                }
                "dropTable" => tables.retain(|t| t.name != name),
                "renameTable" => {
                    let to = text(1);
                    if let Some((table, to)) = tables.iter_mut().find(|t| t.name == name).zip(to) {
                        table.name = to;
                    }
                }
                _ => {}
            }
        }
    }
}

/// The names Postgres gives the column constraints from the `known`th key on (`orders_pkey`,
/// `orders_email_key`), which a later `removeConstraint` drops them by.
fn postgres_names(table: &mut Table, known: usize) {
    for key in table.keys.iter_mut().skip(known) {
        key.name = Some(match key.kind {
            KeyKind::Primary => format!("{}_pkey", table.name),
            KeyKind::Unique => format!("{}_{}_key", table.name, key.fields.join("_")),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    #[test]
    fn sequelize_migrations_build_keys_and_skip_down() {
        let tables = read_one(
            r#"module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('shares', {
      id: { type: Sequelize.UUID, primaryKey: true },
      urlId: { type: Sequelize.STRING, unique: true },
      teamId: { type: Sequelize.UUID },
    });
    await queryInterface.addIndex('shares', ['teamId']);
    await queryInterface.addIndex('shares', ['urlId', 'teamId'], { unique: true, name: 'shares_url_team' });
    await queryInterface.addConstraint('shares', { type: 'unique', fields: ['slug'], name: 'shares_slug_uk' });
    await queryInterface.addConstraint('shares', { type: 'foreign key', fields: ['teamId'] });
    await queryInterface.addColumn('shares', 'domain', { type: Sequelize.STRING, unique: true });
    await queryInterface.removeConstraint('shares', 'shares_slug_uk');
    await queryInterface.addConstraint('shares', { type: 'unique', fields: ['code', 'teamId'] });
    await queryInterface.removeConstraint('shares', 'shares_code_teamId_uk');
    await queryInterface.addColumn('shares', 'handle', { type: Sequelize.STRING, unique: true });
    await queryInterface.removeConstraint('shares', 'shares_handle_key');
    await queryInterface.sequelize.query(`CREATE UNIQUE INDEX shares_code ON shares (code)`);
  },
  async down(queryInterface) {
    await queryInterface.dropTable('shares');
  },
};
"#,
        );
        assert_eq!(
            keys(&tables, "shares"),
            [
                key(Primary, &["id"], 4),
                key(Unique, &["urlId"], 5),
                key(Unique, &["urlId", "teamId"], 9),
                key(Unique, &["domain"], 12),
                key(Unique, &["code"], 18),
            ]
        );
    }
}
