//! `toctou.toml`: per-rule levels, excludes and the project's own library models, found by
//! walking up from each scanned file (the nearest wins) or named with `--config`. A bad file is
//! an error that points into it.

use crate::diagnostic::{Diagnostic, Severity};
use crate::models::{LibraryModel, Models};
use crate::rules::{self, Settings};
use miette::{LabeledSpan, NamedSource};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const FILE_NAME: &str = "toctou.toml";

/// The starter file `toctou init` writes.
pub const STARTER: &str = r#"# toctou configuration. Every key is optional; unknown keys are errors.

# Per-rule level: "off", "note", "warning" or "error"; a table also sets the rule's options
# (`toctou explain RULE` lists them).
[rules]
# check-then-act = "error"
# fs-check-then-act = "off"
# short-idempotency-ttl = { level = "warning", min-ttl = "72h" }

# Paths to scan (default: everything) and to leave out, in .gitignore syntax, relative to
# this file. Tests, seeds, migrations and scripts are already left out unless
# --no-default-excludes is given.
# include = ["apps/api/", "services/"]
# exclude = ["tools/", "legacy/**/*.js"]

# Where the database schema is (Prisma schemas, SQL migrations, ORM entities), when it is
# not in the repository of the scanned code, relative to this file.
# [schema]
# paths = ["../db/migrations"]

# The project's own wrappers, in the schema of the built-in library models (rules/README.md):
# here `ordersRepository.findByKey(..)` reads the `orders` table.
# [[models]]
# library = { name = "orders-repository", language = "typescript" }
# [[models.calls]]
# methods = ["findByKey"]
# receiver = ["*ordersRepository*", "OrdersRepository"]
# effect = "read"
# resource = { name = "orders" }
"#;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    models: Vec<LibraryModel>,
    #[serde(default)]
    schema: SchemaSection,
}

/// `[schema]`: where the database schema is, besides the repository the code is in.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaSection {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
}

/// A rule given as a table: its level and options.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleTable {
    level: Option<Level>,
    min_ttl: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Note,
    Warning,
    Error,
}

/// A loaded configuration: where it lives, the models it adds to the built-in ones and what
/// it changes about the rules.
#[derive(Debug)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub models: Models,
    levels: BTreeMap<String, Level>,
    pub settings: Settings,
    /// When given, only paths matching one of these are scanned.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Files or directories holding schema files outside the project (`[schema] paths`).
    pub schema_paths: Vec<PathBuf>,
}

impl Config {
    /// No file: the built-in models and every rule at its default level.
    pub fn builtin() -> Config {
        Config {
            path: None,
            models: Models::builtin(),
            levels: BTreeMap::new(),
            settings: Settings::default(),
            include: Vec::new(),
            exclude: Vec::new(),
            schema_paths: Vec::new(),
        }
    }

    /// Reads and checks a configuration file; errors render with miette, pointing into it.
    pub fn load(path: &Path) -> Result<Config, miette::Report> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| miette::miette!("cannot read {}: {e}", path.display()))?;
        Config::parse(path, text)
    }

    /// Checks a configuration's text, read from `path`.
    pub fn parse(path: &Path, text: String) -> Result<Config, miette::Report> {
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok())
            .unwrap_or(path)
            .display()
            .to_string();
        let source = || NamedSource::new(shown.clone(), text.clone());
        let invalid = |message: &str, span: Option<std::ops::Range<usize>>| {
            let mut diag = miette::MietteDiagnostic::new(format!("invalid {FILE_NAME}: {message}"))
                .with_code("toctou::config");
            if let Some(span) = span {
                diag = diag.with_label(LabeledSpan::at(span, "here"));
            }
            if let Some(help) = did_you_mean(message) {
                diag = diag.with_help(help);
            }
            miette::Report::new(diag).with_source_code(source())
        };
        let raw: RawConfig = toml::from_str(&text).map_err(|e| invalid(e.message(), e.span()))?;
        let mut levels = BTreeMap::new();
        let mut settings = Settings::default();
        for (id, entry) in raw.rules {
            if rules::find(id.get_ref()).is_none() {
                let mut diag = miette::MietteDiagnostic::new(format!(
                    "invalid {FILE_NAME}: unknown rule `{}`",
                    id.get_ref()
                ))
                .with_code("toctou::config")
                .with_label(LabeledSpan::at(id.span(), "no such rule"));
                if let Some(c) = rules::closest(id.get_ref()) {
                    diag = diag.with_help(format!("did you mean `{c}`?"));
                }
                return Err(miette::Report::new(diag).with_source_code(source()));
            }
            let span = entry.span();
            let (level, table) = match entry.into_inner() {
                toml::Value::Table(t) => {
                    let table = RuleTable::deserialize(toml::Value::Table(t))
                        .map_err(|e| invalid(e.message(), Some(span.clone())))?;
                    (table.level, Some(table))
                }
                other => {
                    let level = Level::deserialize(other)
                        .map_err(|e| invalid(e.message(), Some(span.clone())))?;
                    (Some(level), None)
                }
            };
            if let Some(min_ttl) = table.and_then(|t| t.min_ttl) {
                let takes =
                    |option: &str| rules::OPTIONS.contains(&(id.get_ref().as_str(), option));
                if !takes("min-ttl") {
                    let message = format!("rule `{}` has no option `min-ttl`", id.get_ref());
                    return Err(invalid(&message, Some(span)));
                }
                settings.min_ttl = humantime::parse_duration(&min_ttl).map_err(|e| {
                    let message = format!("`min-ttl = \"{min_ttl}\"` is not a duration ({e}); write one like \"24h\", \"2d\" or \"90m\"");
                    invalid(&message, Some(span.clone()))
                })?;
            }
            if let Some(level) = level {
                levels.insert(id.into_inner(), level);
            }
        }
        let base = path.parent().unwrap_or(Path::new(""));
        let mut schema_paths = Vec::new();
        for given in raw.schema.paths {
            let resolved = base.join(given.get_ref());
            if !resolved.exists() {
                let message = format!("schema path `{}` does not exist", given.get_ref());
                return Err(invalid(&message, Some(given.span())));
            }
            schema_paths.push(resolved);
        }
        let mut models = Models::builtin();
        models.extend_front(raw.models);
        Ok(Config {
            path: Some(path.to_path_buf()),
            models,
            levels,
            settings,
            include: raw.include,
            exclude: raw.exclude,
            schema_paths,
        })
    }

    /// The directory the file's relative paths start from.
    pub fn root(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// Applies the configured levels: findings of rules turned off, and of preview rules not
    /// given a level, are dropped.
    pub fn apply_levels(&self, diagnostics: &mut Vec<Diagnostic>) {
        diagnostics.retain_mut(|d| match self.levels.get(d.rule) {
            Some(Level::Off) => false,
            Some(Level::Note) => {
                d.severity = Severity::Note;
                true
            }
            Some(Level::Warning) => {
                d.severity = Severity::Warning;
                true
            }
            Some(Level::Error) => {
                d.severity = Severity::Error;
                true
            }
            None => !crate::rules::find(d.rule).is_some_and(|r| r.meta.preview),
        });
    }
}

