//! Inline suppressions: `// toctou-ignore[rule-id]: reason` on the line before a finding's act
//! or check (or at the end of that line), `// toctou-ignore-file[rule-id]: reason` for a whole
//! file. Several ids are comma-separated. The same syntax serves TypeScript and Rust, and
//! Prisma and SQL schema files (`-- toctou-ignore[..]`) for findings that sit there.

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::frontend::LineIndex;
use crate::rules::{self, RuleMeta};

pub const UNUSED: RuleMeta = RuleMeta {
    id: "unused-suppression",
    level: Severity::Note,
    languages: &["typescript", "javascript", "rust"],
    summary: "a suppression comment that matches no finding",
    links: rules::Links::AsWritten,
    preview: false,
    cwe: None,
    docs: "## What it does\nReports a `toctou-ignore` comment that silences nothing: the finding \
it was written for is gone, or it names the wrong line or rule.\n\n## Why is this bad?\nA stale \
suppression hides the next real finding on that line.\n\n## Example\n```ts\n// toctou-ignore[check-then-act]: fixed long ago\nawait charge(order);\n```\n\n## Fix\nDelete the comment.\n",
};

pub const INVALID: RuleMeta = RuleMeta {
    id: "invalid-suppression",
    level: Severity::Error,
    languages: &["typescript", "javascript", "rust"],
    summary: "a suppression comment that names an unknown rule or, with --require-reasons, gives no reason",
    links: rules::Links::AsWritten,
    preview: false,
    cwe: None,
    docs: "## What it does\nReports a `toctou-ignore` comment naming a rule that does not exist, \
or, under `--require-reasons`, one without a reason after the colon.\n\n## Why is this bad?\nA \
misspelt id silences nothing, and a suppression without a reason cannot be reviewed.\n\n## \
Example\n```ts\n// toctou-ignore[check-then-akt]\n```\n\n## Fix\nName an existing rule and say \
why: `// toctou-ignore[check-then-act]: the job runs on one worker`.\n",
};

const MARK: &str = "toctou-ignore";

/// Whether a text may hold suppression comments; one that cannot needs no second look.
pub fn mentioned(text: &str) -> bool {
    text.contains(MARK)
}

#[derive(Debug)]
struct Suppression {
    line: u32,
    file_wide: bool,
    rules: Vec<String>,
    label: Label,
    used: bool,
}

/// Drops the findings the file's comments suppress and adds findings about the comments.
pub fn apply(
    text: &str,
    path: &std::path::Path,
    diagnostics: &mut Vec<Diagnostic>,
    require_reasons: bool,
) {
    let mut problems = Vec::new();
    let mut suppressions = parse(text, path, require_reasons, &mut problems);
    if suppressions.is_empty() && problems.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        // A finding sited in another file (a schema) answers to that file's comments.
        if d.file != path {
            return true;
        }
        let lines = sites(d);
        let hit = suppressions.iter_mut().find(|s| {
            s.rules.iter().any(|r| r == d.rule)
                && (s.file_wide || lines.iter().any(|&l| l == s.line || l == s.line + 1))
        });
        match hit {
            Some(s) => {
                s.used = true;
                false
            }
            None => true,
        }
    });
    for s in suppressions.into_iter().filter(|s| !s.used) {
        problems.push(finding(
            &UNUSED,
            path,
            s.label,
            format!("`toctou-ignore[{}]` matches no finding", s.rules.join(", ")),
        ));
    }
    diagnostics.extend(problems);
}

/// The lines a suppression may sit on or above: the act and the check that decided it.
fn sites(d: &Diagnostic) -> Vec<u32> {
    let mut lines = vec![d.primary.span.line];
    lines.extend(d.secondary.first().map(|l| l.span.line));
    lines
}

fn parse(
    text: &str,
    path: &std::path::Path,
    require_reasons: bool,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Suppression> {
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let Some(comment) = line.find("//").or_else(|| line.find("--")) else {
            continue;
        };
        let Some(at) = line[comment..].find(MARK).map(|a| a + comment) else {
            continue;
        };
        let rest = &line[at + MARK.len()..];
        let (file_wide, rest) = match rest.strip_prefix("-file") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let label = Label::new(
            index.span(start + at, start + line.trim_end().len()),
            "this suppression",
        );
        let Some((ids, after)) = rest.strip_prefix('[').and_then(|r| r.split_once(']')) else {
            problems.push(finding(
                &INVALID,
                path,
                label,
                format!(
                    "`{MARK}` needs the rule ids in brackets: `{MARK}[check-then-act]: reason`"
                ),
            ));
            continue;
        };
        let (rules, unknown): (Vec<String>, Vec<String>) = ids
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .partition(|r| rules::find(r).is_some());
        for unknown in &unknown {
            let hint = rules::closest(unknown)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            problems.push(finding(
                &INVALID,
                path,
                label.clone(),
                format!("unknown rule `{unknown}` in a suppression{hint}"),
            ));
        }
        let reason = after.trim().strip_prefix(':').map(str::trim).unwrap_or("");
        if require_reasons && reason.is_empty() {
            problems.push(finding(
                &INVALID,
                path,
                label.clone(),
                "suppression without a reason (--require-reasons): add `: why it is safe`".into(),
            ));
        }
        if rules.is_empty() {
            continue;
        }
        out.push(Suppression {
            line: i as u32 + 1,
            file_wide,
            rules,
            label,
            used: false,
        });
    }
    out
}

fn finding(meta: &RuleMeta, path: &std::path::Path, label: Label, message: String) -> Diagnostic {
    let help = if meta.id == UNUSED.id {
        "delete the comment, or move it to the line above the finding's act or check"
    } else {
        "name an existing rule (`toctou rules` lists them) and say why: `// toctou-ignore[check-then-act]: reason`"
    };
    Diagnostic {
        rule: meta.id,
        severity: meta.level,
        message,
        file: path.to_path_buf(),
        function: String::new(),
        primary: label,
        secondary: Vec::new(),
        steps: Vec::new(),
        notes: Vec::new(),
        help: help.into(),
        security: None,
    }
}
