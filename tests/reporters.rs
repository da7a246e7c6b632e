//! Each output format pinned on one small set: the seed incidents of the check-then-act rule,
//! and one Rust finding of each rule.
//! The SARIF is also validated against the official 2.1.0 schema.

mod common;

use toctou::budget::Deadline;

use toctou::config::Config;
use toctou::report::Format;

const SET: &[&str] = &[
    "fixtures/ts/check-then-act/fire_seed003_process_payment_pg.ts",
    "fixtures/ts/time-window-dedup/fire_seed004_charge_customer_time_window.ts",
    "fixtures/ts/check-then-act/quiet_seed003_fixed_for_update_idempotency_key.ts",
    "fixtures/rust/check-then-act/fire_sqlx_query_macro_refund_create.rs",
    "fixtures/rust/fs-check-then-act/fire_cli_init_not_exists_then_fs_write_config.rs",
    "fixtures/ts/fs-check-then-act/fire_node_fs_api_token_file_exists_then_write.ts",
];

fn diagnostics() -> Vec<toctou::diagnostic::Diagnostic> {
    let config = Config::builtin();
    let files: Vec<std::path::PathBuf> = SET.iter().map(|p| common::root().join(p)).collect();
    let mut outcome = toctou::check(&files, &config, &toctou::Options::default());
    for d in &mut outcome.diagnostics {
        d.file = d.file.strip_prefix(common::root()).unwrap().to_path_buf();
    }
    outcome.diagnostics
}

/// The SARIF root URI is the working directory; replace it so snapshots are portable.
fn portable(text: String) -> String {
    let cwd = std::env::current_dir().unwrap();
    text.replace(&format!("file://{}/", cwd.display()), "file:///ROOT/")
}

#[test]
fn human() {
    insta::assert_snapshot!(common::render(Format::Human, &diagnostics(), SET.len()));
}

#[test]
fn json() {
    insta::assert_snapshot!(common::render(Format::Json, &diagnostics(), SET.len()));
}

#[test]
fn github() {
    insta::assert_snapshot!(common::render(Format::Github, &diagnostics(), SET.len()));
}

#[test]
fn sarif_matches_snapshot_and_validates_against_the_2_1_0_schema() {
    let text = portable(common::render(Format::Sarif, &diagnostics(), SET.len()));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("tests/schemas/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let instance: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_valid_sarif(&schema, &instance);
    assert_eq!(instance["runs"][0]["results"].as_array().unwrap().len(), 9);
    insta::assert_snapshot!(text);
}

fn assert_valid_sarif(schema: &serde_json::Value, instance: &serde_json::Value) {
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

/// Every fixture of every rule and language, in one SARIF log, validates.
#[test]
fn sarif_of_every_fixture_validates() {
    let root = common::root();
    let found = toctou::discover(&[root.join("fixtures")], &toctou::Selection::default()).unwrap();
    let outcome = toctou::check(
        &found.files,
        &Config::builtin(),
        &toctou::Options::default(),
    );
    assert!(
        outcome.diagnostics.len() > 80,
        "{}",
        outcome.diagnostics.len()
    );
    let text = common::render(Format::Sarif, &outcome.diagnostics, outcome.files_scanned);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    assert_valid_sarif(&schema, &serde_json::from_str(&text).unwrap());
}

/// A race that moves money or gets a credential twice is a security result, filed under the
/// rule's weakness (CWE-367 for files); other results carry no security properties.
#[test]
fn sarif_tags_security_findings_with_their_weakness() {
    let diagnostics = diagnostics();
    let text = common::render(Format::Sarif, &diagnostics, SET.len());
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    for (d, result) in diagnostics.iter().zip(results) {
        let properties = &result["properties"];
        match d.security {
            Some(_) => {
                assert_eq!(result["level"], "error", "{}", d.message);
                assert!(properties["security-severity"].is_string());
                let cwe = if d.rule == "fs-check-then-act" {
                    "CWE-367"
                } else {
                    "CWE-362"
                };
                assert_eq!(properties["tags"], serde_json::json!(["security", cwe]));
            }
            None => assert!(properties.get("security-severity").is_none()),
        }
    }
    let weighed: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d.security.is_some())
        .map(|d| d.rule)
        .collect();
    assert!(weighed.contains(&"check-then-act") && weighed.contains(&"fs-check-then-act"));
}

/// The interleaving of a fire fixture as a SARIF code flow: one thread flow per request, whose
/// `executionOrder` values, merged across both threads, run strictly increasing in the order of
/// the diagnostic's steps, each at the line of one of the diagnostic's labels.
#[test]
fn sarif_code_flow_interleaves_two_requests_in_step_order() {
    let diagnostics = diagnostics();
    let (index, d) = diagnostics
        .iter()
        .enumerate()
        .find(|(_, d)| d.file.ends_with("fire_seed003_process_payment_pg.ts"))
        .unwrap();
    let text = common::render(Format::Sarif, &diagnostics, SET.len());
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
    let result = &sarif["runs"][0]["results"][index];
    let flows = result["codeFlows"].as_array().unwrap();
    assert_eq!(flows.len(), 1);
    let threads = flows[0]["threadFlows"].as_array().unwrap();
    let ids: Vec<&str> = threads.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["request A", "request B"]);

    let label_lines: Vec<u64> = std::iter::once(&d.primary)
        .chain(&d.secondary)
        .map(|l| u64::from(l.span.line))
        .collect();
    let mut merged: Vec<(u64, String)> = Vec::new();
    for thread in threads {
        let orders: Vec<u64> = thread["locations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                assert_eq!(l["nestingLevel"], 0);
                let line = l["location"]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap();
                assert!(label_lines.contains(&line), "line {line} is no label's");
                let step = l["location"]["message"]["text"].as_str().unwrap();
                let order = l["executionOrder"].as_u64().unwrap();
                merged.push((order, step.to_string()));
                order
            })
            .collect();
        assert!(
            orders.windows(2).all(|w| w[0] < w[1]),
            "{}: {orders:?}",
            thread["id"]
        );
    }
    merged.sort();
    assert!(
        merged.windows(2).all(|w| w[0].0 < w[1].0),
        "executionOrder repeats across threads: {merged:?}"
    );
    // In executionOrder, the steps come in the diagnostic's order; a step both requests take
    // appears once per request, one right after the other.
    let mut in_order: Vec<String> = merged.into_iter().map(|(_, step)| step).collect();
    in_order.dedup();
    let steps: Vec<&str> = d.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(in_order, steps);
}

