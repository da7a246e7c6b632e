//! The finding model shared by rules and reporters. Rules build [`Diagnostic`]s; reporters only
//! render them, so every output format says the same thing.

use crate::ir::Span;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A source site that takes part in a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    /// What happens here, e.g. "reads `orders`".
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Public rule id, e.g. `check-then-act`.
    pub rule: &'static str,
    pub severity: Severity,
    /// What is wrong: lowercase, no final period.
    pub message: String,
    /// Path as given or found by the walk, relative to the scan root where possible.
    pub file: PathBuf,
    /// The function the finding sits in.
    pub function: String,
    /// The act: where the damage happens.
    pub primary: Label,
    /// The other sites: the check, the guard, the record.
    pub secondary: Vec<Label>,
    /// The interleaving of two requests, step by step.
    pub steps: Vec<String>,
    /// Further explanation (why a protection present does not protect).
    pub notes: Vec<String>,
    /// The fix that fits the library in use.
    pub help: String,
}

impl Diagnostic {
    /// Total order used before any reporter runs: output never depends on thread scheduling.
    pub fn sort_key(&self) -> (&PathBuf, usize, usize, &'static str, &str) {
        (
            &self.file,
            self.primary.span.start,
            self.primary.span.end,
            self.rule,
            &self.message,
        )
    }
}

/// Something the scan wants the user to know that is not a finding: a file skipped or only
/// partly parsed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScanNote {
    pub file: PathBuf,
    pub line: Option<u32>,
    pub message: String,
}
