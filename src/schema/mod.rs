//! The project's database schema: the tables its schema files declare and the keys the
//! database keeps unique in each, which decide whether a second insert of a key is refused.
//! Read from Prisma schema files, SQL migrations and Rust ORM declarations so far;
//! `toctou dump-schema` prints it.

mod covers;
mod migrations;
mod prisma;
mod roots;
mod rust_orm;
mod site;
mod statements;
mod ts_orm;

use crate::ir::{FieldEq, Resource};
pub use roots::project_root;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Larger schema files are passed over, so a hostile repository cannot make discovery slow.
const MAX_SCHEMA_FILE: u64 = 4 << 20;

/// A schema file's text, unless it cannot be read or is too large.
fn read(file: &Path) -> Option<String> {
    if std::fs::metadata(file).ok()?.len() > MAX_SCHEMA_FILE {
        return None;
    }
    std::fs::read_to_string(file).ok()
}

/// The tables of a project, in the order their files were read.
#[derive(Debug, Default)]
pub struct Schema {
    pub tables: Vec<Table>,
    /// Tables by the identity of their model and table names ([`Resource::key`]).
    index: HashMap<String, usize>,
}

#[derive(Debug)]
pub struct Table {
    /// The name code uses (`User` for `prisma.user`).
    pub model: String,
    /// The table's name in the database (`@@map("users")`), else the model's.
    pub name: String,
    /// Fields stored under another column name: (field, column).
    pub columns: Vec<(String, String)>,
    pub keys: Vec<Key>,
    /// Where it is declared.
    pub file: PathBuf,
    pub line: u32,
    /// The first word and span of each line of its declaration, from its own line on.
    pub lines: Vec<(String, crate::ir::Span)>,
    /// How the project declares it, which is how a key is added to it.
    pub syntax: Syntax,
}

/// The language a table is declared in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Prisma,
    /// Migrations (SQL, or code that builds tables: knex, Kysely, sea-orm-migration), and
    /// Diesel's `table!`, which mirrors them.
    Migration,
    TypeOrm,
    MikroOrm,
    Sequelize,
    Mongoose,
    Drizzle,
    SeaOrm,
}

impl Table {
    pub(crate) fn new(model: &str, file: &Path, line: u32) -> Table {
        Table {
            model: model.to_string(),
            name: model.to_string(),
            columns: Vec::new(),
            keys: Vec::new(),
            file: file.to_path_buf(),
            line,
            lines: Vec::new(),
            syntax: if file.extension().is_some_and(|e| e == "prisma") {
                Syntax::Prisma
            } else {
                Syntax::Migration
            },
        }
    }

    /// The table as an ORM's declaration of it.
    pub(crate) fn declared_in(mut self, syntax: Syntax) -> Table {
        self.syntax = syntax;
        self
    }
}

/// Directories whose schema files describe another database than the service's: installed
/// packages, build output, tests' and examples' own.
fn is_elsewhere(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    matches!(
        name.as_ref(),
        "node_modules"
            | "target"
            | "dist"
            | "test"
            | "tests"
            | "__tests__"
            | "e2e"
            | "fixtures"
            | "__fixtures__"
            | "examples"
            | "example"
    )
}

/// Adds a table's keys and columns to the table of that name, or the table when there is none.
fn merge(tables: &mut Vec<Table>, table: Table) {
    let Some(known) = tables
        .iter_mut()
        .find(|t| t.name.eq_ignore_ascii_case(&table.name))
    else {
        tables.push(table);
        return;
    };
    for mut key in table.keys {
        // In the known table's field names: one may name fields (an entity), the other
        // columns (a migration).
        for field in &mut key.fields {
            let column = table
                .columns
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, c)| c);
            let column = column.unwrap_or(field).clone();
            let known_field = known.columns.iter().find(|(_, c)| *c == column);
            *field = known_field.map_or(column, |(f, _)| f.clone());
        }
        if !known.keys.iter().any(|k| k.fields == key.fields) {
            known.keys.push(key);
        }
    }
    // Keys declared in code name fields: keep what columns they are.
    for column in table.columns {
        if !known.columns.contains(&column) {
            known.columns.push(column);
        }
    }
}

/// A set of fields whose values no two rows share.
#[derive(Debug)]
pub struct Key {
    pub kind: KeyKind,
    pub fields: Vec<String>,
    /// The constraint's or index's name, which a later migration may drop it by.
    pub name: Option<String>,
    /// A partial index's condition: only the rows it selects are kept unique.
    pub predicate: Option<Predicate>,
    /// Where it is declared.
    pub file: PathBuf,
    pub line: u32,
}

