//! End-to-end tests of what adopting the tool takes: suppressions, configuration, baselines,
//! `init`, `rules` and `explain`.

mod common;

use common::{toctou, RACY};
use std::process::{Command, Output};

fn findings(o: &Output) -> Vec<(String, u64)> {
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn with_line(text: &str, line: usize, insert: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(line - 1, insert);
    lines.join("\n") + "\n"
}

#[test]
fn a_suppression_silences_exactly_its_finding_and_stale_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let json = ["check", ".", "--format", "json"];
    std::fs::write(p.join("racy.ts"), RACY).unwrap();
    assert_eq!(findings(&toctou(&json, p)), [("check-then-act".into(), 8)]);

    let reason = "  // toctou-ignore[check-then-act]: refunds are reconciled nightly";
    std::fs::write(p.join("racy.ts"), with_line(RACY, 8, reason)).unwrap();
    let out = toctou(&json, p);
    assert!(findings(&out).is_empty());
    assert_eq!(out.status.code(), Some(0));

    // At the end of the check line, with two ids.
    let end = RACY.replace(
        "findUnique({ where: { code } });",
        "findUnique({ where: { code } }); // toctou-ignore[fs-check-then-act, check-then-act]",
    );
    std::fs::write(p.join("racy.ts"), &end).unwrap();
    assert!(findings(&toctou(&json, p)).is_empty());
    let strict = toctou(&[&json[..], &["--require-reasons"]].concat(), p);
    assert_eq!(findings(&strict), [("invalid-suppression".into(), 6)]);

    let stale = with_line(RACY, 3, "// toctou-ignore[check-then-act]: was racy once");
    std::fs::write(p.join("racy.ts"), stale).unwrap();
    assert_eq!(
        findings(&toctou(&json, p)),
        [
            ("unused-suppression".into(), 3),
            ("check-then-act".into(), 9)
        ]
    );

    let unknown = with_line(RACY, 8, "  // toctou-ignore[check-then-akt]: typo");
    std::fs::write(p.join("racy.ts"), unknown).unwrap();
    let out = toctou(&["check", "."], p);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("did you mean `check-then-act`"), "{text}");
}

#[test]
fn file_wide_suppression_covers_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let text = format!("// toctou-ignore-file[check-then-act]: a one-worker cron job\n{RACY}");
    std::fs::write(p.join("racy.ts"), text).unwrap();
    assert!(findings(&toctou(&["check", ".", "--format", "json"], p)).is_empty());
}

#[test]
fn configuration_sets_levels_excludes_and_models() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("legacy")).unwrap();
    std::fs::write(p.join("legacy/racy.ts"), RACY).unwrap();
    let wrapper = "export async function pay(orders, payments, id: string) {
  const order = await orders.findByKey(id);
  if (!order) {
    await payments.charge(id);
    await orders.record(id);
  }
}
";
    std::fs::write(p.join("pay.ts"), wrapper).unwrap();
    let json = ["check", ".", "--format", "json"];
    assert_eq!(findings(&toctou(&json, p)), [("check-then-act".into(), 8)]);
    let config = r#"
exclude = ["legacy/"]
[rules]
check-then-act = "note"
[[models]]
library = { name = "payments", language = "typescript" }
[[models.calls]]
methods = ["findByKey"]
receiver = ["orders"]
effect = "read"
resource = { name = "orders" }
[[models.calls]]
methods = ["record"]
receiver = ["orders"]
effect = "insert"
resource = { name = "orders" }
[[models.calls]]
methods = ["charge"]
receiver = ["payments"]
effect = "external"
provider = "payments"
"#;
    std::fs::write(p.join("toctou.toml"), config).unwrap();
    let out = toctou(&json, p);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let only = &report["findings"].as_array().unwrap()[..];
    assert_eq!(only.len(), 1, "{report}");
    assert_eq!(only[0]["file"], "pay.ts");
    assert_eq!(only[0]["severity"], "note");
    assert_eq!(
        out.status.code(),
        Some(0),
        "a note is below --fail-on warning"
    );
    std::fs::write(p.join("toctou.toml"), "include = [\"legacy/\"]\n").unwrap();
    let report: serde_json::Value = serde_json::from_slice(&toctou(&json, p).stdout).unwrap();
    assert_eq!(report["findings"][0]["file"], "legacy/racy.ts");
    assert_eq!(report["summary"]["files_scanned"], 1);
}

