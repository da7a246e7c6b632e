//! npm, yarn and pnpm workspaces: the packages of a monorepo import each other by name
//! (`@acme/db`, `@acme/db/client`), and such an import names the package's source, not the
//! build output its manifest points at (`dist/index.js` is `src/index.ts` to the scan).

use super::nearest::Nearest;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How deep below the workspace root package directories are looked for (`packages/*` is 2,
/// `apps/web/packages/*` 4): deeper globs are rare and the walk stays short.
const MAX_PACKAGE_DEPTH: usize = 4;
/// How many packages a workspace may declare: a hostile tree cannot make the walk long.
const MAX_PACKAGES: usize = 2000;

/// Directories of build output that a manifest's entry points may name, standing for `src`.
const BUILD_DIRS: [&str; 6] = ["dist", "build", "out", "lib", "esm", "cjs"];

/// The packages of one workspace.
#[derive(Debug, Default)]
pub struct Packages {
    /// Longest name first, so `@acme/db-client` is not taken for `@acme/db`.
    packages: Vec<Package>,
}

#[derive(Debug)]
struct Package {
    name: String,
    dir: PathBuf,
    /// `exports` by subpath (`.`, `./client`, `./*`): every path its conditions name.
    exports: Vec<(String, Vec<String>)>,
    /// `types`, `typings`, `module`, `main`.
    entries: Vec<String>,
}

impl Packages {
    /// The paths (without extension, or as written) an import of `spec` may name, when it
    /// names a package of the workspace.
    pub fn candidates(&self, spec: &str) -> Vec<PathBuf> {
        let Some(package) = self.packages.iter().find(|p| {
            spec.strip_prefix(p.name.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        }) else {
            return Vec::new();
        };
        let rest = &spec[package.name.len()..];
        let subpath = format!(".{rest}");
        let mut targets: Vec<String> = package
            .exports
            .iter()
            .find_map(|(key, paths)| exported(key, paths, &subpath))
            .unwrap_or_default();
        if rest.is_empty() {
            targets.extend(package.entries.iter().cloned());
        }
        let dir = &package.dir;
        let mut out: Vec<PathBuf> = targets
            .iter()
            .flat_map(|t| source_of(&dir.join(t)))
            .collect();
        // Packages consumed as source often name no entry at all.
        let rest = rest.trim_start_matches('/');
        out.extend([dir.join("src").join(rest), dir.join(rest)]);
        out
    }
}

/// The paths an `exports` key gives a subpath: its own, or a pattern's (`./*`) with the
/// subpath's part put in for the star.
fn exported(key: &str, paths: &[String], subpath: &str) -> Option<Vec<String>> {
    if key == subpath {
        return Some(paths.to_vec());
    }
    let (prefix, suffix) = key.split_once('*')?;
    let star = subpath.strip_prefix(prefix)?.strip_suffix(suffix)?;
    Some(paths.iter().map(|p| p.replace('*', star)).collect())
}

/// A manifest's entry as the scan finds it: the path itself, and the same path with its build
/// directory read as `src` or dropped (`dist/index.js` is `src/index`, `dist/src/db.js` is
/// `src/db`), with a declaration file's `.d.ts` dropped (the caller tries extensions).
fn source_of(path: &Path) -> Vec<PathBuf> {
    let text = path.to_string_lossy();
    let stem = [".d.ts", ".d.mts", ".d.cts"]
        .iter()
        .find_map(|ext| text.strip_suffix(ext))
        .map_or_else(|| path.to_path_buf(), PathBuf::from);
    let parts: Vec<&std::ffi::OsStr> = stem.components().map(|c| c.as_os_str()).collect();
    let Some(build) = parts.iter().position(|p| BUILD_DIRS.iter().any(|d| p == d)) else {
        return vec![stem];
    };
    let with = |middle: &[&str]| -> PathBuf {
        let mut out: PathBuf = parts[..build].iter().collect();
        out.extend(middle);
        out.extend(&parts[build + 1..]);
        out
    };
    vec![with(&["src"]), with(&[]), stem]
}

/// The workspace each file is in, looked up once per directory and read once per workspace.
pub struct Workspaces(Nearest<Arc<Packages>>);

impl Default for Workspaces {
    fn default() -> Self {
        Workspaces(Nearest::accepting(
            &["pnpm-workspace.yaml", "package.json"],
            |file| {
                file.is_file()
                    && file
                        .parent()
                        .is_some_and(|d| declared_packages(d).is_some())
            },
        ))
    }
}

impl Workspaces {
    /// The packages of the workspace above a file: the nearest directory with a
    /// `pnpm-workspace.yaml`, or a `package.json` that declares `workspaces`.
    pub fn for_file(&self, file: &Path) -> Option<Arc<Packages>> {
        self.0.for_file(file, |found| {
            let root = found.parent()?;
            Some(Arc::new(read_packages(root, &declared_packages(root)?)))
        })
    }
}

/// The package globs a directory's workspace file declares, if it is a workspace root.
fn declared_packages(dir: &Path) -> Option<Vec<String>> {
    let pnpm = dir.join("pnpm-workspace.yaml");
    if pnpm.is_file() {
        let text = std::fs::read_to_string(pnpm).ok()?;
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).ok()?;
        let packages = docs.first()?["packages"].as_vec()?;
        return Some(
            packages
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).ok()?).ok()?;
    let workspaces = manifest.get("workspaces")?;
    // `"workspaces": [..]`, or yarn's `{ "packages": [..] }`.
    let list = workspaces
        .as_array()
        .or_else(|| workspaces.get("packages")?.as_array())?;
    Some(
        list.iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect(),
    )
}

/// The packages under `root` whose directories the globs select (`!` globs exclude), by the
/// names their manifests give them.
fn read_packages(root: &Path, patterns: &[String]) -> Packages {
    let (mut include, mut exclude) = (
        globset::GlobSetBuilder::new(),
        globset::GlobSetBuilder::new(),
    );
    for pattern in patterns {
        let (set, glob) = match pattern.strip_prefix('!') {
            Some(negated) => (&mut exclude, negated),
            None => (&mut include, pattern.as_str()),
        };
        if let Ok(glob) = globset::Glob::new(glob.trim_start_matches("./").trim_end_matches('/')) {
            set.add(glob);
        }
    }
    let (Ok(include), Ok(exclude)) = (include.build(), exclude.build()) else {
        return Packages::default();
    };
    let mut packages: Vec<Package> = ignore::WalkBuilder::new(root)
        .max_depth(Some(MAX_PACKAGE_DEPTH))
        .filter_entry(|e| e.file_name() != "node_modules")
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_dir()))
        .filter_map(|e| {
            let relative = e.path().strip_prefix(root).ok()?;
            let selected = include.is_match(relative) && !exclude.is_match(relative);
            selected.then(|| package(e.path())).flatten()
        })
        .take(MAX_PACKAGES)
        .collect();
    packages.sort_by_key(|p| std::cmp::Reverse(p.name.len()));
    Packages { packages }
}

