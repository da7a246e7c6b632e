//! Every fixture is a test: each file must produce exactly the findings its
//! `// expect: <rule> [level], ..` markers name (rule and line, and the level where one is
//! given, `check-then-act warning`); `fire_*` files fire their directory's
//! rule and `quiet_*` files are look-alikes it must not report. The human output of fire
//! files and the IR of the front-end corpus (`fixtures/ir-corpus.txt`) are pinned as snapshots.

mod common;

use toctou::budget::Deadline;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toctou::config::Config;
use toctou::frontend::{self, Grammar};
use toctou::report::Format;

/// `// expect: rule-a, rule-b error` markers: the findings a line must carry, each with the
/// level it must have when one follows the rule id.
fn expected(text: &str) -> Vec<(u32, String, Option<String>)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(at) = line.find("expect: ") {
            for marker in line[at + 8..].split(',') {
                let mut words = marker.split_whitespace();
                let Some(rule) = words.next() else { continue };
                let level = words
                    .next()
                    .filter(|w| ["error", "warning", "note"].contains(w))
                    .map(str::to_string);
                out.push((i as u32 + 1, rule.to_string(), level));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fixtures_match_their_markers() {
    let config = Config::builtin();
    let ir_corpus = ir_corpus();
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
        let kind = Grammar::from_path(path).expect("fixture has a scanned extension");
        let (diagnostics, notes) =
            toctou::check_source(relative, kind, &text, &config, Deadline::NONE);
        assert!(notes.is_empty(), "{name}: parse notes {notes:?}");
        let mut got: Vec<(u32, String)> = diagnostics
            .iter()
            .map(|d| (d.primary.span.line, d.rule.to_string()))
            .collect();
        got.sort();
        let markers = expected(&text);
        let want: Vec<(u32, String)> = markers.iter().map(|(l, r, _)| (*l, r.clone())).collect();
        assert_eq!(
            got, want,
            "{name}: findings (line, rule) differ from the expect markers"
        );
        for (line, rule, level) in &markers {
            let Some(level) = level else { continue };
            assert!(
                diagnostics.iter().any(|d| d.primary.span.line == *line
                    && d.rule == rule
                    && d.severity.as_str() == level),
                "{name}:{line}: {rule} is not at level {level}"
            );
        }
        // A fire fixture fires its directory's rule; a quiet one is a look-alike that rule must
        // not report (other rules may still fire on it, with their own markers).
        let own = want.iter().filter(|(_, r)| *r == rule_dir).count();
        if name.starts_with("fire_") {
            assert!(
                own > 0,
                "{name}: a fire fixture needs a marker of {rule_dir}"
            );
            insta::assert_snapshot!("human", common::render(Format::Human, &diagnostics, 1));
        } else {
            assert!(
                name.starts_with("quiet_"),
                "{name}: fixtures are named fire_* or quiet_*"
            );
            assert_eq!(
                own, 0,
                "{name}: a quiet fixture with a marker of {rule_dir}"
            );
        }
        if ir_corpus.iter().any(|p| p == relative) {
            let ir = frontend::lower(kind, &text, &config.models, Deadline::NONE, &[]);
            insta::assert_snapshot!("ir", toctou::dump::dump(&ir));
        }
    });
}

/// The fixtures whose IR is pinned, from `fixtures/ir-corpus.txt`.
fn ir_corpus() -> Vec<PathBuf> {
    let list = std::fs::read_to_string(common::root().join("fixtures/ir-corpus.txt")).unwrap();
    list.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(PathBuf::from)
        .collect()
}

#[test]
fn the_ir_corpus_lists_existing_fixtures() {
    for path in ir_corpus() {
        assert!(common::root().join(&path).is_file(), "{}", path.display());
    }
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
            // The race rules were specified with 12 of each, the idempotency rules with 8; a
            // preview rule starts from one look-alike, its fire fixtures pending.
            let (min_fire, min_quiet) = match rule.meta.id {
                _ if rule.meta.preview => (0, 1),
                "check-then-act" | "fs-check-then-act" => (12, 12),
                _ => (8, 8),
            };
            assert!(
                fire >= min_fire && quiet >= min_quiet,
                "{language}/{}: {fire} fire, {quiet} quiet",
                rule.meta.id
            );
        }
    }
}

/// Every file under `dir`, sorted, as a path relative to the repository root.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    files_where(dir, &|p| Grammar::from_path(p).is_some())
}

