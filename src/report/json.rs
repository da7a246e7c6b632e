//! `--format json`: a stable, documented list of findings (schema version 1).

use super::{fingerprints, Report};
use crate::diagnostic::Label;
use crate::ir::Span;
use serde_json::{json, Value};

pub fn render(report: &Report) -> String {
    let prints = fingerprints(report.diagnostics);
    let findings: Vec<Value> = report
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(d, fingerprint)| {
            json!({
                "rule": d.rule,
                "severity": d.severity.as_str(),
                "message": d.headline(),
                "file": path(&d.file),
                "function": d.function,
                "location": location(&d.primary.span),
                "labels": d.labels().map(label).collect::<Vec<_>>(),
                "steps": d.steps.iter().map(|s| &s.text).collect::<Vec<_>>(),
                "notes": d.notes,
                "help": d.help,
                "fingerprint": fingerprint,
            })
        })
        .collect();
    let notes: Vec<Value> = report
        .notes
        .iter()
        .map(|n| json!({ "file": path(&n.file), "line": n.line, "message": n.message }))
        .collect();
    let doc = json!({
        "version": 1,
        "tool": { "name": "toctou", "version": env!("CARGO_PKG_VERSION") },
        "summary": { "files_scanned": report.files_scanned, "findings": findings.len() },
        "findings": findings,
        "notes": notes,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

pub(super) fn path(p: &std::path::Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

fn location(span: &Span) -> Value {
    json!({ "line": span.line, "column": span.col, "end_line": span.end_line, "end_column": span.end_col })
}

fn label(l: &Label) -> Value {
    let mut label = json!({ "message": l.text(), "location": location(&l.span) });
    if let Some(file) = &l.file {
        label["file"] = json!(path(file));
    }
    label
}
