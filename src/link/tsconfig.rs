//! `tsconfig.json` `baseUrl` and `paths`: how a TypeScript project spells imports of its own
//! modules without `./` (`@/lib/db`, `~/services/orders`).

use super::nearest::Nearest;
use std::path::{Path, PathBuf};

/// How many `extends` a configuration follows.
const MAX_EXTENDS: usize = 4;

#[derive(Clone, Debug, Default)]
pub struct Aliases {
    /// Where bare specifiers start, when `baseUrl` is set.
    base: Option<PathBuf>,
    /// `"@/*": ["./src/*"]`, resolved against `baseUrl` (or the file's directory).
    paths: Vec<(String, Vec<PathBuf>)>,
}

impl Aliases {
    /// The paths a bare specifier may name, most specific alias first.
    pub fn candidates(&self, spec: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for (pattern, targets) in &self.paths {
            let matched = match pattern.split_once('*') {
                Some((prefix, suffix)) => spec
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.strip_suffix(suffix)),
                None => (spec == pattern).then_some(""),
            };
            if let Some(star) = matched {
                out.extend(
                    targets
                        .iter()
                        .map(|t| PathBuf::from(t.to_string_lossy().replace('*', star))),
                );
            }
        }
        out.extend(self.base.as_ref().map(|b| b.join(spec)));
        out
    }
}

/// The aliases of the nearest `tsconfig.json` above each file.
pub struct TsConfigs(Nearest<Aliases>);

impl Default for TsConfigs {
    fn default() -> Self {
        TsConfigs(Nearest::new(&["tsconfig.json"]))
    }
}

impl TsConfigs {
    pub fn for_file(&self, file: &Path) -> Option<Aliases> {
        self.0.for_file(file, |config| read(config, 0))
    }
}

fn read(path: &Path, depth: usize) -> Option<Aliases> {
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = json5::from_str(&text).ok()?;
    let dir = path.parent()?;
    let mut aliases = match json.get("extends").and_then(|e| e.as_str()) {
        Some(parent) if parent.starts_with('.') && depth < MAX_EXTENDS => {
            let parent = dir.join(parent);
            let parent = if parent.extension().is_some() {
                parent
            } else {
                parent.with_extension("json")
            };
            read(&parent, depth + 1).unwrap_or_default()
        }
        _ => Aliases::default(),
    };
    let options = json.get("compilerOptions");
    let base = options
        .and_then(|o| o.get("baseUrl"))
        .and_then(|b| b.as_str())
        .map(|b| dir.join(b));
    if base.is_some() {
        aliases.base = base;
    }
    if let Some(paths) = options
        .and_then(|o| o.get("paths"))
        .and_then(|p| p.as_object())
    {
        let root = aliases.base.clone().unwrap_or_else(|| dir.to_path_buf());
        aliases.paths = paths
            .iter()
            .map(|(pattern, targets)| {
                let targets = targets
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str())
                    .map(|t| root.join(t))
                    .collect();
                (pattern.clone(), targets)
            })
            .collect();
        // The longest prefix is the most specific alias.
        aliases
            .paths
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    }
    Some(aliases)
}
