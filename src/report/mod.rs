//! Reporters: render sorted diagnostics. They never decide what is reported.

mod fingerprint;
mod github;
mod human;
mod json;
mod sarif;

use crate::diagnostic::{Diagnostic, ScanNote};

pub use fingerprint::fingerprints;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Annotated source snippets for people.
    Human,
    /// A stable list of findings (schema in README.md).
    Json,
    /// SARIF 2.1.0 for code scanning and editors.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
}

/// What every reporter gets.
pub struct Report<'a> {
    pub diagnostics: &'a [Diagnostic],
    pub notes: &'a [ScanNote],
    pub files_scanned: usize,
    /// Reads a reported file's text again for snippets; `None` when it cannot.
    pub source: &'a dyn Fn(&std::path::Path) -> Option<String>,
    /// Render with ANSI colours (human format only).
    pub color: bool,
}

pub fn render(format: Format, report: &Report) -> String {
    match format {
        Format::Human => human::render(report),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
    }
}
