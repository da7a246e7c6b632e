//! The finding model shared by rules and reporters. Rules build [`Diagnostic`]s; reporters only
//! render them, so every output format says the same thing.

use crate::ir::{Effect, Frame, Span};
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
    /// When it happens inside called functions: the calls, outermost first (the span is
    /// then the outermost call's).
    pub via: Vec<Frame>,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label {
            span,
            message: message.into(),
            via: Vec::new(),
        }
    }

    /// A label at an effect, through the calls it was linked in from.
    pub fn at(effect: &Effect, message: impl Into<String>) -> Label {
        Label {
            span: effect.span,
            message: message.into(),
            via: effect.via.clone(),
        }
    }

    /// `inside `find` (src/repo.ts:14)`: where a linked site really is.
    pub fn inside(&self) -> Option<String> {
        let last = self.via.last()?;
        let chain: Vec<&str> = self.via.iter().map(|f| &*f.function).collect();
        Some(format!(
            "inside `{}` ({}:{})",
            chain.join("` → `"),
            last.file,
            last.line
        ))
    }
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
    /// Names the helpers a finding's sites sit in: the message says which functions it goes
    /// through, and each linked label where the site really is.
    pub fn explain_links(&mut self) {
        let mut through: Vec<String> = Vec::new();
        for label in std::iter::once(&mut self.primary).chain(&mut self.secondary) {
            let Some(inside) = label.inside() else {
                continue;
            };
            label.message = format!("{} {inside}", label.message);
            let outer = &label.via[0].function;
            if !through.iter().any(|t| **t == **outer) {
                through.push(outer.to_string());
            }
        }
        if !through.is_empty() {
            self.message = format!("{} (through `{}`)", self.message, through.join("`, `"));
        }
    }

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
