//! Where a scan looks for the schema of the code it reads.

use std::path::{Path, PathBuf};

/// The repository the scanned paths belong to (the nearest directory above their common one
/// that holds `.git`), where the schema usually sits beside the code (`prisma/`,
/// `migrations/`); their common directory when there is none, or when that repository
/// ignores them, as it does a scratch copy of another project.
pub fn project_root(paths: &[PathBuf]) -> Option<PathBuf> {
    let common = common_dir(paths)?;
    let repository = common.ancestors().find(|d| d.join(".git").exists());
    match repository {
        Some(repo) if !ignored_in(repo, &common) => Some(repo.to_path_buf()),
        _ => Some(common),
    }
}

/// The deepest directory holding every path (a directory holds itself), as an absolute path.
fn common_dir(paths: &[PathBuf]) -> Option<PathBuf> {
    let mut dirs = paths.iter().filter_map(|f| {
        let absolute = std::path::absolute(f).ok()?;
        Some(if absolute.is_dir() {
            absolute
        } else {
            absolute.parent()?.to_path_buf()
        })
    });
    let mut common = dirs.next()?;
    for dir in dirs {
        while !dir.starts_with(&common) {
            common = common.parent()?.to_path_buf();
        }
    }
    Some(common)
}

/// Whether the repository's top-level `.gitignore` leaves `dir` out.
fn ignored_in(repository: &Path, dir: &Path) -> bool {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(repository);
    builder.add(repository.join(".gitignore"));
    builder.build().is_ok_and(|ignore| {
        dir != repository && ignore.matched_path_or_any_parents(dir, true).is_ignore()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_around_the_files_unless_it_ignores_them() {
        let base = std::env::temp_dir().join(format!("toctou-roots-{}", std::process::id()));
        let app = base.join("apps/api/src");
        let scratch = base.join("scratch/other/src");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::create_dir_all(&scratch).unwrap();
        std::fs::create_dir_all(base.join(".git")).unwrap();
        std::fs::write(base.join(".gitignore"), "scratch/\n").unwrap();
        let files = [app.join("a.ts"), app.join("b/c.ts")];
        assert_eq!(project_root(&files), Some(base.clone()));
        assert_eq!(project_root(&[scratch.join("a.ts")]), Some(scratch.clone()));
        let both = [app.join("a.ts"), base.join("apps/web/x.ts")];
        assert_eq!(common_dir(&both), Some(base.join("apps")));
        std::fs::remove_dir_all(&base).unwrap();
    }
}
