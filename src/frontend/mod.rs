//! Front-ends: turn source text into the effect IR. They describe what code does; whether it
//! is a bug is for the rules.

mod builder;
mod lines;
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

/// Source languages the scanner recognises, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    TypeScript,
    /// TSX, JSX and plain JavaScript share the TSX grammar, which accepts both.
    Tsx,
    Rust,
}

impl SourceKind {
    pub fn from_path(path: &Path) -> Option<SourceKind> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
            return None;
        }
        match path.extension()?.to_str()? {
            "ts" | "mts" | "cts" => Some(SourceKind::TypeScript),
            "tsx" | "js" | "jsx" | "mjs" | "cjs" => Some(SourceKind::Tsx),
            "rs" => Some(SourceKind::Rust),
            _ => None,
        }
    }
}

/// Lowers one file to the IR; past the deadline, the file is given up with a note.
pub fn lower(kind: SourceKind, text: &str, models: &Models, deadline: Deadline) -> FileIr {
    let mut ir = match kind {
        SourceKind::TypeScript => ts::lower_file(false, text, models, deadline),
        SourceKind::Tsx => ts::lower_file(true, text, models, deadline),
        SourceKind::Rust => rust::lower_file(text, models, deadline),
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
pub fn parse_only(kind: SourceKind, text: &str) {
    match kind {
        SourceKind::TypeScript | SourceKind::Tsx => ts::parse_only(kind == SourceKind::Tsx, text),
        SourceKind::Rust => rust::parse_only(text),
    }
}
