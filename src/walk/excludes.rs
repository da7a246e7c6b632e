//! Paths left out of a scan, in .gitignore syntax: the defaults (tests and one-off scripts,
//! where no two requests run at once) plus the user's `--exclude` patterns.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::Path;

/// Tests, fixtures of test suites, and scripts that run once (seeds, migrations): a race
/// needs concurrent requests, and these run alone. Documented in README.md.
const DEFAULT_EXCLUDES: &[&str] = &[
    "test/",
    "tests/",
    "__tests__/",
    "__mocks__/",
    "e2e/",
    "*.test.*",
    "*.spec.*",
    "*.e2e-spec.*",
    "seed.*",
    "seed/",
    "seeds/",
    "seeders/",
    "populate.*",
    "migrations/",
    "scripts/",
];

#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Extra patterns, in .gitignore syntax, relative to each scanned directory.
    pub exclude: Vec<String>,
    /// Leave tests and one-off scripts in the scan.
    pub no_default_excludes: bool,
    /// Apply the excludes to files named on the command line too (they bypass them otherwise,
    /// as they bypass .gitignore).
    pub force_exclude: bool,
}

impl Selection {
    fn patterns(&self) -> impl Iterator<Item = &str> {
        let defaults = if self.no_default_excludes {
            &[][..]
        } else {
            DEFAULT_EXCLUDES
        };
        defaults
            .iter()
            .copied()
            .chain(self.exclude.iter().map(String::as_str))
    }

    /// The matcher for paths under `root`; a pattern that does not parse is an error.
    pub fn matcher(&self, root: &Path) -> Result<Excludes, String> {
        let mut builder = GitignoreBuilder::new(root);
        for pattern in self.patterns() {
            builder
                .add_line(None, pattern)
                .map_err(|e| format!("invalid exclude pattern `{pattern}`: {e}"))?;
        }
        builder
            .build()
            .map(Excludes)
            .map_err(|e| format!("invalid exclude patterns: {e}"))
    }
}

pub struct Excludes(Gitignore);

impl Excludes {
    pub fn excludes(&self, path: &Path, is_dir: bool) -> bool {
        path.starts_with(self.0.path())
            && self.0.matched_path_or_any_parents(path, is_dir).is_ignore()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(selection: &Selection, path: &str) -> bool {
        let root = Path::new("repo");
        let m = selection.matcher(root).unwrap();
        m.excludes(&root.join(path), false)
    }

    #[test]
    fn defaults_cover_tests_and_one_off_scripts() {
        let s = Selection::default();
        for path in [
            "src/orders.test.ts",
            "src/orders.spec.tsx",
            "apps/api/test/orders.e2e-spec.ts",
            "packages/db/__tests__/orders.ts",
            "prisma/seed.ts",
            "db/seeders/20240101-users.js",
            "apps/webapp/prisma/populate.ts",
            "db/migrations/0001_init.ts",
            "tests/orders.rs",
        ] {
            assert!(excluded(&s, path), "{path}");
        }
        for path in [
            "src/orders.ts",
            "src/testing-utils/orders.ts",
            "src/seedPhrase.ts",
            "src/contest.ts",
        ] {
            assert!(!excluded(&s, path), "{path}");
        }
    }

    #[test]
    fn user_patterns_add_to_or_replace_the_defaults() {
        let extra = Selection {
            exclude: vec!["scripts/".into(), "/legacy/*.js".into()],
            ..Selection::default()
        };
        assert!(excluded(&extra, "tools/scripts/backfill.ts"));
        assert!(excluded(&extra, "legacy/app.js"));
        assert!(!excluded(&extra, "src/legacy/app.js"));
        assert!(excluded(&extra, "src/a.test.ts"));
        let bare = Selection {
            no_default_excludes: true,
            ..Selection::default()
        };
        assert!(!excluded(&bare, "src/a.test.ts"));
    }

    #[test]
    fn a_bad_pattern_is_an_error() {
        let bad = Selection {
            exclude: vec!["src/{a,b".into()],
            ..Selection::default()
        };
        assert!(bad.matcher(Path::new(".")).is_err());
    }
}
