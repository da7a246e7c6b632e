//! The rule registry. Each rule lives in its own file, reads one function's IR and pushes
//! diagnostics; it never sees syntax.

mod analysis;
mod check_then_act;
mod dedups;
mod flow;
mod fs_check_then_act;
mod links;
mod missing_idempotency_key;
mod missing_unique_constraint;
mod process_local_dedup;
mod race_help;
mod race_report;
mod races;
mod run;
mod short_idempotency_ttl;
mod side_effect_before_claim;
mod time_window_dedup;
mod unhandled_unique_violation;
mod unique_keys;
mod unstable_idempotency_key;
mod weight;

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::ir::FunctionIr;
use crate::models::Models;
use crate::schema::Schema;
use std::path::Path;

pub use analysis::{Analysis, CheckKind};
pub use links::Links;
pub use run::run;

/// What a rule may consult besides the IR.
pub struct RuleContext<'a> {
    pub models: &'a Models,
    pub settings: &'a Settings,
    pub file: &'a Path,
    /// The file belongs to a user-interface client, one user per process.
    pub client: bool,
    /// The tables and unique keys of the project's database.
    pub schema: &'a Schema,
}

impl RuleContext<'_> {
    /// A finding of `rule` in `func` at `primary`, at the rule's level, with no other sites,
    /// steps, notes or help yet: a rule sets what it has with `..cx.diagnostic(..)`.
    pub fn diagnostic(
        &self,
        rule: &RuleMeta,
        func: &FunctionIr,
        message: String,
        primary: Label,
    ) -> Diagnostic {
        Diagnostic {
            rule: rule.id,
            severity: rule.level,
            message,
            file: self.file.to_path_buf(),
            function: func.name.clone(),
            primary,
            secondary: Vec::new(),
            steps: Vec::new(),
            notes: Vec::new(),
            help: String::new(),
            security: None,
        }
    }
}

/// Rule options a `toctou.toml` can set (`[rules] short-idempotency-ttl = { min-ttl = "48h" }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `short-idempotency-ttl`: the shortest expiry a dedup key may have.
    pub min_ttl: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            // Stripe keeps idempotency keys for 24 hours; queues retry for hours.
            min_ttl: std::time::Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// The options each rule takes, by rule id: the keys `toctou.toml` accepts beside `level`.
pub const OPTIONS: &[(&str, &str)] = &[("short-idempotency-ttl", "min-ttl")];

/// A rule's public description. `docs` is the rule type's doc comment, so `toctou explain`,
/// SARIF `help` and `docs/rules/*.md` all come from one text.
pub struct RuleMeta {
    pub id: &'static str,
    pub level: Severity,
    pub languages: &'static [&'static str],
    pub summary: &'static str,
    /// Whether the rule reads a function as written or with its helpers linked in.
    pub links: Links,
    /// A rule still being written: off unless `toctou.toml` gives it a level, and held to a
    /// quiet fixture per language instead of the full set.
    pub preview: bool,
    /// The weakness a finding that is a security bug is filed under: CWE-362 (a race on
    /// shared state), CWE-367 for files (time-of-check time-of-use).
    pub cwe: Option<&'static str>,
    pub docs: &'static str,
}

pub struct Rule {
    pub meta: RuleMeta,
    /// Reads one function's IR and the control facts derived from it once for all rules.
    pub check: fn(&FunctionIr, &Analysis, &RuleContext, &mut Vec<Diagnostic>),
}

/// Declares a rule type whose doc comment becomes its `RuleMeta::docs`.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            id: $id:literal,
            level: $level:expr,
            languages: $langs:expr,
            summary: $summary:literal,
            links: $links:expr
            $(, preview: $preview:literal)?
            $(, cwe: $cwe:literal)? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                id: $id,
                level: $level,
                languages: $langs,
                summary: $summary,
                links: $links,
                preview: false $(|| $preview)?,
                cwe: Some(declare_rule!(@cwe $($cwe)?)),
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
    (@cwe) => { "CWE-362" };
    (@cwe $cwe:literal) => { $cwe };
}
pub(crate) use declare_rule;

/// Who reports a race, by the check it runs on, and what the other rules do at its act.
pub struct RaceOwner {
    pub check: CheckKind,
    /// The rule that reports the race.
    pub reported_by: &'static str,
    /// Rules that leave the race's read or act to it.
    pub quiet: &'static [&'static str],
    /// Rules that report the act as well, raised to error with a note on the race.
    pub raises: &'static [&'static str],
}

