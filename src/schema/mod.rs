//! The project's database schema: the tables its schema files declare and the keys the
//! database keeps unique in each, which decide whether a second insert of a key is refused.
//! Read from Prisma schema files and SQL migrations so far; `toctou dump-schema` prints it.

mod migrations;
mod prisma;
mod ts_orm;

use crate::ir::FieldEq;
use std::path::{Path, PathBuf};

/// The tables of a project, in the order their files were read.
#[derive(Debug, Default)]
pub struct Schema {
    pub tables: Vec<Table>,
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
}

impl Table {
    fn new(model: &str, file: &Path, line: u32) -> Table {
        Table {
            model: model.to_string(),
            name: model.to_string(),
            columns: Vec::new(),
            keys: Vec::new(),
            file: file.to_path_buf(),
            line,
        }
    }
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
    for key in table.keys {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Primary,
    Unique,
}

impl Schema {
    /// The schema files under `root` (honouring `.gitignore`, never `node_modules`), read in
    /// path order: Prisma schemas, then SQL migrations applied one after another for the
    /// tables no Prisma schema declares (a migration's down script undoes nothing of the
    /// schema in force). A file that cannot be read is passed over.
    pub fn discover(root: &Path) -> Schema {
        let mut files: Vec<PathBuf> = ignore::WalkBuilder::new(root)
            .filter_entry(|e| e.file_name() != "node_modules")
            .build()
            .filter_map(Result::ok)
            .map(ignore::DirEntry::into_path)
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let read = |f: &PathBuf| std::fs::read_to_string(f).ok();
        let has = |f: &Path, ext: &str| f.extension().is_some_and(|e| e == ext);
        let mut tables: Vec<Table> = files
            .iter()
            .filter(|f| has(f, "prisma"))
            .filter_map(|f| Some(prisma::tables(f, &read(f)?)))
            .flatten()
            .collect();
        let mut migrated = Vec::new();
        for f in files.iter().filter(|f| has(f, "sql")) {
            if f.file_name().is_some_and(|n| n == "down.sql") {
                continue;
            }
            if let Some(text) = read(f) {
                migrations::apply(&mut migrated, f, &text);
            }
        }
        // Tables declared in code (ORM entities, models, migrations written as code) add
        // their keys to what the SQL migrations built: either may be what created them.
        let mut declared: Vec<Table> = Vec::new();
        declared.extend(ts_orm::tables(&files));
        for table in declared {
            merge(&mut migrated, table);
        }
        // A Prisma schema is the state its migrations lead to: it speaks for its tables.
        migrated.retain(|m| !tables.iter().any(|t| t.name.eq_ignore_ascii_case(&m.name)));
        tables.append(&mut migrated);
        Schema { tables }
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
                // A partial key keeps only the rows its condition selects unique.
                let partial = k.predicate.as_ref().map(|p| format!(" where {}", p.text));
                out.push_str(&format!(
                    "  {kind} ({}){} {}:{}\n",
                    k.fields.join(", "),
                    partial.unwrap_or_default(),
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
        let schema = Schema::discover(dir.path());
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
                ("orders", vec!["key"], "order.entity.ts", 5),
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
