//! Front-ends: turn source text into the effect IR. They describe what code does; whether it
//! is a bug is for the rules.

mod builder;
mod lines;
mod project;
pub mod rust;
pub mod ts;
mod val;

pub use lines::LineIndex;

/// Deeper syntax than this is not descended into, in either language; the rest of the function
/// is left out with a note. It bounds the lowering's recursion, so deep generated code cannot
/// overflow a thread's stack.
pub(crate) const MAX_SYNTAX_DEPTH: usize = 400;

use crate::budget::Deadline;
use crate::ir::FileIr;
use crate::models::Models;
use std::path::Path;

/// The grammar a scanned file is parsed with, chosen by its extension (and so its language:
/// not to be confused with [`crate::models::Language`], the language a library model is for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grammar {
    TypeScript,
    /// TSX, JSX and plain JavaScript share the TSX grammar, which accepts both.
    Tsx,
    Rust,
}

impl Grammar {
    pub fn from_path(path: &Path) -> Option<Grammar> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
            return None;
        }
        match path.extension()?.to_str()? {
            "ts" | "mts" | "cts" => Some(Grammar::TypeScript),
            "tsx" | "js" | "jsx" | "mjs" | "cjs" => Some(Grammar::Tsx),
            "rs" => Some(Grammar::Rust),
            _ => None,
        }
    }
}

/// Lowers one file to the IR; past the deadline, the file is given up with a note.
/// `libraries`: see [`ts::lower_file`].
pub fn lower(
    kind: Grammar,
    text: &str,
    models: &Models,
    deadline: Deadline,
    libraries: &[String],
) -> FileIr {
    let mut ir = match kind {
        Grammar::TypeScript => ts::lower_file(false, text, models, deadline, libraries),
        Grammar::Tsx => ts::lower_file(true, text, models, deadline, libraries),
        Grammar::Rust => rust::lower_file(text, models, deadline),
    };
    if deadline.passed() {
        return FileIr {
            notes: vec![crate::ir::FileNote {
                span: None,
                message: deadline.note(),
            }],
            ..FileIr::default()
        };
    }
    // Every file's IR is held until the whole project is linked: give back what the
    // growing vectors reserved.
    for f in &mut ir.functions {
        f.effects.shrink_to_fit();
        f.body.shrink_to_fit();
    }
    ir.functions.shrink_to_fit();
    ir
}

/// Parses one file and drops the tree: the parse-only floor of the benchmark.
pub fn parse_only(kind: Grammar, text: &str) {
    match kind {
        Grammar::TypeScript | Grammar::Tsx => ts::parse_only(kind == Grammar::Tsx, text),
        Grammar::Rust => rust::parse_only(text),
    }
}
