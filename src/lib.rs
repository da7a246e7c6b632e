//! `toctou`: finds check-then-act races and idempotency-key bugs in TypeScript/JavaScript
//! and Rust services. Front-ends lower each function to an effect IR, rules read the IR, reporters
//! render the diagnostics.

pub mod diagnostic;
pub mod dump;
pub mod frontend;
pub mod ir;
pub mod models;
pub mod report;
pub mod rules;
pub mod sql;
mod walk;

use diagnostic::{Diagnostic, ScanNote};
use frontend::SourceKind;
use models::Models;
use rayon::prelude::*;
use rules::{RuleContext, RULES};
use std::path::{Path, PathBuf};

pub use walk::{discover, Discovery, Selection};

/// Files larger than this are skipped with a note; generated bundles are rarely worth it.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

pub struct Options {
    pub max_file_size: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<ScanNote>,
    pub files_scanned: usize,
}

/// Scans files and returns findings and notes, both sorted.
pub fn check(files: &[PathBuf], models: &Models, options: &Options) -> Outcome {
    let results: Vec<(Vec<Diagnostic>, Vec<ScanNote>, bool)> = files
        .par_iter()
        .map(|path| check_file(path, models, options))
        .collect();
    let mut outcome = Outcome::default();
    for (diagnostics, notes, scanned) in results {
        outcome.diagnostics.extend(diagnostics);
        outcome.notes.extend(notes);
        outcome.files_scanned += usize::from(scanned);
    }
    outcome
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome.notes.sort();
    outcome.notes.dedup();
    outcome
}

fn check_file(
    path: &Path,
    models: &Models,
    options: &Options,
) -> (Vec<Diagnostic>, Vec<ScanNote>, bool) {
    let note = |line: Option<u32>, message: String| ScanNote {
        file: path.to_path_buf(),
        line,
        message,
    };
    let Some(kind) = SourceKind::from_path(path) else {
        return (vec![], vec![], false);
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > options.max_file_size => {
            let msg = format!(
                "skipped: {} bytes is over the {} byte limit",
                meta.len(),
                options.max_file_size
            );
            return (vec![], vec![note(None, msg)], false);
        }
        Ok(_) => {}
        Err(e) => return (vec![], vec![note(None, format!("skipped: {e}"))], false),
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return (vec![], vec![note(None, format!("skipped: {e}"))], false),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return (
            vec![],
            vec![note(None, "skipped: not valid UTF-8".into())],
            false,
        );
    };
    if looks_minified(&text) {
        let msg = "skipped: looks minified or generated (very long lines)".to_string();
        return (vec![], vec![note(None, msg)], false);
    }
    let (diagnostics, file_notes) = check_source(path, kind, &text, models);
    let notes = file_notes
        .into_iter()
        .map(|n| note(n.span.map(|s| s.line), n.message))
        .collect();
    (diagnostics, notes, true)
}

/// Bundled or minified code (vendored `swagger-ui-bundle.js`) is machine-written: its lines
/// run to thousands of characters, where hand-written code averages well under a hundred.
fn looks_minified(text: &str) -> bool {
    let lines = text.lines().count().max(1);
    text.len() > 64 * 1024 && text.len() / lines > 500
}

/// Analyses one source text. `path` is only used to label findings.
pub fn check_source(
    path: &Path,
    kind: SourceKind,
    text: &str,
    models: &Models,
) -> (Vec<Diagnostic>, Vec<ir::FileNote>) {
    let file = frontend::lower(kind, text, models);
    let cx = RuleContext { models, file: path };
    let mut diagnostics = Vec::new();
    for func in &file.functions {
        for rule in RULES {
            (rule.check)(func, &cx, &mut diagnostics);
        }
    }
    (diagnostics, file.notes)
}
