//! SARIF 2.1.0: one run, the rule catalogue from the rules' own docs, results with the act as
//! the location, the check sites as related locations, and the interleaving of the two requests
//! as a code flow with one thread flow per request.

use super::json::path;
use super::{fingerprints, Report};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::ir::Span;
use crate::rules;
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/toctou-dev/toctou";
/// GitHub code scanning displays at most 1,000 thread flow locations per result (and rejects
/// more than 10,000). A finding has a handful; this only bounds a runaway list of steps.
const MAX_THREAD_FLOW_LOCATIONS: usize = 1000;

pub fn render(report: &Report) -> String {
    let metas: Vec<&rules::RuleMeta> = rules::all_metas().collect();
    let rules: Vec<Value> = metas.iter().map(|m| rule(m)).collect();
    let prints = fingerprints(report.diagnostics);
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(d, print)| {
            let index = metas.iter().position(|m| m.id == d.rule).unwrap_or(0);
            let uri = uri(&path(&d.file));
            let mut related: Vec<Value> = d
                .secondary
                .iter()
                .map(|l| {
                    json!({
                        "message": { "text": l.message },
                        "physicalLocation": physical(&uri, &l.span),
                    })
                })
                .collect();
            // Sites inside called functions, where they are written.
            for l in std::iter::once(&d.primary).chain(&d.secondary) {
                if let Some(frame) = l.via.last() {
                    related.push(json!({
                        "message": { "text": format!("{} (inside `{}`)", l.message, frame.function) },
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
            let mut text = d.message.clone();
            for (i, step) in d.steps.iter().enumerate() {
                text.push_str(&format!("\n{}. {step}", i + 1));
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
                "relatedLocations": related,
                "partialFingerprints": { "toctou/v1": print },
                "properties": { "help": d.help, "notes": d.notes },
            });
            if let Some(flows) = code_flows(d, &uri) {
                result["codeFlows"] = flows;
            }
            result
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

/// The two requests of the finding as two thread flows of one code flow, `request A` and
/// `request B`. Each step of [`Diagnostic::steps`] becomes a location in the thread of each
/// request it is about (in the order they take it), with the step as its message and a global
/// `executionOrder` that interleaves the two threads. `None` when there are no steps: a thread
/// flow needs at least one location, and none is made up.
fn code_flows(d: &Diagnostic, uri: &str) -> Option<Value> {
    let mut threads: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
    let mut order = 0usize;
    'steps: for step in &d.steps {
        let label = label_for(d, step);
        for request in actors(step) {
            if order == MAX_THREAD_FLOW_LOCATIONS {
                break 'steps;
            }
            order += 1;
            threads[request as usize].push(json!({
                "location": {
                    "physicalLocation": physical(uri, &label.span),
                    "message": { "text": step },
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    A = 0,
    B = 1,
}

/// The requests a step is about, in the order they take it: its subject (`request A`,
/// `B`, `both`), and the other request too when the step goes on with "then B ...". A step
/// with no subject belongs to the one request it names, or to both.
fn actors(step: &str) -> Vec<Request> {
    let words: Vec<&str> = step
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty() && !matches!(*w, "request" | "Request" | "process" | "Process"))
        .collect();
    let request = |w: &str| match w {
        "A" => Some(Request::A),
        "B" => Some(Request::B),
        _ => None,
    };
    let other = |r: Request| match r {
        Request::A => Request::B,
        Request::B => Request::A,
    };
    let both = vec![Request::A, Request::B];
    let first = words.first().copied().unwrap_or_default();
    if matches!(first, "both" | "Both") {
        return both;
    }
    if let Some(subject) = request(first) {
        let then_other = words
            .windows(2)
            .any(|p| p[0] == "then" && request(p[1]) == Some(other(subject)));
        return if then_other {
            vec![subject, other(subject)]
        } else {
            vec![subject]
        };
    }
    let named = |r: Request| words.iter().any(|w| request(w) == Some(r));
    match (named(Request::A), named(Request::B)) {
        (true, false) => vec![Request::A],
        (false, true) => vec![Request::B],
        _ => both,
    }
}

/// The label a step is shown at; every location is a label's span, no line is invented. The
/// label on the first line the step names (the one its verb points to when several share that
/// line); failing that, the label its verb points to (the read, the guard, the act), then the
/// label nearest that line, then the act.
fn label_for<'a>(d: &'a Diagnostic, step: &str) -> &'a Label {
    let labels = || d.secondary.iter().chain(std::iter::once(&d.primary));
    let hinted = hinted_label(d, step);
    let Some(line) = first_line(step) else {
        return hinted.unwrap_or(&d.primary);
    };
    hinted
        .filter(|l| l.span.line == line)
        .or_else(|| labels().find(|l| l.span.line == line))
        .or(hinted)
        .or_else(|| labels().min_by_key(|l| l.span.line.abs_diff(line)))
        .unwrap_or(&d.primary)
}

/// The label a step's verb points to: passing the check is the guard (the second secondary
/// label, after the read), reading or checking is the read (the first), acting is the primary.
fn hinted_label<'a>(d: &'a Diagnostic, step: &str) -> Option<&'a Label> {
    let has = |words: &[&str]| {
        step.split_whitespace()
            .any(|w| words.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
    };
    if step.contains("pass the check") || step.contains("passes the check") {
        d.secondary.get(1)
    } else if has(&["reads", "checks"]) {
        d.secondary.first()
    } else if has(&[
        "calls", "runs", "insert", "inserts", "update", "updates", "writes",
    ]) {
        Some(&d.primary)
    } else {
        None
    }
}

/// The number after the first "line" in a step.
fn first_line(step: &str) -> Option<u32> {
    let mut words = step.split_whitespace();
    while let Some(w) = words.next() {
        if w == "line" {
            let digits: String = words
                .next()?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                return Some(n);
            }
        }
    }
    None
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
