//! The nearest of some configuration files above a source file (`tsconfig.json`,
//! `package.json`), and what it says: looked up once per directory, read once per file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct Nearest<T> {
    /// File names to look for in each directory, the first found and accepted wins.
    names: &'static [&'static str],
    /// Whether a file found counts (by default, any that exists).
    accept: fn(&Path) -> bool,
    by_dir: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
    by_file: Mutex<HashMap<PathBuf, Option<T>>>,
}

impl<T: Clone> Nearest<T> {
    pub fn new(names: &'static [&'static str]) -> Self {
        Self::accepting(names, Path::is_file)
    }

    /// The nearest of `names` that `accept` takes (a `package.json` that declares workspaces).
    pub fn accepting(names: &'static [&'static str], accept: fn(&Path) -> bool) -> Self {
        Nearest {
            names,
            accept,
            by_dir: Mutex::default(),
            by_file: Mutex::default(),
        }
    }

    /// What `read` makes of the nearest file above `file`, if there is one.
    pub fn for_file(&self, file: &Path, read: impl Fn(&Path) -> Option<T>) -> Option<T> {
        let dir = std::path::absolute(file).ok()?.parent()?.to_path_buf();
        let found = self.find(&dir)?;
        if let Some(known) = self.by_file.lock().ok()?.get(&found) {
            return known.clone();
        }
        let value = read(&found);
        if let Ok(mut cache) = self.by_file.lock() {
            cache.insert(found, value.clone());
        }
        value
    }

    /// The nearest file, remembered for every directory passed on the way up to it.
    fn find(&self, dir: &Path) -> Option<PathBuf> {
        let mut passed = Vec::new();
        let mut found = None;
        for d in dir.ancestors() {
            if let Some(known) = self.by_dir.lock().ok().and_then(|c| c.get(d).cloned()) {
                found = known;
                break;
            }
            passed.push(d.to_path_buf());
            if let Some(f) = self
                .names
                .iter()
                .map(|n| d.join(n))
                .find(|f| (self.accept)(f))
            {
                found = Some(f);
                break;
            }
        }
        if let Ok(mut cache) = self.by_dir.lock() {
            for d in passed {
                cache.insert(d, found.clone());
            }
        }
        found
    }
}
