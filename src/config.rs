//! `toctou.toml`: per-rule levels, excludes and the project's own library models, found by
//! walking up from each scanned file (the nearest wins) or named with `--config`. A bad file is
//! an error that points into it.

use crate::diagnostic::{Diagnostic, Severity};
use crate::models::{LibraryModel, Models};
use crate::rules;
use miette::{LabeledSpan, NamedSource};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const FILE_NAME: &str = "toctou.toml";

/// The starter file `toctou init` writes.
pub const STARTER: &str = r#"# toctou configuration. Every key is optional; unknown keys are errors.

# Per-rule level: "off", "note", "warning" or "error".
[rules]
# check-then-act = "error"
# fs-check-then-act = "off"

# Paths to scan (default: everything) and to leave out, in .gitignore syntax, relative to
# this file. Tests, seeds and migrations are already left out unless --no-default-excludes
# is given.
# include = ["apps/api/", "services/"]
# exclude = ["scripts/", "legacy/**/*.js"]

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
    rules: BTreeMap<Spanned<String>, Spanned<Level>>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    models: Vec<LibraryModel>,
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
    /// When given, only paths matching one of these are scanned.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl Config {
    /// No file: the built-in models and every rule at its default level.
    pub fn builtin() -> Config {
        Config {
            path: None,
            models: Models::builtin(),
            levels: BTreeMap::new(),
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }

    /// Reads and checks a configuration file; errors render with miette, pointing into it.
    pub fn load(path: &Path) -> Result<Config, miette::Report> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| miette::miette!("cannot read {}: {e}", path.display()))?;
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok())
            .unwrap_or(path)
            .display()
            .to_string();
        let source = || NamedSource::new(shown.clone(), text.clone());
        let raw: RawConfig = toml::from_str(&text).map_err(|e| {
            let help = did_you_mean(e.message());
            let mut diag =
                miette::MietteDiagnostic::new(format!("invalid {FILE_NAME}: {}", e.message()))
                    .with_code("toctou::config");
            if let Some(span) = e.span() {
                diag = diag.with_label(LabeledSpan::at(span, "here"));
            }
            if let Some(help) = help {
                diag = diag.with_help(help);
            }
            miette::Report::new(diag).with_source_code(source())
        })?;
        let mut levels = BTreeMap::new();
        for (id, level) in raw.rules {
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
            levels.insert(id.into_inner(), level.into_inner());
        }
        let mut models = Models::builtin();
        models.extend_front(raw.models);
        Ok(Config {
            path: Some(path.to_path_buf()),
            models,
            levels,
            include: raw.include,
            exclude: raw.exclude,
        })
    }

    /// The directory the file's relative paths start from.
    pub fn root(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// Applies the configured levels: findings of rules turned off are dropped.
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
            None => true,
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
}