#[test]
fn fingerprints_survive_unrelated_line_shifts() {
    let config = Config::builtin();
    let path = std::path::Path::new("svc.ts");
    let text = std::fs::read_to_string(common::root().join(SET[0])).unwrap();
    let shifted = format!("// a new header comment\n\n{text}");
    let kind = toctou::frontend::Grammar::TypeScript;
    let (a, _) = toctou::check_source(path, kind, &text, &config, Deadline::NONE);
    let (b, _) = toctou::check_source(path, kind, &shifted, &config, Deadline::NONE);
    assert_ne!(a[0].primary.span.line, b[0].primary.span.line);
    assert_eq!(
        toctou::report::fingerprints(&a),
        toctou::report::fingerprints(&b)
    );
}

/// A finding reached through helpers in other files keeps its fingerprint, and its baseline
/// entry, when lines move in the caller and in the helpers: the helpers' `file:line` is shown
/// in the labels but never hashed (it was, and such a finding came back as new).
#[test]
fn fingerprints_of_a_finding_through_helpers_survive_line_shifts_in_both_files() {
    let case = common::root()
        .join("fixtures/ts/cross-file/fire_express_route_db_helper_then_mailer_helper/src");
    let dir = tempfile::tempdir().unwrap();
    let files = ["db.ts", "mailer.ts", "routes/newsletter.ts"];
    let scan = |shift: &str| {
        std::fs::create_dir_all(dir.path().join("routes")).unwrap();
        for file in files {
            let text = std::fs::read_to_string(case.join(file)).unwrap();
            std::fs::write(dir.path().join(file), format!("{shift}{text}")).unwrap();
        }
        let paths: Vec<std::path::PathBuf> = files.iter().map(|f| dir.path().join(f)).collect();
        toctou::check(&paths, &Config::builtin(), &toctou::Options::default()).diagnostics
    };
    let before = scan("");
    let linked = before
        .iter()
        .find(|d| d.labels().any(|l| !l.via.is_empty()))
        .expect("a finding through a helper");
    let helper_line = |ds: &[toctou::diagnostic::Diagnostic]| {
        ds.iter()
            .flat_map(|d| d.labels())
            .find_map(|l| l.via.last().map(|f| f.line))
            .unwrap()
    };
    assert!(
        linked.headline().contains("(through `"),
        "{}",
        linked.headline()
    );
    let baseline = dir.path().join("baseline.json");
    toctou::baseline::write(&baseline, &before).unwrap();

    let mut after = scan("// a new header comment\n\n// and another\n");
    assert_ne!(helper_line(&before), helper_line(&after));
    assert_ne!(before[0].primary.span.line, after[0].primary.span.line);
    assert_eq!(
        toctou::report::fingerprints(&before),
        toctou::report::fingerprints(&after)
    );
    let gone = toctou::baseline::filter(&baseline, &mut after).unwrap();
    assert!(after.is_empty(), "reported as new: {after:?}");
    assert_eq!(gone, 0);
}

/// `docs/rules/<id>.md` is generated from each rule's doc comment, which SARIF `helpUri`
/// links to; `TOCTOU_UPDATE_DOCS=1 cargo test` rewrites them.
#[test]
fn rule_docs_are_generated_from_the_rules() {
    let dir = common::root().join("docs/rules");
    for meta in toctou::rules::all_metas() {
        let path = dir.join(format!("{}.md", meta.id));
        let preview = match meta.preview {
            true => " (a preview rule: off unless `toctou.toml` gives it a level)",
            false => "",
        };
        let text = format!(
            "# {}\n\n{}\n\nDefault level: {}{preview}.\n",
            meta.id,
            toctou::rules::docs(meta).trim_end(),
            meta.level.as_str()
        );
        if std::env::var_os("TOCTOU_UPDATE_DOCS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            on_disk,
            text,
            "{} is stale: run TOCTOU_UPDATE_DOCS=1 cargo test",
            path.display()
        );
    }
}