impl Key {
    fn new(kind: KeyKind, fields: Vec<String>, file: &Path, line: u32) -> Key {
        Key {
            kind,
            fields,
            name: None,
            predicate: None,
            file: file.to_path_buf(),
            line,
        }
    }
}

/// The `WHERE` of a partial unique index.
#[derive(Debug)]
pub struct Predicate {
    /// As written, for the reader.
    pub text: String,
    /// The condition as equalities that all hold (`status = 'PENDING' AND deleted_at IS
    /// NULL`), when it is one: a read that filters by all of them looks among the rows the
    /// index keeps unique. None for any other condition, which no read is known to match.
    pub equalities: Option<Vec<FieldEq>>,
}

impl Predicate {
    /// A condition and the filter it states: equalities when it is nothing but equalities of
    /// columns with constants.
    pub(crate) fn new(text: String, filter: Option<crate::ir::Filter>) -> Predicate {
        let equalities = filter
            .filter(|f| !f.more && f.equalities.iter().all(|e| e.constant.is_some()))
            .map(|f| f.equalities);
        Predicate { text, equalities }
    }

    /// A condition written as SQL text.
    pub(crate) fn sql(text: &str) -> Predicate {
        Predicate::new(text.to_string(), crate::models::sql::condition(text))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyKind {
    Primary,
    Unique,
}

impl Schema {
    /// The schema files under `roots` (honouring `.gitignore`, never in dependencies, build
    /// output, tests or examples), read in path order: Prisma schemas, then SQL migrations
    /// applied one after another (Flyway's by version) for the tables no Prisma schema
    /// declares (a migration's down script undoes nothing of the schema in force). A file
    /// that cannot be read, or is too large, is passed over.
    pub fn discover(roots: &[PathBuf]) -> Schema {
        let mut files: Vec<PathBuf> = roots
            .iter()
            .flat_map(|root| {
                ignore::WalkBuilder::new(root)
                    .filter_entry(|e| e.depth() == 0 || !is_elsewhere(e.file_name()))
                    .build()
            })
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .map(ignore::DirEntry::into_path)
            .map(|p| p.strip_prefix(".").map_or(p.clone(), Path::to_path_buf))
            .collect();
        files.sort();
        files.dedup();
        let has = |f: &Path, ext: &str| f.extension().is_some_and(|e| e == ext);
        let mut tables: Vec<Table> = files
            .iter()
            .filter(|f| has(f, "prisma"))
            .filter_map(|f| Some(prisma::tables(f, &read(f)?)))
            .flatten()
            .collect();
        let mut sql: Vec<&PathBuf> = files.iter().filter(|f| has(f, "sql")).collect();
        sql.sort_by_cached_key(|f| migrations::order(f));
        let mut migrated = Vec::new();
        for f in sql {
            if migrations::is_undo(f) {
                continue;
            }
            if let Some(text) = read(f) {
                migrations::apply(&mut migrated, f, &text);
            }
        }
        // Tables declared in code (ORM entities, models, migrations written as code) add
        // their keys to what the SQL migrations built: either may be what created them.
        let rust = files.iter().filter(|f| has(f, "rs")).map(PathBuf::as_path);
        let mut declared: Vec<Table> = rust_orm::tables(rust);
        declared.extend(ts_orm::tables(&files));
        for table in declared {
            merge(&mut migrated, table);
        }
        // A Prisma schema is the state its migrations lead to: it speaks for its tables.
        migrated.retain(|m| !tables.iter().any(|t| t.name.eq_ignore_ascii_case(&m.name)));
        tables.append(&mut migrated);
        site::locate(&mut tables);
        Schema::new(tables)
    }

    pub fn new(tables: Vec<Table>) -> Schema {
        let mut index = HashMap::new();
        for (i, t) in tables.iter().enumerate() {
            for name in [&t.model, &t.name] {
                index
                    .entry(Resource::new(name.clone()).key().to_string())
                    .or_insert(i);
            }
        }
        Schema { tables, index }
    }

    /// One line per table, then one per key: what `toctou dump-schema` prints.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for t in &self.tables {
            out.push_str(&format!(
                "table {} (model {}) {}:{}\n",
                t.name,
                t.model,
                t.file.display(),
                t.line
            ));
            for k in &t.keys {
                let kind = match k.kind {
                    KeyKind::Primary => "primary key",
                    KeyKind::Unique => "unique",
                };
                let partial = k
                    .predicate
                    .as_ref()
                    .map(|p| format!(" where {}", p.text))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {kind} ({}){partial} {}:{}\n",
                    k.fields.join(", "),
                    k.file.display(),
                    k.line
                ));
            }
            for (field, column) in &t.columns {
                out.push_str(&format!("  field {field} is column {column}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_keys_are_compared_and_named_as_the_known_table_names_them() {
        let file = Path::new("x");
        let mut entity = Table::new("orders", file, 1);
        entity
            .columns
            .push(("key".to_string(), "idem_key".to_string()));
        entity
            .keys
            .push(Key::new(KeyKind::Unique, vec!["key".into()], file, 1));
        let mut migrated = Table::new("ORDERS", file, 1);
        for column in ["idem_key", "slug"] {
            let key = Key::new(KeyKind::Unique, vec![column.into()], file, 2);
            migrated.keys.push(key);
        }
        let mut tables = vec![entity];
        merge(&mut tables, migrated);
        let fields: Vec<_> = tables[0].keys.iter().map(|k| k.fields.join(",")).collect();
        assert_eq!(
            (tables.len(), fields),
            (1, vec!["key".to_string(), "slug".into()])
        );
    }

    #[test]
    fn discovery_orders_flyway_versions_skips_huge_files_and_dumps_conditions() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("V2__orders.sql", "CREATE TABLE orders (id INT, key TEXT);");
        write(
            "V10__keys.sql",
            "CREATE UNIQUE INDEX k ON orders (key) WHERE status = 'PENDING';",
        );
        let huge = format!(
            "CREATE TABLE huge (id INT PRIMARY KEY);{}",
            " ".repeat(4 << 20)
        );
        write("V3__huge.sql", &huge);
        let dump = Schema::discover(&[dir.path().to_path_buf()]).dump();
        let dump = dump.replace(&format!("{}/", dir.path().display()), "");
        assert_eq!(
            dump,
            "table orders (model orders) V2__orders.sql:1\n  unique (key) where status = 'PENDING' V10__keys.sql:1\n"
    );
    }

    #[test]
    fn discovery_reads_orm_code_with_the_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            (
                "migrations/1_init/up.sql",
                "CREATE TABLE orders (id SERIAL PRIMARY KEY, idem_key TEXT);",
            ),
            (
                "src/order.entity.ts",
                "import { Entity, PrimaryGeneratedColumn, Column } from 'typeorm';\n\
                 @Entity('orders')\n\
                 export class Order {\n\
                 \x20 @PrimaryGeneratedColumn() id: number;\n\
                 \x20 @Column({ unique: true, name: 'idem_key' }) key: string;\n\
                 }\n",
            ),
            (
                "src/db/schema.ts",
                "import { pgTable, text, primaryKey } from 'drizzle-orm/pg-core';\n\
                 export const members = pgTable('members', {\n\
                 \x20 teamId: text('team_id'),\n\
                 \x20 userId: text('user_id'),\n\
                 }, (t) => [primaryKey({ columns: [t.teamId, t.userId] })]);\n",
            ),
            // Neither a dependency's code nor a declaration file is the project's schema.
            (
                "node_modules/lib/entity.ts",
                "@Entity('vendored') class V { @PrimaryColumn() id: string; }",
            ),
            (
                "src/types.d.ts",
                "@Entity('declared') class D { @PrimaryColumn() id: string; }",
            ),
        ];
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let schema = Schema::discover(&[dir.path().to_path_buf()]);
        let found: Vec<(&str, Vec<&str>, &str, u32)> = schema
            .tables
            .iter()
            .flat_map(|t| {
                t.keys.iter().map(|k| {
                    let file = k.file.file_name().and_then(|f| f.to_str()).unwrap_or("");
                    (
                        t.name.as_str(),
                        k.fields.iter().map(String::as_str).collect(),
                        file,
                        k.line,
                    )
                })
            })
            .collect();
        assert_eq!(
            found,
            [
                ("orders", vec!["id"], "up.sql", 1),
                // In the migrated table's column names, the entity's field kept as a column.
                ("orders", vec!["idem_key"], "order.entity.ts", 5),
                ("members", vec!["teamId", "userId"], "schema.ts", 5),
            ]
        );
        let orders = &schema.tables[0];
        assert_eq!(
            orders.columns,
            [("key".to_string(), "idem_key".to_string())]
        );
    }
}
