//! End-to-end tests of the built binary: exit codes, formats, bad input.

mod common;

use common::{toctou, RACY};
use std::path::Path;
use std::process::Output;

fn fixtures() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

const GET_OR_CREATE: &str = r#"export async function tag(prisma, name: string) {
  const found = await prisma.tag.findFirst({ where: { name } });
  if (found) return found;
  return prisma.tag.create({ data: { name } });
}
"#;

#[test]
fn exit_code_is_1_with_findings_and_0_on_clean_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("racy.ts"), RACY).unwrap();
    let out = toctou(&["check", "."], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("check-then-act"));

    let quiet =
        fixtures().join("fixtures/ts/check-then-act/quiet_prisma_upsert_after_find_device.ts");
    let out = toctou(&["check", quiet.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn fail_on_error_ignores_warnings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tags.ts"), GET_OR_CREATE).unwrap();
    assert_eq!(toctou(&["check", "."], dir.path()).status.code(), Some(1));
    assert_eq!(
        toctou(&["check", ".", "--fail-on", "error"], dir.path())
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        toctou(&["check", "--format", "xml"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(toctou(&["frobnicate"], dir.path()).status.code(), Some(2));
}

#[test]
fn output_flag_writes_the_report_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("racy.ts"), RACY).unwrap();
    let out = toctou(
        &["check", ".", "--format", "sarif", "--output", "out.sarif"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "check-then-act");
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "racy.ts"
    );
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = fixtures().join("fixtures");
    let one = toctou(&["check", ".", "--format", "json", "--threads", "1"], &dir);
    let many = toctou(&["check", ".", "--format", "json", "--threads", "4"], &dir);
    assert_eq!(stdout(&one), stdout(&many));
    assert!(!stdout(&one).is_empty());
}

#[test]
fn bad_input_gets_notes_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("racy.ts"), RACY).unwrap();
    std::fs::write(p.join("latin1.ts"), b"const s = '\xe9\xe8';\n").unwrap();
    std::fs::write(
        p.join("broken.ts"),
        "export async function f( {{{ const x = ;\n",
    )
    .unwrap();
    std::fs::write(p.join("big.js"), "x".repeat(3 * 1024 * 1024)).unwrap();
    let deep = format!("const a = {}1{};\n", "(".repeat(20_000), ")".repeat(20_000));
    std::fs::write(p.join("deep.ts"), deep).unwrap();
    let bundle = "var a=function(){return 1};".repeat(4_000);
    std::fs::write(p.join("bundle.js"), bundle).unwrap();
    std::fs::write(p.join("broken.rs"), "fn broken( {\n").unwrap();
    let deep_rs = format!(
        "fn a() {{ {}1{} }}",
        "(\n".repeat(300_000),
        ")".repeat(300_000)
    );
    std::fs::write(p.join("deep.rs"), deep_rs).unwrap();
    std::fs::create_dir(p.join("node_modules")).unwrap();
    std::fs::write(p.join("node_modules/racy.ts"), RACY).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(p, p.join("loop")).unwrap();
        std::os::unix::fs::symlink(p.join("missing.ts"), p.join("dangling.ts")).unwrap();
    }
    let out = toctou(&["check", ".", "--format", "json", "missing-dir"], p);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let notes: Vec<String> = json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n["file"].as_str().unwrap(),
                n["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |file: &str, text: &str| notes.iter().any(|n| n.contains(file) && n.contains(text));
    assert!(has("latin1.ts", "not valid UTF-8"), "{notes:?}");
    assert!(has("broken.ts", "syntax error"), "{notes:?}");
    assert!(has("big.js", "over the"), "{notes:?}");
    assert!(has("missing-dir", "cannot read"), "{notes:?}");
    assert!(has("bundle.js", "looks minified"), "{notes:?}");
    assert!(has("broken.rs", "cannot parse"), "{notes:?}");
    assert!(has("deep.rs", "nested deeper"), "{notes:?}");
    #[cfg(unix)]
    assert!(has("loop", "loop"), "{notes:?}");
    let files: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["racy.ts"],
        "node_modules is skipped, the racy file is still reported"
    );
    let human = stdout(&toctou(&["check", "."], p));
    let summary = human.lines().last().unwrap();
    assert!(
        summary.contains("problems noted above") && summary.contains("1 warning"),
        "{summary}"
    );
}

#[test]
fn explicit_files_are_scanned_even_when_gitignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "racy.ts\n").unwrap();
    std::fs::write(dir.path().join("racy.ts"), RACY).unwrap();
    assert_eq!(toctou(&["check", "."], dir.path()).status.code(), Some(0));
    assert_eq!(
        toctou(&["check", "racy.ts"], dir.path()).status.code(),
        Some(1)
    );
}

