//! SARIF 2.1.0: one run, the rule catalogue from the rules' own docs, results with the act as
//! the location, the check sites as related locations, and the interleaving of the two requests
//! as a code flow with one thread flow per request.

use super::json::path;
use super::{fingerprints, Report};
use crate::diagnostic::{Actor, Diagnostic, Severity};
use crate::ir::Span;
use crate::rules;
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/toctou-dev/toctou";
/// GitHub code scanning displays at most 1,000 thread flow locations per result (and rejects
/// more than 10,000). A finding has a handful; this only bounds a runaway list of steps.
const MAX_THREAD_FLOW_LOCATIONS: usize = 1000;

pub fn render(report: &Report) -> String {
    // Preview rules are off unless configured: listed only when they found something.
    let metas: Vec<&rules::RuleMeta> = rules::all_metas()
        .filter(|m| !m.preview || report.diagnostics.iter().any(|d| d.rule == m.id))
        .collect();
    let rules: Vec<Value> = metas.iter().map(|m| rule(m)).collect();
    let prints = fingerprints(report.diagnostics);
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(d, print)| {
            let index = metas.iter().position(|m| m.id == d.rule);
            result(d, index.map(|i| metas[i]), index.unwrap_or(0), print)
        })
        .collect();
    let notifications: Vec<Value> = report.notes.iter().map(notification).collect();
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

/// One finding: the act as its location, the other sites as related locations, the steps in
/// its message and as thread flows.
fn result(d: &Diagnostic, meta: Option<&rules::RuleMeta>, index: usize, print: String) -> Value {
    let uri = uri(&path(&d.file));
    let mut text = d.headline();
    for (i, step) in d.steps.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", i + 1, step.text));
    }
    let mut result = json!({
        "ruleId": d.rule,
        "ruleIndex": index,
        "level": level(d.severity),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": physical(&uri, &d.primary.span),
            "logicalLocations": [{ "name": d.function, "kind": "function" }],
        }],
        "relatedLocations": related(d, &uri),
        // v2: fingerprints hash what a finding is about, not label prose (v1), so v1 ones no
        // longer match: a new key tells code scanning so.
        "partialFingerprints": { "toctou/v2": print },
        "properties": { "help": d.help, "notes": d.notes },
    });
    // A race anyone can win on purpose is a security finding: code scanning files it by
    // its score and tags.
    if let Some(security) = d.security {
        let mut tags = vec!["security"];
        tags.extend(meta.and_then(|m| m.cwe));
        result["properties"]["security-severity"] = json!(security.severity_score());
        result["properties"]["tags"] = json!(tags);
    }
    if let Some(flows) = code_flows(d, &uri) {
        result["codeFlows"] = flows;
    }
    result
}

/// The check sites, then the sites inside called functions where they are written.
fn related(d: &Diagnostic, uri: &str) -> Vec<Value> {
    let mut related: Vec<Value> = d
        .secondary
        .iter()
        .map(|l| {
            let uri = l
                .file
                .as_ref()
                .map_or_else(|| uri.to_string(), |f| self::uri(&path(f)));
            json!({
                "message": { "text": l.text() },
                "physicalLocation": physical(&uri, &l.span),
            })
        })
        .collect();
    for l in d.labels() {
        if let Some(frame) = l.via.last() {
            related.push(json!({
                "message": { "text": format!("{} (inside `{}`)", l.text(), frame.function) },
                "physicalLocation": {
                    "artifactLocation": { "uri": self::uri(&path(std::path::Path::new(&*frame.file))), "uriBaseId": "%SRCROOT%" },
                    "region": { "startLine": frame.line },
                },
            }));
        }
    }
    for (i, r) in related.iter_mut().enumerate() {
        r["id"] = json!(i + 1);
    }
    related
}

fn notification(n: &crate::diagnostic::ScanNote) -> Value {
    let mut loc =
        json!({ "artifactLocation": { "uri": uri(&path(&n.file)), "uriBaseId": "%SRCROOT%" } });
    if let Some(line) = n.line {
        loc["region"] = json!({ "startLine": line });
    }
    json!({
        "level": "note",
        "message": { "text": n.message },
        "locations": [{ "physicalLocation": loc }],
    })
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
    // The weakness its security findings are filed under, for searching the catalogue.
    let tags: Vec<&str> = ["concurrency", "correctness"]
        .into_iter()
        .chain(meta.cwe)
        .collect();
    json!({
        "id": meta.id,
        "name": name,
        "shortDescription": { "text": meta.summary },
        "fullDescription": { "text": what_it_does(&docs).unwrap_or(meta.summary).replace('\n', " ") },
        "help": { "text": docs, "markdown": docs },
        "helpUri": format!("{INFO_URI}/blob/main/docs/rules/{}.md", meta.id),
        "defaultConfiguration": { "level": level(meta.level) },
        "properties": { "tags": tags },
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

/// The two requests of the finding as two thread flows of one code flow, `request A` and
/// `request B`. Each step of [`Diagnostic::steps`] becomes a location, at its site, in the
/// thread of each request that takes it (A first when both do), with the step as its message
/// and a global `executionOrder` that interleaves the two threads. `None` when there are no steps: a thread
/// flow needs at least one location, and none is made up.
fn code_flows(d: &Diagnostic, uri: &str) -> Option<Value> {
    let mut threads: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
    let mut order = 0usize;
    'steps: for step in &d.steps {
        // Threads by index: request A's, then request B's.
        let threads_taking: &[usize] = match step.actor {
            Actor::A => &[0],
            Actor::B => &[1],
            Actor::Both => &[0, 1],
        };
        for &thread in threads_taking {
            if order == MAX_THREAD_FLOW_LOCATIONS {
                break 'steps;
            }
            order += 1;
            threads[thread].push(json!({
                "location": {
                    "physicalLocation": physical(uri, &step.at),
                    "message": { "text": step.text },
                },
                "executionOrder": order,
                "nestingLevel": 0,
            }));
        }
    }
    let flows: Vec<Value> = ["request A", "request B"]
        .into_iter()
        .zip(threads)
        .filter(|(_, locations)| !locations.is_empty())
        .map(|(id, locations)| json!({ "id": id, "locations": locations }))
        .collect();
    if flows.is_empty() {
        return None;
    }
    let act = d.primary.span.line;
    let summary = match d.secondary.first() {
        Some(check) => format!(
            "in `{}`, request A and request B both get past the check at line {} before either reaches line {act}",
            d.function, check.span.line
        ),
        None => format!(
            "in `{}`, request A and request B both reach line {act}",
            d.function
        ),
    };
    Some(json!([{ "message": { "text": summary }, "threadFlows": flows }]))
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
