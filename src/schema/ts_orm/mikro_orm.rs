//! MikroORM entities: `@Entity({ tableName })` classes, `@PrimaryKey()` properties (several
//! make one composite key), `@Unique()` and `@Property({ unique: true })` on a property, and
//! `@Unique({ properties: [..] })` on the class. `@Index` keeps nothing unique.

use super::{classes, Class, Source};
use crate::schema::{Key, KeyKind, Table};

pub(super) fn tables(src: &Source) -> Vec<Table> {
    classes(src)
        .iter()
        .filter_map(|class| entity(src, class))
        .collect()
}

fn entity(src: &Source, class: &Class) -> Option<Table> {
    let decorator = class.decorators.iter().find(|d| d.name == "Entity")?;
    let mut table = src.table(&class.name, class.node);
    let options = decorator.args.first().copied();
    if let Some(name) = ["tableName", "collection"].iter().find_map(|k| {
        options
            .and_then(|o| src.prop(o, k))
            .and_then(|n| src.string(n))
    }) {
        table.name = name;
    }
    let mut primary: Option<Key> = None;
    for (field, decorators) in &class.fields {
        for d in decorators {
            let options = d.args.iter().copied().find(|a| a.kind() == "object");
            let column = options
                .and_then(|o| src.prop(o, "fieldName"))
                .and_then(|n| src.string(n));
            if let Some(column) = column.filter(|c| c != field) {
                table.columns.push((field.clone(), column));
            }
            let flag = |k: &str| options.is_some_and(|o| src.flag(o, k));
            if d.name == "PrimaryKey" || (d.name == "Property" && flag("primary")) {
                match primary.as_mut() {
                    Some(key) => key.fields.push(field.clone()),
                    None => primary = Some(src.key(KeyKind::Primary, vec![field.clone()], d.node)),
                }
            } else if d.name == "Unique" || (d.name == "Property" && flag("unique")) {
                let mut key = src.key(KeyKind::Unique, vec![field.clone()], d.node);
                key.name = options
                    .and_then(|o| src.prop(o, "name"))
                    .and_then(|n| src.string(n));
                table.keys.push(key);
            }
        }
    }
    table.keys.splice(0..0, primary);
    for d in class.decorators.iter().filter(|d| d.name == "Unique") {
        let Some(options) = d.args.first().copied() else {
            continue;
        };
        let Some(fields) = src.prop(options, "properties").and_then(|p| src.strings(p)) else {
            continue;
        };
        let mut key = src.key(KeyKind::Unique, fields, d.node);
        key.name = src.prop(options, "name").and_then(|n| src.string(n));
        table.keys.push(key);
    }
    Some(table)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    #[test]
    fn mikro_orm_entities_give_keys() {
        let tables = read_one(
            r#"import { Entity, PrimaryKey, Property, Unique, Index } from '@mikro-orm/core';
@Entity({ tableName: 'payments' })
@Unique({ properties: ['provider', 'externalId'], name: 'payments_ext' })
@Index({ properties: ['createdAt'] })
export class Payment {
  @PrimaryKey() id!: number;
  @Property({ unique: true, fieldName: 'idem_key' }) key!: string;
  @Unique() @Property() email!: string;
  @Index() @Property() status!: string;
  @Property({ unique: false }) note!: string;
}
@Entity()
export class Seat {
  @PrimaryKey() room!: string;
  @PrimaryKey() row!: number;
}
"#,
        );
        assert_eq!(
            keys(&tables, "payments"),
            [
                key(Primary, &["id"], 6),
                key(Unique, &["key"], 7),
                key(Unique, &["email"], 8),
                key(Unique, &["provider", "externalId"], 3),
            ]
        );
        assert_eq!(
            tables[0].columns,
            [("key".to_string(), "idem_key".to_string())]
        );
        assert_eq!(keys(&tables, "Seat"), [key(Primary, &["room", "row"], 14)]);
        assert_eq!(tables.len(), 2);
    }
}