/// The one table of sites two rules could claim. Rules not named at a race report its act by
/// their own criteria as well (side-effect-before-claim at a race on a window: kept as it was
/// when the rules asked each other, documented in its "Related rules").
pub static RACE_OWNERS: &[RaceOwner] = &[
    RaceOwner {
        check: CheckKind::Plain,
        reported_by: "check-then-act",
        quiet: &["side-effect-before-claim"],
        raises: &["missing-idempotency-key"],
    },
    RaceOwner {
        check: CheckKind::Window,
        reported_by: "time-window-dedup",
        quiet: &["check-then-act"],
        raises: &["missing-idempotency-key"],
    },
    RaceOwner {
        check: CheckKind::InProcessDedup,
        reported_by: "process-local-dedup",
        quiet: &[
            "check-then-act",
            "time-window-dedup",
            "side-effect-before-claim",
        ],
        raises: &["missing-idempotency-key"],
    },
];

/// The table's row for races on a kind of check.
pub(crate) fn race_owner(check: CheckKind) -> &'static RaceOwner {
    RACE_OWNERS
        .iter()
        .find(|o| o.check == check)
        .expect("RACE_OWNERS has a row for every kind of check")
}

/// Every rule, in documentation order.
pub static RULES: &[Rule] = &[
    Rule {
        meta: check_then_act::CheckThenAct::META,
        check: check_then_act::check,
    },
    Rule {
        meta: time_window_dedup::TimeWindowDedup::META,
        check: time_window_dedup::check,
    },
    Rule {
        meta: process_local_dedup::ProcessLocalDedup::META,
        check: process_local_dedup::check,
    },
    Rule {
        meta: unstable_idempotency_key::UnstableIdempotencyKey::META,
        check: unstable_idempotency_key::check,
    },
    Rule {
        meta: missing_idempotency_key::MissingIdempotencyKey::META,
        check: missing_idempotency_key::check,
    },
    Rule {
        meta: side_effect_before_claim::SideEffectBeforeClaim::META,
        check: side_effect_before_claim::check,
    },
    Rule {
        meta: short_idempotency_ttl::ShortIdempotencyTtl::META,
        check: short_idempotency_ttl::check,
    },
    Rule {
        meta: fs_check_then_act::FsCheckThenAct::META,
        check: fs_check_then_act::check,
    },
    Rule {
        meta: missing_unique_constraint::MissingUniqueConstraint::META,
        check: missing_unique_constraint::check,
    },
    Rule {
        meta: unhandled_unique_violation::UnhandledUniqueViolation::META,
        check: unhandled_unique_violation::check,
    },
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.meta.id == id)
}

/// Every rule's description, including the checks of suppression comments.
pub fn all_metas() -> impl Iterator<Item = &'static RuleMeta> {
    RULES
        .iter()
        .map(|r| &r.meta)
        .chain([&crate::suppress::UNUSED, &crate::suppress::INVALID])
}

/// The rule id closest to a misspelt one, for "did you mean".
pub fn closest(id: &str) -> Option<&'static str> {
    RULES
        .iter()
        .map(|r| (edit_distance(id, r.meta.id), r.meta.id))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, id)| id)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The rule documentation with the doc-comment indentation removed.
pub fn docs(meta: &RuleMeta) -> String {
    meta.docs
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_race_has_one_owner_and_the_rules_named_say_so_in_their_docs() {
        for check in [
            CheckKind::Plain,
            CheckKind::Window,
            CheckKind::InProcessDedup,
        ] {
            let rows = RACE_OWNERS.iter().filter(|o| o.check == check).count();
            assert_eq!(rows, 1, "{check:?}");
        }
        for owner in RACE_OWNERS {
            let named = std::iter::once(&owner.reported_by)
                .chain(owner.quiet)
                .chain(owner.raises);
            for id in named {
                let rule = find(id).unwrap_or_else(|| panic!("{id} is no rule"));
                let docs = docs(&rule.meta);
                assert!(
                    docs.contains("## Related rules"),
                    "{id} docs lack Related rules"
                );
                assert!(
                    docs.contains("RACE_OWNERS"),
                    "{id} docs do not point to the table"
                );
            }
            assert!(!owner.quiet.contains(&owner.reported_by));
        }
    }

    #[test]
    fn rule_ids_are_unique_kebab_case_and_documented() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.meta.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        for rule in RULES {
            let id = rule.meta.id;
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
            let docs = docs(&rule.meta);
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Fix",
            ] {
                assert!(docs.contains(section), "{id} docs lack {section}");
            }
            for language in ["ts", "rust"] {
                let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("fixtures")
                    .join(language)
                    .join(id);
                assert!(fixtures.is_dir(), "{id} has no {language} fixtures");
            }
        }
    }
}