/// The nearest `toctou.toml` in the directory of `path` or above it.
pub fn find_for(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let start = if absolute.is_dir() {
        absolute.as_path()
    } else {
        absolute.parent()?
    };
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|c| c.is_file())
}

/// serde names the fields it expected; offer the closest to the unknown one.
fn did_you_mean(message: &str) -> Option<String> {
    let unknown = message.split('`').nth(1)?;
    let expected = message.split_once("expected")?.1;
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|c| (rules::edit_distance(unknown, c), c))
        .filter(|(d, _)| *d <= 3)
        .min()?;
    Some(format!("did you mean `{}`?", best.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, String> {
        let dir = tempfile_dir();
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        Config::load(&path).map_err(|e| format!("{e:?}"))
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "toctou-config-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_starter_file_loads() {
        let config = load(STARTER).unwrap();
        assert!(config.levels.is_empty() && config.exclude.is_empty());
    }

    #[test]
    fn levels_models_and_excludes_load() {
        let config = load(
            r#"
exclude = ["scripts/"]
include = ["src/"]
[rules]
fs-check-then-act = "off"
[[models]]
library = { name = "repo", language = "typescript" }
[[models.calls]]
methods = ["findByKey"]
effect = "read"
"#,
        )
        .unwrap();
        assert_eq!(config.levels["fs-check-then-act"], Level::Off);
        assert_eq!(config.exclude, ["scripts/"]);
        assert_eq!(config.include, ["src/"]);
    }

    #[test]
    fn mistakes_are_named_with_a_suggestion() {
        let unknown_key = load("exclud = []\n").unwrap_err();
        assert!(
            unknown_key.contains("did you mean `exclude`"),
            "{unknown_key}"
        );
        let unknown_rule = load("[rules]\ncheck-then-akt = \"off\"\n").unwrap_err();
        assert!(
            unknown_rule.contains("did you mean `check-then-act`"),
            "{unknown_rule}"
        );
        let bad_level = load("[rules]\ncheck-then-act = \"loud\"\n").unwrap_err();
        assert!(bad_level.contains("unknown variant"), "{bad_level}");
    }

    #[test]
    fn a_rule_table_sets_level_and_options() {
        let config =
            load("[rules]\nshort-idempotency-ttl = { level = \"error\", min-ttl = \"3d\" }\n")
                .unwrap();
        assert_eq!(config.levels["short-idempotency-ttl"], Level::Error);
        assert_eq!(config.settings.min_ttl.as_secs(), 3 * 24 * 3600);
        let only_option = load("[rules.short-idempotency-ttl]\nmin-ttl = \"90m\"\n").unwrap();
        assert!(only_option.levels.is_empty());
        assert_eq!(only_option.settings.min_ttl.as_secs(), 90 * 60);
    }

    #[test]
    fn bad_rule_options_are_named() {
        let misspelt = load("[rules]\nshort-idempotency-ttl = { min-tll = \"1h\" }\n").unwrap_err();
        assert!(misspelt.contains("did you mean `min-ttl`"), "{misspelt}");
        let elsewhere = load("[rules]\ncheck-then-act = { min-ttl = \"1h\" }\n").unwrap_err();
        assert!(
            elsewhere.contains("rule `check-then-act` has no option `min-ttl`"),
            "{elsewhere}"
        );
        let not_duration =
            load("[rules]\nshort-idempotency-ttl = { min-ttl = \"a day\" }\n").unwrap_err();
        assert!(not_duration.contains("is not a duration"), "{not_duration}");
    }
}
