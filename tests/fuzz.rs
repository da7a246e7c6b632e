//! The fuzz targets' checks on every `cargo test`: the inputs the fuzzers once broke on are
//! replayed, then a short seeded run of mutated fixtures. The long coverage-guided runs live in
//! `fuzz/` (see its README).

use std::path::{Path, PathBuf};
use std::time::Duration;
use toctou::budget::Deadline;
use toctou::config::Config;
use toctou::frontend::Grammar;

mod common;

/// Short, so a slow input shows here as a note in about a second rather than a stuck test.
const BUDGET: Duration = Duration::from_secs(1);

/// What each fuzz target runs on its input; the notes it ends with.
fn run(target: &str, text: &str) -> Vec<String> {
    let deadline = || Deadline::after(BUDGET);
    let config = Config::builtin();
    let source = |name: &str, kind, text: &str, config: &Config| {
        let (_, notes) = toctou::check_source(Path::new(name), kind, text, config, deadline());
        notes.into_iter().map(|n| n.message).collect::<Vec<_>>()
    };
    match target {
        "typescript" => [Grammar::TypeScript, Grammar::Tsx]
            .into_iter()
            .flat_map(|kind| source("fuzz.ts", kind, text, &config))
            .collect(),
        "rust" => source("fuzz.rs", Grammar::Rust, text, &config),
        "sql" => {
            let _ = (
                toctou::sql::classify(text),
                toctou::sql::mentions_window(text),
            );
            Vec::new()
        }
        "config" => match Config::parse(Path::new("toctou.toml"), text.to_string()) {
            Ok(config) => source("pay.ts", Grammar::TypeScript, PAY, &config),
            Err(report) => {
                let mut out = String::new();
                miette::GraphicalReportHandler::new()
                    .render_report(&mut out, report.as_ref())
                    .unwrap();
                vec![out]
            }
        },
        other => panic!("no fuzz target {other}"),
    }
}

const PAY: &str = "export async function pay(db, stripe, id) {
  const order = await db.order.findUnique({ where: { id } });
  if (order.paid) return;
  await stripe.charges.create({ amount: order.total });
}
";

/// Files under a directory, in a stable order so the seeded run is the same every time.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
        .into_iter()
        .flat_map(|p| if p.is_dir() { files(&p) } else { vec![p] })
        .collect()
}

#[test]
fn recorded_regressions_end_in_findings_or_notes() {
    let root = common::root().join("fixtures/fuzz/regressions");
    let mut replayed = 0;
    for target in ["typescript", "rust", "sql", "config"] {
        for file in files(&root.join(target)) {
            let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
            run(target, &text);
            replayed += 1;
        }
    }
    assert!(replayed > 0);
}

#[test]
fn runaway_tsx_error_recovery_is_abandoned_with_a_note() {
    let path = "fixtures/fuzz/regressions/typescript/tsx-error-recovery-blowup.tsx";
    let text = std::fs::read_to_string(common::root().join(path)).unwrap();
    let (findings, notes) = toctou::check_source(
        Path::new(path),
        Grammar::Tsx,
        &text,
        &Config::builtin(),
        Deadline::after(BUDGET),
    );
    assert!(findings.is_empty());
    assert!(
        notes.iter().any(|n| n.message.contains("abandoned")),
        "{notes:?}"
    );
}

/// Splices that break code the ways fuzzers found useful: unbalanced brackets, stray JSX and
/// generics, unterminated strings and comments, deep nesting.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    "</",
    "/>",
    "<T,>",
    "=>",
    "`${",
    "'",
    "\"",
    "/*",
    "*/",
    "//",
    "async ",
    "await ",
    "if (",
    "else ",
    "match ",
    "fn ",
    "impl ",
    "::",
    "?",
    ";",
    "\n",
    "#[",
    "r#\"",
    "'a ",
    "((((((((",
    "{{{{{{{{",
    "SELECT ",
    " FOR UPDATE",
    "ON CONFLICT ",
];

fn mutate(rng: &mut fastrand::Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..rng.usize(1..4) {
        let len = bytes.len().max(1);
        let at = rng.usize(..len).min(bytes.len());
        match rng.u8(..4) {
            0 => {
                let end = (at + rng.usize(..64)).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let end = (at + rng.usize(..64)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            2 => {
                let token = TOKENS[rng.usize(..TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            _ => {
                if at < bytes.len() {
                    bytes[at] = rng.u8(..);
                }
            }
        }
    }
    bytes
}

/// A few thousand mutated fixtures through the front-ends and rules, the same inputs every run.
#[test]
fn mutated_fixtures_end_in_findings_or_notes() {
    let mut rng = fastrand::Rng::with_seed(0x7c70_u64);
    let root = common::root().join("fixtures");
    let mut runs = 0;
    for (dir, target) in [("ts", "typescript"), ("rust", "rust")] {
        for file in files(&root.join(dir)) {
            let bytes = std::fs::read(&file).unwrap();
            for _ in 0..2 {
                let mutated = mutate(&mut rng, bytes.clone());
                run(target, &String::from_utf8_lossy(&mutated));
                runs += 1;
            }
        }
    }
    for file in files(&root.join("../rules")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let mutated = mutate(&mut rng, text.into_bytes());
        run("config", &String::from_utf8_lossy(&mutated));
        runs += 1;
    }
    assert!(runs > 1000, "{runs}");
}

/// `fut.await(x)`, `f()(x)`: a call of a computed function once lowered itself again until the
/// depth bound, overflowing a test thread's stack; it runs on one here.
#[test]
fn a_computed_callee_is_lowered_once() {
    let path = "fixtures/fuzz/regressions/rust/computed-callee-recursion.rs";
    let text = std::fs::read_to_string(common::root().join(path)).unwrap();
    let (_, notes) = toctou::check_source(
        Path::new(path),
        Grammar::Rust,
        &text,
        &Config::builtin(),
        Deadline::NONE,
    );
    assert!(notes.is_empty(), "{notes:?}");
}