/// Files under `dir` that `keep` takes, relative to the repository, sorted.
fn files_where(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if keep(&path) {
                out.push(path.strip_prefix(common::root()).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Multi-file cases under `fixtures/<lang>/cross-file/<case>/`: scanned together, every
/// file's findings must match its markers; `fire_*` cases fire somewhere, `quiet_*` cases
/// nowhere. The human output of fire cases is pinned.
#[test]
fn cross_file_cases_match_their_markers() {
    for language in ["ts", "rust"] {
        project_cases(language, "cross-file", 10, &[]);
    }
}

/// Projects under `fixtures/<lang>/schema/<case>/`, each with its `toctou.toml` at its root
/// and its schema files (Prisma, SQL migrations, ORM declarations) beside the code: the
/// unique keys they declare decide what a check-then-insert duplicates.
#[test]
fn schema_cases_match_their_markers() {
    for language in ["ts", "rust"] {
        project_cases(language, "schema", 15, &["check-then-act"]);
        let rule = "missing-unique-constraint";
        project_cases(language, rule, 8, &[rule]);
    }
    // The note's look-alikes without a schema (`findUnique`) are single files beside these.
    let rule = "unhandled-unique-violation";
    project_cases("ts", rule, 2, &[rule]);
    project_cases("rust", rule, 8, &[rule]);
}

/// Scans each case of `fixtures/<language>/<kind>/` as a project rooted at the case (under
/// its own `toctou.toml` when it has one) and compares the findings with its files' markers.
/// A quiet case has no marker of the rules `quiet_for` names (of any rule when it is empty):
/// other rules may still report it, with their own markers.
fn project_cases(language: &str, kind: &str, minimum: usize, quiet_for: &[&str]) {
    let dir = common::root().join("fixtures").join(language).join(kind);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let (mut fire, mut quiet) = (0, 0);
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        // Each case is its own project, with or without a configuration of its own: its
        // schema is looked for in it, not in the repository around it.
        let own = case.join("toctou.toml");
        let config = if own.is_file() {
            Config::load(&own).unwrap_or_else(|e| panic!("{name}: {e:?}"))
        } else {
            let mut config = Config::builtin();
            config.path = Some(own);
            config
        };
        let files = files_under(&case);
        let outcome = toctou::check(&files, &config, &toctou::Options::default());
        assert!(
            outcome.notes.is_empty(),
            "{name}: notes {:?}",
            outcome.notes
        );
        let mut got: BTreeMap<PathBuf, Vec<(u32, String)>> = BTreeMap::new();
        for d in &outcome.diagnostics {
            got.entry(d.file.clone())
                .or_default()
                .push((d.primary.span.line, d.rule.to_string()));
        }
        // Findings may sit in schema files too: every file's markers count.
        let mut want: BTreeMap<PathBuf, Vec<(u32, String)>> = BTreeMap::new();
        for f in files_where(&case, &|_| true) {
            let text = std::fs::read_to_string(common::root().join(&f)).unwrap();
            let markers: Vec<(u32, String)> = expected(&text)
                .into_iter()
                .map(|(l, r, _)| (l, r))
                .collect();
            if !markers.is_empty() {
                want.insert(f, markers);
            }
        }
        for findings in got.values_mut() {
            findings.sort();
        }
        assert_eq!(
            got, want,
            "{language}/{name}: findings differ from the markers"
        );
        // A pre-commit hook names a few files: each scanned alone reads what it imports
        // (its crate, in Rust) and finds what the whole scan finds in it.
        for f in &files {
            let alone = toctou::check(
                std::slice::from_ref(f),
                &config,
                &toctou::Options::default(),
            );
            let mut lines: Vec<(u32, String)> = alone
                .diagnostics
                .iter()
                .filter(|d| d.file == *f)
                .map(|d| (d.primary.span.line, d.rule.to_string()))
                .collect();
            lines.sort();
            assert_eq!(
                lines,
                want.get(f).cloned().unwrap_or_default(),
                "{language}/{name}: {} scanned alone",
                f.display()
            );
        }
        if name.starts_with("fire_") {
            fire += 1;
            assert!(!want.is_empty(), "{name}: a fire case needs a marker");
            let human = common::render(Format::Human, &outcome.diagnostics, files.len());
            insta::assert_snapshot!(format!("{kind}-{language}-{name}"), human);
        } else {
            quiet += 1;
            assert!(
                name.starts_with("quiet_"),
                "{name}: cases are fire_* or quiet_*"
            );
            let loud = want
                .values()
                .flatten()
                .any(|(_, rule)| quiet_for.is_empty() || quiet_for.contains(&rule.as_str()));
            assert!(!loud, "{name}: a quiet case with markers of {quiet_for:?}");
        }
    }
    assert!(
        fire >= minimum && quiet >= minimum,
        "{language}/{kind}: {fire} fire, {quiet} quiet"
    );
}
