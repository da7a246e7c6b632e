//! `--format github`: GitHub Actions workflow commands, one annotation per finding.

use super::json::path;
use super::Report;
use crate::diagnostic::Severity;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let s = &d.primary.span;
        let mut body = d.headline();
        for (i, step) in d.steps.iter().enumerate() {
            body.push_str(&format!("\n{}. {}", i + 1, step.text));
        }
        body.push_str(&format!("\nfix: {}", d.help));
        out.push_str(&format!(
            "::{level} file={},line={},endLine={},col={},endColumn={},title={}::{}\n",
            property(&path(&d.file)),
            s.line,
            s.end_line,
            s.col,
            s.end_col,
            property(&format!("toctou({})", d.rule)),
            data(&body),
        ));
    }
    out
}

/// Escaping for the message part of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for property values, which also reserve `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}
