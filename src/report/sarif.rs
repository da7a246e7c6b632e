//! SARIF 2.1.0: one run, the rule catalogue from the rules' own docs, results with the act as
//! the location and the check sites as related locations.

use super::json::path;
use super::{fingerprints, Report};
use crate::diagnostic::Severity;
use crate::ir::Span;
use crate::rules::{self, RULES};
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/toctou-dev/toctou";

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = RULES.iter().map(|r| rule(&r.meta)).collect();
    let prints = fingerprints(report.diagnostics);
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(d, print)| {
            let index = RULES.iter().position(|r| r.meta.id == d.rule).unwrap_or(0);
            let uri = uri(&path(&d.file));
            let related: Vec<Value> = d
                .secondary
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    json!({
                        "id": i + 1,
                        "message": { "text": l.message },
                        "physicalLocation": physical(&uri, &l.span),
                    })
                })
                .collect();
            let mut text = d.message.clone();
            for (i, step) in d.steps.iter().enumerate() {
                text.push_str(&format!("\n{}. {step}", i + 1));
            }
            json!({
                "ruleId": d.rule,
                "ruleIndex": index,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": physical(&uri, &d.primary.span),
                    "logicalLocations": [{ "name": d.function, "kind": "function" }],
                }],
                "relatedLocations": related,
                "partialFingerprints": { "toctou/v1": print },
                "properties": { "help": d.help, "notes": d.notes },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|n| {
            let mut loc = json!({ "artifactLocation": { "uri": uri(&path(&n.file)), "uriBaseId": "%SRCROOT%" } });
            if let Some(line) = n.line {
                loc["region"] = json!({ "startLine": line });
            }
            json!({
                "level": "note",
                "message": { "text": n.message },
                "locations": [{ "physicalLocation": loc }],
            })
        })
        .collect();
    let root = std::env::current_dir()
        .ok()
        .map(|d| format!("file://{}/", path(&d).trim_end_matches('/')))
        .unwrap_or_else(|| "file:///".into());
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "toctou",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFO_URI,
                "rules": rules,
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": uri(&root) } },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

fn rule(meta: &rules::RuleMeta) -> Value {
    let docs = rules::docs(meta);
    let name: String = meta
        .id
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect();
    json!({
        "id": meta.id,
        "name": name,
        "shortDescription": { "text": meta.summary },
        "fullDescription": { "text": what_it_does(&docs).unwrap_or(meta.summary).replace('\n', " ") },
        "help": { "text": docs, "markdown": docs },
        "helpUri": format!("{INFO_URI}/blob/main/docs/rules/{}.md", meta.id),
        "defaultConfiguration": { "level": level(meta.level) },
        "properties": { "tags": ["concurrency", "correctness"] },
    })
}

/// The text of the "What it does" section, the rule's full description.
fn what_it_does(docs: &str) -> Option<&str> {
    let rest = docs.split_once("## What it does\n")?.1;
    Some(rest.split("\n\n").next().unwrap_or(rest).trim())
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn physical(uri: &str, span: &Span) -> Value {
    json!({
        "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": span.line,
            "startColumn": span.col,
            "endLine": span.end_line,
            "endColumn": span.end_col,
        },
    })
}

/// Percent-encodes what a URI reference cannot hold literally.
fn uri(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b':'
            | b'@'
            | b'+' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
