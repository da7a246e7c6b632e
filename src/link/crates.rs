//! Rust crates: where a file's crate is, what the crate is called in paths, and the names its
//! manifest gives the other crates of the workspace it depends on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What paths in a crate's files call it and its dependencies.
#[derive(Debug, Default)]
pub struct Crate {
    /// As Rust spells it: the library's name, else the package's (`shop-api` is `shop_api`),
    /// else the directory's for a crate with no manifest.
    pub name: String,
    /// Dependencies renamed in the manifest (`db = { path = "../db", package = "acme-db" }`):
    /// (name in paths, crate name).
    pub renames: Vec<(String, String)>,
    /// The directories of the dependencies given by path: other crates of the workspace.
    pub path_deps: Vec<PathBuf>,
}

/// The crate a file belongs to: the nearest directory above it with a `Cargo.toml`, or whose
/// `src/`, which holds the file, has a `lib.rs` or `main.rs` (a crate kept without its
/// manifest).
pub fn crate_root(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    absolute
        .ancestors()
        .skip(1)
        .find(|d| {
            let src = d.join("src");
            let bare = || {
                absolute.starts_with(&src)
                    && (src.join("lib.rs").is_file() || src.join("main.rs").is_file())
            };
            d.join("Cargo.toml").is_file() || bare()
        })
        .map(Path::to_path_buf)
}

/// A crate root's names, read once per scan.
pub fn cached(root: &Path, crates: &Mutex<HashMap<PathBuf, Arc<Crate>>>) -> Arc<Crate> {
    if let Some(known) = crates.lock().ok().and_then(|c| c.get(root).cloned()) {
        return known;
    }
    let krate = Arc::new(read(root));
    if let Ok(mut c) = crates.lock() {
        c.insert(root.to_path_buf(), krate.clone());
    }
    krate
}

/// The crate and module a Rust file's items live in: `src/orders/repo.rs` of crate `shop`
/// -> `[shop, orders, repo]`; `lib.rs`, `main.rs` and `mod.rs` name their directory. `crates`
/// caches each crate root's manifest: it is read once.
pub fn rust_module(path: &Path, crates: &Mutex<HashMap<PathBuf, Arc<Crate>>>) -> Vec<String> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let Some(root) = crate_root(&absolute) else {
        return Vec::new();
    };
    let krate = cached(&root, crates);
    let mut out = vec![krate.name.clone()];
    let Ok(rel) = absolute.strip_prefix(root.join("src")) else {
        return out;
    };
    let parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let keep = match parts.last().map(String::as_str) {
        Some("lib" | "main" | "mod") => parts.len() - 1,
        _ => parts.len(),
    };
    out.extend(parts.into_iter().take(keep));
    out
}

/// A crate root's names, from its manifest when it has one.
fn read(root: &Path) -> Crate {
    let dir_name = || {
        root.file_name()
            .map(|n| rust_name(&n.to_string_lossy()))
            .unwrap_or_else(|| "crate".into())
    };
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok());
    let Some(manifest) = manifest else {
        return Crate {
            name: dir_name(),
            ..Crate::default()
        };
    };
    let name_in = |table: &str| manifest.get(table)?.get("name")?.as_str().map(rust_name);
    let dependencies = || {
        manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .into_iter()
            .flatten()
    };
    let renames = dependencies()
        .filter_map(|(alias, spec)| {
            let package = spec.get("package")?.as_str()?;
            Some((rust_name(alias), rust_name(package)))
        })
        .collect();
    let path_deps = dependencies()
        .filter_map(|(_, spec)| Some(super::normal(root, Path::new(spec.get("path")?.as_str()?))))
        .collect();
    Crate {
        name: name_in("lib")
            .or_else(|| name_in("package"))
            .unwrap_or_else(|| "crate".into()),
        renames,
        path_deps,
    }
}

/// A crate name as paths spell it.
fn rust_name(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::super::test_tree::write;
    use super::*;

    #[test]
    fn crates_are_named_as_paths_name_them() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "api/Cargo.toml",
            "[package]\nname = \"acme-api\"\n[lib]\nname = \"api\"\n[dependencies]\nstore = { path = \"../db\", package = \"acme-db\" }\nserde = \"1\"\n",
        );
        write(root, "api/src/orders/pay.rs", "");
        write(root, "tool/src/main.rs", "");
        write(root, "tool/src/repo.rs", "");
        let crates = Mutex::new(HashMap::new());
        let module = rust_module(&root.join("api/src/orders/pay.rs"), &crates);
        assert_eq!(module, ["api", "orders", "pay"]);
        let api = cached(&root.join("api"), &crates);
        assert_eq!(api.renames, [("store".to_string(), "acme_db".to_string())]);
        assert_eq!(api.path_deps, [root.join("db")]);
        let module = rust_module(&root.join("tool/src/repo.rs"), &crates);
        assert_eq!(module, ["tool", "repo"]);
    }
}
