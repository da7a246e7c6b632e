//! SQL migrations of any tool (Prisma `migration.sql`, Diesel and sqlx `up.sql`, Flyway
//! `V1__x.sql`), applied in order: `CREATE TABLE` keys, `CREATE UNIQUE INDEX` (partial ones
//! with their condition), `ALTER TABLE .. ADD CONSTRAINT` or `ADD COLUMN .. UNIQUE`, and the
//! drops that undo them.

use super::{statements, Key, KeyKind, Predicate, Table};
use sqlparser::ast::{
    AlterTableOperation, ColumnDef, ColumnOption, IndexColumn, ObjectName, ObjectType,
    RenameTableNameKind, Spanned, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use std::ffi::OsStr;
use std::path::Path;

/// The order migrations apply in: by directory (timestamped Prisma, Diesel and sqlx
/// migrations sort by path), then within one Flyway's versioned scripts by version
/// (`V2__a.sql` before `V10__b.sql`, `V1_1__x.sql` is 1.1), its repeatable `R__` ones after
/// them; other files by name, before both.
pub fn order(file: &Path) -> (Option<&Path>, u8, Vec<u64>, Option<&OsStr>) {
    let name = file.file_name();
    let (class, version) = match name.and_then(OsStr::to_str).and_then(flyway) {
        Some(('V', version)) => (1, version),
        Some(('R', _)) => (2, Vec::new()),
        _ => (0, Vec::new()),
    };
    (file.parent(), class, version, name)
}

/// A script that undoes a migration (Diesel's `down.sql`, sqlx's `1_x.down.sql`, Flyway's
/// `U2__x.sql`): never applied, as the schema in force is the one the migrations lead to.
pub fn is_undo(file: &Path) -> bool {
    let name = file.file_name().and_then(OsStr::to_str).unwrap_or("");
    name == "down.sql"
        || name.ends_with(".down.sql")
        || flyway(name).is_some_and(|(prefix, _)| prefix == 'U')
}

/// A Flyway script's prefix and version: `V1_1__x.sql` -> ('V', [1, 1]), `R__x.sql` -> ('R', []).
fn flyway(name: &str) -> Option<(char, Vec<u64>)> {
    let (head, _) = name.split_once("__")?;
    let mut chars = head.chars();
    let prefix = chars.next().filter(|c| matches!(c, 'V' | 'R' | 'U'))?;
    let version = chars.as_str();
    if prefix == 'R' {
        return version.is_empty().then_some((prefix, Vec::new()));
    }
    let parts = version.split(['.', '_']).map(|p| p.parse().ok());
    Some((prefix, parts.collect::<Option<Vec<u64>>>()?))
}

/// Applies one migration file to the tables built so far. Only the statements that may make,
/// drop, rename or key a table are parsed (see [`statements`]); when one of them no dialect
/// parses, the file is passed over: a half-read migration would invent drops or miss keys.
pub fn apply(tables: &mut Vec<Table>, file: &Path, text: &str) {
    let dialects: [&dyn Dialect; 4] = [
        &PostgreSqlDialect {},
        &MySqlDialect {},
        &SQLiteDialect {},
        &GenericDialect {},
    ];
    let Some(keying) = statements::keying(text) else {
        return;
    };
    let mut statements = Vec::new();
    for (sql, first_line) in keying {
        let Some(parsed) = dialects
            .iter()
            .find_map(|d| Parser::parse_sql(*d, sql).ok())
        else {
            return;
        };
        statements.extend(parsed.into_iter().map(|s| (s, first_line)));
    }
    for (statement, first_line) in &statements {
        let line = u32::try_from(statement.span().start.line)
            .unwrap_or(0)
            .max(1)
            + first_line
            - 1;
        match statement {
            Statement::CreateTable(create) => {
                let name = last(&create.name);
                tables.retain(|t| t.name != name);
                let mut table = Table::new(&name, file, line);
                for column in &create.columns {
                    table.keys.extend(column_keys(column, file, line));
                }
                for constraint in &create.constraints {
                    table.keys.extend(key(constraint, file, line));
                }
                name_as_postgres_does(&mut table);
                tables.push(table);
            }
            Statement::CreateIndex(index) if index.unique => {
                let name = last(&index.table_name);
                if let Some(table) = tables.iter_mut().find(|t| t.name == name) {
                    let mut key = Key::new(KeyKind::Unique, columns(&index.columns), file, line);
                    key.name = index.name.as_ref().map(last);
                    key.predicate = index.predicate.as_ref().map(|p| {
                        Predicate::new(p.to_string(), Some(crate::models::sql::condition_filter(p)))
                    });
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
                        AlterTableOperation::AddColumn { column_def, .. } => {
                            table.keys.extend(column_keys(column_def, file, line));
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

/// The keys a column declares itself (`id INT PRIMARY KEY`, `email TEXT UNIQUE`).
fn column_keys<'a>(
    column: &'a ColumnDef,
    file: &'a Path,
    line: u32,
) -> impl Iterator<Item = Key> + 'a {
    column.options.iter().filter_map(move |option| {
        let kind = match option.option {
            ColumnOption::PrimaryKey(_) => KeyKind::Primary,
            ColumnOption::Unique(_) => KeyKind::Unique,
            _ => return None,
        };
        Some(Key::new(kind, vec![column.name.value.clone()], file, line))
    })
}

/// Unnamed keys get the names PostgreSQL gives them (`orders_pkey`, `orders_email_key`,
/// `orders_a_b_key`), which a later migration drops them by.
fn name_as_postgres_does(table: &mut Table) {
    for key in table.keys.iter_mut().filter(|k| k.name.is_none()) {
        key.name = Some(match key.kind {
            KeyKind::Primary => format!("{}_pkey", table.name),
            KeyKind::Unique => format!("{}_{}_key", table.name, key.fields.join("_")),
        });
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

/// The indexed columns; a case-folded one (`lower(email)`) keeps its column unique, as reads
/// by `lower(email) = lower($1)` select it.
fn columns(columns: &[IndexColumn]) -> Vec<String> {
    columns
        .iter()
        .map(|c| {
            let text = c.column.expr.to_string();
            let folded = ["lower(", "upper("].iter().find_map(|f| {
                let head = text.get(..f.len())?;
                head.eq_ignore_ascii_case(f)
                    .then(|| text[f.len()..].strip_suffix(')'))
                    .flatten()
            });
            folded.unwrap_or(&text).trim_matches('"').to_string()
        })
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
    use crate::ir::FieldEq;

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
        // A partial index keeps only the rows its condition selects unique.
        assert_eq!(
            keys(&tables, "invites"),
            [u(&["team_id", "email"]), u(&["email"])]
        );
        let invites = tables.iter().find(|t| t.name == "invites").unwrap();
        assert!(invites.keys[0].predicate.is_none());
        let pending = invites.keys[1].predicate.as_ref().unwrap();
        assert_eq!(pending.text, "accepted_at IS NULL");
        assert_eq!(
            pending.equalities,
            Some(vec![FieldEq {
                field: "accepted_at".to_string(),
                constant: Some("null".to_string()),
            }])
        );
        assert!(tables.iter().all(|t| t.name != "scratch"));
        let orders = tables.iter().find(|t| t.name == "orders").unwrap();
        assert_eq!((orders.line, orders.keys[0].line), (2, 2));
        apply(
            &mut tables,
            Path::new("migrations/3/up.sql"),
            "DROP INDEX invites_team_email;",
        );
        assert_eq!(keys(&tables, "invites"), [u(&["email"])]);
        let renames = "ALTER TABLE orders RENAME COLUMN email TO login;\nALTER TABLE orders RENAME TO purchases;";
        apply(&mut tables, Path::new("migrations/4/up.sql"), renames);
        assert_eq!(
            keys(&tables, "purchases"),
            [(KeyKind::Primary, vec!["id".to_string()]), u(&["login"])]
        );
        let login = &tables.iter().find(|t| t.name == "purchases").unwrap().keys[1];
        assert_eq!(login.file, Path::new("migrations/1/up.sql"));
    }

    fn partial(condition: &str) -> Option<Vec<(String, Option<String>)>> {
        let mut tables = Vec::new();
        let sql =
            format!("CREATE TABLE t (id INT);\nCREATE UNIQUE INDEX i ON t (id) WHERE {condition};");
        apply(&mut tables, Path::new("m.sql"), &sql);
        let predicate = tables[0].keys[0].predicate.as_ref().expect(condition);
        let equalities = predicate.equalities.as_ref()?;
        Some(
            equalities
                .iter()
                .map(|e| (e.field.clone(), e.constant.clone()))
                .collect(),
        )
    }

    #[test]
    fn partial_index_conditions_are_equalities_only_when_all_are() {
        let eq = |f: &str, c: &str| (f.to_string(), Some(c.to_string()));
        assert_eq!(
            partial("status = 'PENDING' AND deleted_at IS NULL AND (active = true)"),
            Some(vec![
                eq("status", "pending"),
                eq("deleted_at", "null"),
                eq("active", "true")
            ])
        );
        assert_eq!(
            partial("(t.kind)::text = 'A'::text AND 1 = version"),
            Some(vec![eq("kind", "a"), eq("version", "1")])
        );
        for other in [
            "deleted_at IS NOT NULL",
            "status = 'A' OR status = 'B'",
            "status <> 'A'",
            "a = b",
            "active",
            "NOT (status = 'A')",
        ] {
            assert_eq!(partial(other), None, "{other}");
        }
    }

    #[test]
    fn alter_table_adds_keys_with_or_without_a_name() {
        let mut tables = Vec::new();
        let sql = "CREATE TABLE t (id INT, a INT, b INT);
ALTER TABLE t ADD PRIMARY KEY (id);
ALTER TABLE t ADD UNIQUE (a, b);
ALTER TABLE t ADD COLUMN slug TEXT NOT NULL UNIQUE;
ALTER TABLE t ADD COLUMN note TEXT;";
        apply(&mut tables, Path::new("m.sql"), sql);
        let s = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            keys(&tables, "t"),
            [
                (KeyKind::Primary, s(&["id"])),
                (KeyKind::Unique, s(&["a", "b"])),
                (KeyKind::Unique, s(&["slug"]))
            ]
        );
    }

    #[test]
    fn flyway_scripts_apply_by_version_and_undo_scripts_never() {
        let mut files: Vec<&Path> = [
            "db/R__views.sql",
            "db/V10__b.sql",
            "db/V1_1__x.sql",
            "db/V2__a.sql",
            "db/V1__init.sql",
            "db/Vx__not_a_version.sql",
            "a/2020-08-25-132005_x/up.sql",
            "a/2019-01-01-000000_y/up.sql",
        ]
        .into_iter()
        .map(Path::new)
        .collect();
        files.sort_by_cached_key(|f| order(f));
        let names: Vec<_> = files.iter().map(|f| f.to_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "a/2019-01-01-000000_y/up.sql",
                "a/2020-08-25-132005_x/up.sql",
                "db/Vx__not_a_version.sql",
                "db/V1__init.sql",
                "db/V1_1__x.sql",
                "db/V2__a.sql",
                "db/V10__b.sql",
                "db/R__views.sql",
            ]
        );
        for undo in ["m/1/down.sql", "m/20220123_init.down.sql", "db/U2__a.sql"] {
            assert!(is_undo(Path::new(undo)), "{undo}");
        }
        assert!(!is_undo(Path::new("db/V2__a.sql")) && !is_undo(Path::new("db/Undo.sql")));
    }

    #[test]
    fn a_case_folded_unique_index_keeps_its_column_unique() {
        let mut tables = Vec::new();
        let sql = "CREATE TABLE accounts (id INT, email TEXT);\nCREATE UNIQUE INDEX accounts_email ON accounts (lower(email));";
        apply(&mut tables, Path::new("1.sql"), sql);
        assert_eq!(
            keys(&tables, "accounts"),
            [(KeyKind::Unique, vec!["email".to_string()])]
        );
    }

    #[test]
    fn unnamed_keys_are_dropped_by_the_names_postgres_gives_them() {
        let mut tables = Vec::new();
        let create = "CREATE TABLE subscribers (id INT PRIMARY KEY, email TEXT NOT NULL UNIQUE, a INT, b INT, UNIQUE (a, b));";
        apply(&mut tables, Path::new("1.sql"), create);
        let drops = "ALTER TABLE subscribers DROP CONSTRAINT subscribers_email_key;\nALTER TABLE subscribers DROP CONSTRAINT subscribers_a_b_key;";
        apply(&mut tables, Path::new("2.sql"), drops);
        assert_eq!(
            keys(&tables, "subscribers"),
            [(KeyKind::Primary, vec!["id".to_string()])]
        );
    }

    #[test]
    fn a_migration_whose_keying_statement_no_dialect_parses_changes_nothing() {
        let mut tables = Vec::new();
        apply(
            &mut tables,
            Path::new("m.sql"),
            "CREATE TABLE t (id INT PRIMARY KEY);",
        );
        apply(
            &mut tables,
            Path::new("n.sql"),
            "DROP TABLE t; ALTER TABLE t ADD CONSTRAINT THIS IS NOT SQL",
        );
        assert_eq!(tables.len(), 1);
    }

    #[test]
    fn statements_that_change_no_key_are_not_parsed() {
        let mut tables = Vec::new();
        let script = "CREATE FUNCTION f() RETURNS int AS $$ THIS IS NOT SQL $$;\n\n\
            CREATE TABLE t (id INT PRIMARY KEY);";
        apply(&mut tables, Path::new("m.sql"), script);
        assert_eq!(
            keys(&tables, "t"),
            [(KeyKind::Primary, vec!["id".to_string()])]
        );
        assert_eq!(tables[0].line, 3);
    }
}
