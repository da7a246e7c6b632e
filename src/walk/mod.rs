//! Finding the files to scan: a .gitignore-aware walk of directories, plus files named
//! explicitly (scanned even when ignored, as pre-commit hooks pass them).

mod excludes;

pub use excludes::Selection;

use crate::diagnostic::ScanNote;
use crate::frontend::Grammar;
use ignore::WalkBuilder;
use std::path::{Path, PathBuf};

/// Directories that hold dependencies or build output, never hand-written services.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "dist",
    "build",
    ".next",
    "target",
    ".git",
    "coverage",
    "out",
];

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<PathBuf>,
    pub notes: Vec<ScanNote>,
}

/// The files to scan under `paths`; an exclude pattern that does not parse is an error.
pub fn discover(paths: &[PathBuf], selection: &Selection) -> Result<Discovery, String> {
    let mut found = Discovery::default();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                let excluded = selection.force_exclude && named_file_excluded(path, selection)?;
                if !excluded && Grammar::from_path(path).is_some() {
                    found.files.push(path.clone());
                }
            }
            Ok(_) => walk_dir(path, selection, &mut found)?,
            Err(e) => found.notes.push(ScanNote {
                file: path.clone(),
                line: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    for f in &mut found.files {
        *f = clean(f);
    }
    found.files.sort();
    found.files.dedup();
    Ok(found)
}

/// Excludes for a file named on the command line are anchored at the working directory.
fn named_file_excluded(path: &Path, selection: &Selection) -> Result<bool, String> {
    let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = if absolute.starts_with(&cwd) {
        cwd.as_path()
    } else {
        absolute.ancestors().last().unwrap_or(Path::new("/"))
    };
    Ok(selection.matcher(root)?.excludes(&absolute, false))
}

/// `./src/a.ts` -> `src/a.ts`, so reports and SARIF URIs read as plain relative paths.
fn clean(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

fn walk_dir(root: &Path, selection: &Selection, found: &mut Discovery) -> Result<(), String> {
    let excludes = selection.matcher(root)?;
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .follow_links(true)
        .require_git(false)
        .filter_entry(move |e| {
            let name = e.file_name().to_string_lossy();
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            let skipped = is_dir && SKIPPED_DIRS.contains(&name.as_ref());
            // The root itself is scanned even when a pattern names it (`toctou check tests/`).
            let excluded = e.depth() > 0 && excludes.excludes(e.path(), is_dir);
            !skipped && !excluded
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                let path = e.into_path();
                let minified = path.to_string_lossy().ends_with(".min.js");
                if !minified && Grammar::from_path(&path).is_some() {
                    found.files.push(path);
                }
            }
            Ok(_) => {}
            Err(err) => found.notes.push(ScanNote {
                file: clean(&error_path(&err).unwrap_or_else(|| root.to_path_buf())),
                line: None,
                message: format!("skipped: {}", error_message(&err)),
            }),
        }
    }
    Ok(())
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_message(err),
        ignore::Error::Loop { ancestor, .. } => {
            format!("symbolic link loop back to {}", ancestor.display())
        }
        other => other.to_string(),
    }
}