/// A package directory's name and entry points, from its `package.json`.
fn package(dir: &Path) -> Option<Package> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = manifest.get("name")?.as_str()?.to_string();
    let exports = match manifest.get("exports") {
        Some(serde_json::Value::Object(map)) if map.keys().all(|k| k.starts_with('.')) => map
            .iter()
            .map(|(key, value)| (key.clone(), leaves(value)))
            .collect(),
        // A string, or the conditions of `.` itself.
        Some(value) => vec![(".".to_string(), leaves(value))],
        None => Vec::new(),
    };
    let entries = ["types", "typings", "module", "main"]
        .iter()
        .filter_map(|k| manifest.get(k)?.as_str().map(str::to_string))
        .collect();
    Some(Package {
        name,
        dir: dir.to_path_buf(),
        exports,
        entries,
    })
}

/// Every path a value of `exports` names, through nested conditions (`import`, `types`,
/// `default`, `node`, ..), bounded in depth as manifests are input.
fn leaves(value: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, depth: usize, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Object(map) if depth < 8 => {
                for v in map.values() {
                    walk(v, depth + 1, out);
                }
            }
            serde_json::Value::Array(items) if depth < 8 => {
                for v in items {
                    walk(v, depth + 1, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_tree::write;
    use super::*;

    #[test]
    fn package_imports_name_the_packages_source() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "pnpm-workspace.yaml",
            "packages:\n  - 'packages/*'\n  - \"apps/*\"\n  - '!packages/ignored'\n",
        );
        write(
            root,
            "packages/db/package.json",
            r#"{ "name": "@acme/db", "main": "./dist/index.js",
                 "exports": { ".": { "types": "./dist/index.d.ts", "import": "./dist/index.mjs" },
                              "./client/*": "./dist/client/*.js" } }"#,
        );
        write(
            root,
            "packages/db-kit/package.json",
            r#"{ "name": "@acme/db-kit" }"#,
        );
        write(
            root,
            "packages/ignored/package.json",
            r#"{ "name": "@acme/ignored" }"#,
        );
        write(root, "apps/web/src/page.ts", "");
        let packages = Workspaces::default()
            .for_file(&root.join("apps/web/src/page.ts"))
            .unwrap();
        let db = root.join("packages/db");
        let root_candidates = packages.candidates("@acme/db");
        assert!(root_candidates.contains(&db.join("src/index")));
        assert!(packages
            .candidates("@acme/db/client/pool")
            .contains(&db.join("src/client/pool.js")));
        assert!(source_of(&db.join("dist/src/prisma.d.ts")).contains(&db.join("src/prisma")));
        assert!(packages
            .candidates("@acme/db-kit")
            .contains(&root.join("packages/db-kit/src")));
        assert!(packages.candidates("@acme/ignored").is_empty());
        assert!(packages.candidates("@acme/other").is_empty());
    }

    #[test]
    fn npm_and_yarn_workspaces_are_read_from_package_json() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "package.json",
            r#"{ "workspaces": { "packages": ["packages/*"] } }"#,
        );
        write(root, "packages/lib/package.json", r#"{ "name": "lib" }"#);
        let packages = Workspaces::default()
            .for_file(&root.join("packages/lib/index.ts"))
            .unwrap();
        assert!(packages
            .candidates("lib/utils")
            .contains(&root.join("packages/lib/src/utils")));
    }
}
