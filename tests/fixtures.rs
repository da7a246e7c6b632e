//! Every fixture is a test: `fire_*` files must produce exactly the findings their
//! `// expect: <rule>` markers name (rule and line), `quiet_*` files none. The human output
//! of fire files and the IR of every file are pinned as snapshots.

mod common;

use std::path::Path;
use toctou::frontend::{self, SourceKind};
use toctou::models::Models;
use toctou::report::Format;

fn expected(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(at) = line.find("expect: ") {
            let rule = line[at + 8..].split_whitespace().next().unwrap_or("");
            out.push((i as u32 + 1, rule.to_string()));
        }
    }
    out
}

#[test]
fn fixtures_match_their_markers() {
    let models = Models::builtin();
    insta::glob!("../fixtures", "*/*/*.*", |path| {
        let relative = path.strip_prefix(common::root()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let rule_dir = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let kind = SourceKind::from_path(path).expect("fixture has a scanned extension");
        let (diagnostics, notes) = toctou::check_source(relative, kind, &text, &models);
        assert!(notes.is_empty(), "{name}: parse notes {notes:?}");
        let mut got: Vec<(u32, String)> = diagnostics
            .iter()
            .map(|d| (d.primary.span.line, d.rule.to_string()))
            .collect();
        got.sort();
        let want = expected(&text);
        assert_eq!(
            got, want,
            "{name}: findings (line, rule) differ from the expect markers"
        );
        if name.starts_with("fire_") {
            assert!(
                !want.is_empty(),
                "{name}: a fire fixture needs at least one marker"
            );
            assert!(
                want.iter().all(|(_, r)| *r == rule_dir),
                "{name}: marker for another rule"
            );
            insta::assert_snapshot!("human", common::render(Format::Human, &diagnostics, 1));
        } else {
            assert!(
                name.starts_with("quiet_"),
                "{name}: fixtures are named fire_* or quiet_*"
            );
        }
        let ir = frontend::lower(kind, &text, &models);
        insta::assert_snapshot!("ir", toctou::dump::dump(&ir));
    });
}

#[test]
fn every_rule_has_fire_and_quiet_fixtures_in_both_languages() {
    for rule in toctou::rules::RULES {
        for language in ["ts", "rust"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(language)
                .join(rule.meta.id);
            let names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect();
            let fire = names.iter().filter(|n| n.starts_with("fire_")).count();
            let quiet = names.iter().filter(|n| n.starts_with("quiet_")).count();
            assert!(
                fire >= 12 && quiet >= 12,
                "{language}/{}: {fire} fire, {quiet} quiet",
                rule.meta.id
            );
        }
    }
}
