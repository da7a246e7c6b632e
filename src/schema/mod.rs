//! The project's database schema: the tables its schema files declare and the keys the
//! database keeps unique in each, which decide whether a second insert of a key is refused.
//! Read from Prisma schema files and SQL migrations so far; `toctou dump-schema` prints it.

mod covers;
mod migrations;
mod prisma;
mod roots;
mod site;

use crate::ir::{FieldEq, Resource};
pub use roots::project_root;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

/// Adds a table's keys to the table of that name, or the table when there is none.
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyKind {
    Primary,
    Unique,
}

impl Schema {
    /// The schema files under `roots` (honouring `.gitignore`, never in dependencies, build
    /// output, tests or examples), read in
    /// path order: Prisma schemas, then SQL migrations applied one after another for the
    /// tables no Prisma schema declares (a migration's down script undoes nothing of the
    /// schema in force). A file that cannot be read is passed over.
    pub fn discover(roots: &[PathBuf]) -> Schema {
        let mut files: Vec<PathBuf> = roots
            .iter()
            .flat_map(|root| {
                ignore::WalkBuilder::new(root)
                    .filter_entry(|e| e.depth() == 0 || !is_elsewhere(e.file_name()))
                    .build()
            })
            .filter_map(Result::ok)
            .map(ignore::DirEntry::into_path)
            .filter(|p| p.is_file())
            .map(|p| p.strip_prefix(".").map_or(p.clone(), Path::to_path_buf))
            .collect();
        files.sort();
        files.dedup();
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
        let declared: Vec<Table> = Vec::new();
        for table in declared {
            merge(&mut migrated, table);
        }
        // A Prisma schema is the state its migrations lead to: it speaks for its tables.
        migrated.retain(|m| !tables.iter().any(|t| t.name.eq_ignore_ascii_case(&m.name)));
        tables.append(&mut migrated);
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
                out.push_str(&format!(
                    "  {kind} ({}) {}:{}\n",
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
