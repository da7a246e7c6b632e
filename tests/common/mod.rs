//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use toctou::diagnostic::Diagnostic;
use toctou::report::{self, Format, Report};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Renders diagnostics the way the CLI does, reading sources relative to the crate root.
pub fn render(format: Format, diagnostics: &[Diagnostic], files_scanned: usize) -> String {
    let source = |p: &Path| std::fs::read_to_string(root().join(p)).ok();
    let report = Report {
        diagnostics,
        notes: &[],
        files_scanned,
        source: &source,
        color: false,
    };
    report::render(format, &report)
}
