//! The project's database schema: the tables its schema files declare and the keys the
//! database keeps unique in each, which decide whether a second insert of a key is refused.
//! Read from Prisma schema files so far; `toctou dump-schema` prints it.

mod prisma;

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

/// A set of fields whose values no two rows share.
#[derive(Debug)]
pub struct Key {
    pub kind: KeyKind,
    pub fields: Vec<String>,
    /// The line declaring it, in the table's file.
    pub line: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Primary,
    Unique,
}

impl Schema {
    /// The schema files under `root` (honouring `.gitignore`, never `node_modules`), read in
    /// path order; a file that cannot be read is passed over.
    pub fn discover(root: &Path) -> Schema {
        let mut files: Vec<PathBuf> = ignore::WalkBuilder::new(root)
            .filter_entry(|e| e.file_name() != "node_modules")
            .build()
            .filter_map(Result::ok)
            .map(ignore::DirEntry::into_path)
            .filter(|p| p.extension().is_some_and(|e| e == "prisma") && p.is_file())
            .collect();
        files.sort();
        let tables = files
            .iter()
            .filter_map(|f| Some(prisma::tables(f, &std::fs::read_to_string(f).ok()?)))
            .flatten()
            .collect();
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
                out.push_str(&format!(
                    "  {kind} ({}) line {}\n",
                    k.fields.join(", "),
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
