//! SQL migrations of any tool (Prisma `migration.sql`, Diesel and sqlx `up.sql`, Flyway
//! `V1__x.sql`), applied in path order: `CREATE TABLE` keys, `CREATE UNIQUE INDEX`,
//! `ALTER TABLE .. ADD CONSTRAINT`, and the drops that undo them.

use super::{Key, KeyKind, Table};
use sqlparser::ast::{
    AlterTableOperation, ColumnOption, IndexColumn, ObjectName, ObjectType, RenameTableNameKind,
    Spanned, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use std::path::Path;

/// Applies one migration file to the tables built so far. A file no dialect parses whole is
/// passed over: a half-read migration would invent drops or miss keys.
pub fn apply(tables: &mut Vec<Table>, file: &Path, text: &str) {
    let dialects: [&dyn Dialect; 4] = [
        &PostgreSqlDialect {},
        &MySqlDialect {},
        &SQLiteDialect {},
        &GenericDialect {},
    ];
    let Some(statements) = dialects
        .iter()
        .find_map(|d| Parser::parse_sql(*d, text).ok())
    else {
        return;
    };
    for statement in &statements {
        let line = u32::try_from(statement.span().start.line)
            .unwrap_or(0)
            .max(1);
        match statement {
            Statement::CreateTable(create) => {
                let name = last(&create.name);
                tables.retain(|t| t.name != name);
                let mut table = Table::new(&name, file, line);
                for column in &create.columns {
                    for option in &column.options {
                        let kind = match option.option {
                            ColumnOption::PrimaryKey(_) => KeyKind::Primary,
                            ColumnOption::Unique(_) => KeyKind::Unique,
                            _ => continue,
                        };
                        table.keys.push(Key::new(
                            kind,
                            vec![column.name.value.clone()],
                            file,
                            line,
                        ));
                    }
                }
                for constraint in &create.constraints {
                    table.keys.extend(key(constraint, file, line));
                }
                tables.push(table);
            }
            Statement::CreateIndex(index) if index.unique && index.predicate.is_none() => {
                let name = last(&index.table_name);
                if let Some(table) = tables.iter_mut().find(|t| t.name == name) {
                    let mut key = Key::new(KeyKind::Unique, columns(&index.columns), file, line);
                    key.name = index.name.as_ref().map(last);
                    table.keys.push(key);
                }
            }
            Statement::AlterTable(alter) => {
                let name = last(&alter.name);
                let Some(table) = tables.iter_mut().find(|t| t.name == name) else {
                    continue;
                };
                for operation in &alter.operations {
                    match operation {
                        AlterTableOperation::AddConstraint { constraint, .. } => {
                            table.keys.extend(key(constraint, file, line));
                        }
                        AlterTableOperation::RenameColumn {
                            old_column_name,
                            new_column_name,
                        } => {
                            let fields = table.keys.iter_mut().flat_map(|k| &mut k.fields);
                            for field in fields.filter(|f| **f == old_column_name.value) {
                                field.clone_from(&new_column_name.value);
                            }
                        }
                        AlterTableOperation::RenameTable {
                            table_name: RenameTableNameKind::To(to) | RenameTableNameKind::As(to),
                        } => table.name = last(to),
                        AlterTableOperation::DropConstraint { name, .. } => {
                            table
                                .keys
                                .retain(|k| k.name.as_deref() != Some(&name.value));
                        }
                        _ => {}
                    }
                }
            }
            Statement::Drop {
                object_type, names, ..
            } => {
                let names: Vec<String> = names.iter().map(last).collect();
                match object_type {
                    ObjectType::Table => tables.retain(|t| !names.contains(&t.name)),
                    ObjectType::Index => {
                        for table in tables.iter_mut() {
                            table
                                .keys
                                .retain(|k| !k.name.as_ref().is_some_and(|n| names.contains(n)));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// A unique or primary-key constraint as a key, with its name for a later drop.
fn key(constraint: &TableConstraint, file: &Path, line: u32) -> Option<Key> {
    let (kind, name, cols) = match constraint {
        TableConstraint::PrimaryKey(c) => (KeyKind::Primary, &c.name, &c.columns),
        TableConstraint::Unique(c) => (KeyKind::Unique, &c.name, &c.columns),
        _ => return None,
    };
    let mut key = Key::new(kind, columns(cols), file, line);
    key.name = name.as_ref().map(|n| n.value.clone());
    Some(key)
}

fn columns(columns: &[IndexColumn]) -> Vec<String> {
    columns
        .iter()
        .map(|c| c.column.expr.to_string().trim_matches('"').to_string())
        .collect()
}

/// The unqualified, unquoted name: `public."Order"` -> `Order`.
fn last(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map_or_else(|| name.to_string(), |ident| ident.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(tables: &[Table], name: &str) -> Vec<(KeyKind, Vec<String>)> {
        let table = tables.iter().find(|t| t.name == name).expect(name);
        table
            .keys
            .iter()
            .map(|k| (k.kind, k.fields.clone()))
            .collect()
    }

    #[test]
    fn later_migrations_add_and_drop_keys() {
        let mut tables = Vec::new();
        let first = r#"
CREATE TABLE "public"."orders" (
  id SERIAL PRIMARY KEY,
  email TEXT UNIQUE,
  provider TEXT, external_id TEXT,
  CONSTRAINT orders_ext UNIQUE (provider, external_id)
);
CREATE TABLE invites (id INT, team_id INT, email TEXT);
CREATE TABLE scratch (id INT PRIMARY KEY);"#;
        apply(&mut tables, Path::new("migrations/1/up.sql"), first);
        let second = r#"
CREATE UNIQUE INDEX invites_team_email ON invites (team_id, email);
CREATE UNIQUE INDEX invites_pending ON invites (email) WHERE accepted_at IS NULL;
ALTER TABLE orders DROP CONSTRAINT orders_ext;
DROP TABLE scratch;"#;
        apply(&mut tables, Path::new("migrations/2/up.sql"), second);
        let u = |f: &[&str]| (KeyKind::Unique, f.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            keys(&tables, "orders"),
            [(KeyKind::Primary, vec!["id".to_string()]), u(&["email"])]
        );
        // A partial index keeps only some rows unique: not a key of the table (yet).
        assert_eq!(keys(&tables, "invites"), [u(&["team_id", "email"])]);
        assert!(tables.iter().all(|t| t.name != "scratch"));
        let orders = tables.iter().find(|t| t.name == "orders").unwrap();
        assert_eq!((orders.line, orders.keys[0].line), (2, 2));
        apply(
            &mut tables,
            Path::new("migrations/3/up.sql"),
            "DROP INDEX invites_team_email;",
        );
        assert_eq!(keys(&tables, "invites"), []);
        let renames = "ALTER TABLE orders RENAME COLUMN email TO login;\nALTER TABLE orders RENAME TO purchases;";
        apply(&mut tables, Path::new("migrations/4/up.sql"), renames);
        assert_eq!(
            keys(&tables, "purchases"),
            [(KeyKind::Primary, vec!["id".to_string()]), u(&["login"])]
        );
        let login = &tables.iter().find(|t| t.name == "purchases").unwrap().keys[1];
        assert_eq!(login.file, Path::new("migrations/1/up.sql"));
    }

    #[test]
    fn a_migration_no_dialect_parses_changes_nothing() {
        let mut tables = Vec::new();
        apply(
            &mut tables,
            Path::new("m.sql"),
            "CREATE TABLE t (id INT PRIMARY KEY);",
        );
        apply(
            &mut tables,
            Path::new("n.sql"),
            "DROP TABLE t; THIS IS NOT SQL",
        );
        assert_eq!(tables.len(), 1);
    }
}