#[test]
fn the_ttl_threshold_is_a_rule_option() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let handler = "import Redis from 'ioredis';
const redis = new Redis();
export async function handle(id: string) {
  const won = await redis.set(`idem:${id}`, '1', 'EX', 2 * 24 * 60 * 60, 'NX');
  if (!won) return;
  await fetch('https://example.test/ship', { method: 'POST', body: id });
}
";
    std::fs::write(p.join("worker.ts"), handler).unwrap();
    let json = ["check", ".", "--format", "json"];
    assert!(findings(&toctou(&json, p)).is_empty(), "two days pass 24 h");
    let config = "[rules]\nshort-idempotency-ttl = { min-ttl = \"7d\" }\n";
    std::fs::write(p.join("toctou.toml"), config).unwrap();
    assert_eq!(
        findings(&toctou(&json, p)),
        [("short-idempotency-ttl".into(), 4)]
    );
}

#[test]
fn a_broken_configuration_points_at_the_broken_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("a.ts"), RACY).unwrap();
    std::fs::write(
        p.join("toctou.toml"),
        "exclude = []\n[rules]\ncheck-then-akt = \"off\"\n",
    )
    .unwrap();
    let out = toctou(&["check", "."], p);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("config_unknown_rule", String::from_utf8_lossy(&out.stderr));
    std::fs::write(p.join("toctou.toml"), "[rules]\ncheck-then-act = off\n").unwrap();
    let out = toctou(&["check", "."], p);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("config_syntax", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn baseline_round_trip_survives_a_line_shift_and_reports_only_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("old.ts"), RACY).unwrap();
    let write = toctou(&["check", ".", "--write-baseline", "baseline.json"], p);
    assert_eq!(write.status.code(), Some(0));
    let json = [
        "check",
        ".",
        "--format",
        "json",
        "--baseline",
        "baseline.json",
    ];
    std::fs::write(p.join("old.ts"), with_line(RACY, 5, "// moved down")).unwrap();
    let out = toctou(&json, p);
    assert!(findings(&out).is_empty());
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(p.join("new.ts"), RACY).unwrap();
    let out = toctou(&json, p);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["file"], "new.ts");
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    std::fs::remove_file(p.join("old.ts")).unwrap();
    let out = toctou(&json, p);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("1 baseline entries no longer occur"),
        "{notes}"
    );
}

#[test]
fn init_rules_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    assert_eq!(toctou(&["init"], p).status.code(), Some(0));
    assert!(p.join("toctou.toml").is_file());
    assert_eq!(
        toctou(&["init"], p).status.code(),
        Some(2),
        "never overwrites"
    );
    std::fs::write(p.join("a.ts"), RACY).unwrap();
    assert_eq!(
        toctou(&["check", "."], p).status.code(),
        Some(1),
        "starter config loads"
    );
    let rules = String::from_utf8_lossy(&toctou(&["rules"], p).stdout).to_string();
    for rule in toctou::rules::all_metas() {
        assert!(rules.contains(rule.id), "{rules}");
    }
    let explain = toctou(&["explain", "fs-check-then-act"], p);
    let text = String::from_utf8_lossy(&explain.stdout);
    assert!(text.contains("## Why is this bad?") && text.contains("create_new"));
    let unknown = toctou(&["explain", "check-then-akt"], p);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean `check-then-act`"));
}

#[test]
fn a_buffer_from_standard_input_is_reported_under_its_name() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_toctou"))
        .args([
            "check",
            "--stdin-filename",
            "src/coupons.ts",
            "--format",
            "json",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(RACY.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["file"], "src/coupons.ts");
    assert_eq!(report["findings"][0]["location"]["line"], 8);
}