#[test]
fn tests_and_seeds_are_excluded_by_default_and_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("src/__tests__")).unwrap();
    std::fs::create_dir_all(p.join("prisma")).unwrap();
    std::fs::write(p.join("src/coupon.test.ts"), RACY).unwrap();
    std::fs::write(p.join("src/__tests__/coupon.ts"), RACY).unwrap();
    std::fs::write(p.join("prisma/seed.ts"), GET_OR_CREATE).unwrap();
    std::fs::write(p.join("src/coupon.ts"), RACY).unwrap();
    let scanned = |args: &[&str]| {
        let out = stdout(&toctou(args, p));
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut files: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["file"].as_str().unwrap().to_string())
            .collect();
        files.dedup();
        files
    };
    let json = ["check", ".", "--format", "json"];
    assert_eq!(scanned(&json), ["src/coupon.ts"]);
    let all = [&json[..], &["--no-default-excludes"]].concat();
    assert_eq!(
        scanned(&all),
        [
            "prisma/seed.ts",
            "src/__tests__/coupon.ts",
            "src/coupon.test.ts",
            "src/coupon.ts"
        ]
    );
    let more = [&json[..], &["--exclude", "src/coupon.ts"]].concat();
    assert!(scanned(&more).is_empty());
    // Named files bypass the excludes unless --force-exclude, as pre-commit hooks need.
    let named = ["check", "src/coupon.test.ts", "--format", "json"];
    assert_eq!(scanned(&named), ["src/coupon.test.ts"]);
    assert!(scanned(&[&named[..], &["--force-exclude"]].concat()).is_empty());
    let bad = toctou(&["check", ".", "--exclude", "src/{a,b"], p);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid exclude pattern"));
}

#[test]
fn a_file_over_its_time_budget_is_abandoned_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("racy.ts"), RACY).unwrap();
    let out = toctou(
        &["check", ".", "--format", "json", "--file-budget", "0s"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    let note = &json["notes"][0];
    assert_eq!(note["file"], "racy.ts");
    assert!(
        note["message"].as_str().unwrap().contains("abandoned"),
        "{note}"
    );
    let bad = toctou(&["check", ".", "--file-budget", "soon"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
}

/// Generated code calls wide trees of helpers; linking stops at a bound, says so once per
/// file, and still reports what the bound kept.
#[test]
fn wide_call_trees_are_linked_up_to_a_bound_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = String::from(GET_OR_CREATE);
    let level = |name: &str, callee: &str| {
        let calls: String = (0..20)
            .map(|i| format!("  await {callee}{i}(db);\n"))
            .collect();
        (0..20)
            .map(|i| format!("async function {name}{i}(db) {{\n{calls}}}\n"))
            .collect::<String>()
    };
    src += &level("a", "b");
    src += &level("b", "c");
    let leaf: String = (0..20)
        .map(|i| {
            format!("async function c{i}(db) {{ await db.audit.create({{ data: {{}} }}); }}\n")
        })
        .collect();
    src += &leaf;
    src += "export async function root(db) {\n";
    src += &(0..20)
        .map(|i| format!("  await a{i}(db);\n"))
        .collect::<String>();
    src += "}\n";
    std::fs::write(dir.path().join("generated.ts"), src).unwrap();
    let out = toctou(&["check", ".", "--format", "json"], dir.path());
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let notes = json["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let message = notes[0]["message"].as_str().unwrap();
    assert!(message.contains("`root` first"), "{message}");
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["check-then-act"],
        "the get-or-create race is still found"
    );
}

/// `dump-schema` prints each Prisma model's table and unique keys, multi-file schemas
/// included, then the tables SQL migrations make that no Prisma model declares, applied in
/// order without their down scripts (a partial index with its condition), then those Rust
/// ORM code declares; it never reads `node_modules`.
#[test]
fn dump_schema_lists_tables_and_unique_keys() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "prisma/schema/user.prisma",
        "model User {\n  id String @id\n  email String @unique\n  @@map(\"users\")\n}\n",
    );
    write(
        "prisma/schema/member.prisma",
        "model Member {\n  teamId String\n  userId String\n  @@unique([teamId, userId])\n}\n",
    );
    write(
        "migrations/1/up.sql",
        "CREATE TABLE users (id TEXT);\n\nCREATE TABLE events (id INT PRIMARY KEY);\n",
    );
    write("migrations/1/down.sql", "DROP TABLE events;\n");
    write(
        "migrations/2/up.sql",
        "CREATE UNIQUE INDEX events_key ON events (event_id);\n\
         CREATE UNIQUE INDEX events_open ON events (kind) WHERE done = false;\n",
    );
    write(
        "src/entities/order.rs",
        "#[derive(DeriveEntityModel)]\n#[sea_orm(table_name = \"orders\")]\n\
         pub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i32,\n}\n",
    );
    write(
        "node_modules/.prisma/x.prisma",
        "model Vendored {\n  id Int @id\n}\n",
    );
    let out = toctou(&["dump-schema", "."], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "table Member (model Member) prisma/schema/member.prisma:1\n\
         \x20 unique (teamId, userId) prisma/schema/member.prisma:4\n\
         table users (model User) prisma/schema/user.prisma:1\n\
         \x20 primary key (id) prisma/schema/user.prisma:2\n\
         \x20 unique (email) prisma/schema/user.prisma:3\n\
         table events (model events) migrations/1/up.sql:3\n\
         \x20 primary key (id) migrations/1/up.sql:3\n\
         \x20 unique (event_id) migrations/2/up.sql:1\n\
         \x20 unique (kind) where done = false migrations/2/up.sql:2\n\
         table orders (model order) src/entities/order.rs:3\n\
         \x20 primary key (id) src/entities/order.rs:5\n"
    );
}

#[test]
fn a_user_model_no_call_matches_is_noted_on_a_whole_scan_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("toctou.toml"),
        "[[models]]\nlibrary = { name = \"orders-repo\", language = \"typescript\" }\n\
         [[models.calls]]\nmethods = [\"findByKeyy\"]\neffect = \"read\"\nresource = { name = \"orders\" }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("racy.ts"), RACY).unwrap();
    let out = toctou(&["check", "."], dir.path());
    let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("toctou.toml:2: the model `orders-repo` matches no call"),
        "{text}"
    );
    let out = toctou(&["check", "racy.ts"], dir.path());
    let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("matches no call"), "{text}");
}
