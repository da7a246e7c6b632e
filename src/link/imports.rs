//! The project files a file imports, found on disk. A scan of a few named files (a pre-commit
//! hook) reads these as well, so calls into them link, without reading the whole tree.

use super::crates::{cached, crate_root, Crate};
use super::specifiers::Configs;
use super::Unit;
use crate::frontend::Grammar;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Whether a file is already part of the scan.
pub type Loaded<'a> = dyn Fn(&Path) -> bool + Sync + 'a;

/// Caches shared while the files of one scan are followed.
#[derive(Default)]
pub struct Neighbourhood {
    configs: Configs,
    /// Crate roots whose files were already offered.
    crates_seen: Mutex<HashSet<PathBuf>>,
    /// Crate manifests read so far.
    crates: Mutex<HashMap<PathBuf, Arc<Crate>>>,
    /// The file each module path written in an import names, if any: a package imported by
    /// many files is looked for on disk once.
    on_disk: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
}

impl Neighbourhood {
    fn file_at(&self, base: &Path) -> Option<PathBuf> {
        if let Some(found) = self.on_disk.lock().ok()?.get(base) {
            return found.clone();
        }
        let found = ts_module_paths(base).find(|p| p.is_file());
        if let Ok(mut cache) = self.on_disk.lock() {
            cache.insert(base.to_path_buf(), found.clone());
        }
        found
    }
}

impl Unit {
    /// Files of the project this file imports that exist on disk and are not `loaded` yet.
    /// An import a loaded file answers costs no file-system call: in a scan of the whole tree,
    /// that is every import.
    pub fn imported_files(&self, near: &Neighbourhood, loaded: &Loaded<'_>) -> Vec<PathBuf> {
        match self.kind {
            Grammar::Rust => self.imported_rust(near),
            _ => self.imported_ts(near, loaded),
        }
    }

    fn imported_ts(&self, near: &Neighbourhood, loaded: &Loaded<'_>) -> Vec<PathBuf> {
        let imports = &self.ir.imports;
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let bare = near.configs.for_file(&self.path);
        // Per import: nothing when a loaded file answers it, else the first file on disk.
        let mut found: Vec<PathBuf> = imports
            .names
            .iter()
            .chain(&imports.reexports)
            .map(|n| match n.module.starts_with('.') {
                true => vec![dir.join(&n.module)],
                false => bare.candidates(&n.module),
            })
            .filter(|bases| !bases.iter().any(|b| ts_module_paths(b).any(|p| loaded(&p))))
            .filter_map(|bases| bases.iter().find_map(|b| near.file_at(b)))
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// The other files of its crate, and those of the workspace crates it depends on by path:
    /// a crate's files reach each other's items through `mod` declarations, paths and types
    /// without any `use`, and the compiler reads them all too. Each crate's files are offered
    /// once per neighbourhood, not once per file of the crate.
    fn imported_rust(&self, near: &Neighbourhood) -> Vec<PathBuf> {
        let Some(root) = crate_root(&self.path) else {
            return Vec::new();
        };
        let krate = cached(&root, &near.crates);
        let mut files = Vec::new();
        for dir in std::iter::once(&root).chain(&krate.path_deps) {
            let first_time = near
                .crates_seen
                .lock()
                .is_ok_and(|mut seen| seen.insert(dir.clone()));
            if !first_time {
                continue;
            }
            files.extend(
                ignore::WalkBuilder::new(dir.join("src"))
                    .build()
                    .filter_map(Result::ok)
                    .map(ignore::DirEntry::into_path)
                    .filter(|p| p.extension().is_some_and(|e| e == "rs")),
            );
        }
        files.sort();
        files
    }
}

/// Where a module path written without its extension may be: as written, `./credits.db.js`
/// for `credits.db.ts`, `./orders.service` for `orders.service.ts`, or a directory's `index`.
pub(super) fn ts_module_paths(base: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    const EXTS: [&str; 8] = ["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];
    let written = base.extension().and_then(|e| e.to_str());
    let stem = match written {
        Some(e) if EXTS.contains(&e) => base.with_extension(""),
        _ => base.to_path_buf(),
    };
    std::iter::once(base.to_path_buf())
        .chain(EXTS.map(move |e| PathBuf::from(format!("{}.{e}", stem.display()))))
        .chain(EXTS.iter().map(|e| base.join(format!("index.{e}"))))
}
