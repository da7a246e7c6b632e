//! Linking: a call of one of the project's own functions is replaced by what that function
//! does, so rules see a check or an act inside a helper, in another file too, at the call.

mod clients;
mod crates;
mod imports;
mod inline;
mod manifest;
mod nearest;
pub use imports::{Loaded, Neighbourhood};
pub use inline::{MAX_LINKED_EFFECTS, MAX_LINK_DEPTH};
mod resolve;
mod specifiers;
mod tsconfig;
mod workspaces;

use crate::frontend::Grammar;
use crate::ir::{FileIr, FunctionIr, Node};
use crate::models::Models;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A function of the project: the file it is in and its index there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FnRef {
    pub unit: usize,
    pub index: usize,
}

/// One lowered file of the project.
pub struct Unit {
    pub path: PathBuf,
    pub kind: Grammar,
    pub ir: FileIr,
    /// Rust: the crate and the module path the file's items live in.
    pub module: Vec<String>,
    /// TypeScript: how its bare imports name project files (tsconfig aliases, workspace
    /// packages).
    bare: specifiers::BareImports,
    /// Its package is a user-interface client (a browser, mobile or desktop app), not a
    /// service that runs as several instances.
    pub client: bool,
}

impl Unit {
    /// Lowers a file's text.
    pub fn new(
        path: &Path,
        kind: Grammar,
        text: &str,
        models: &Models,
        deadline: crate::budget::Deadline,
    ) -> Unit {
        Unit {
            path: path.to_path_buf(),
            kind,
            ir: crate::frontend::lower(kind, text, models, deadline, &[]),
            module: Vec::new(),
            bare: specifiers::BareImports::default(),
            client: false,
        }
    }
}

/// Every lowered file, indexed for looking up the functions calls name.
pub struct Project {
    pub units: Vec<Unit>,
    by_path: HashMap<PathBuf, usize>,
    /// Functions by their own name, for narrowing lookups: name -> functions.
    by_name: HashMap<String, Vec<FnRef>>,
    /// Functions by (unit, owner type, name): the first one of each.
    by_owner: HashMap<(usize, Option<String>, String), FnRef>,
    /// Methods by (type, name) and by (trait implemented, name), across the project.
    by_type: HashMap<(String, String), Vec<FnRef>>,
    by_trait: HashMap<(String, String), Vec<FnRef>>,
    /// Declared field types: (type, field) -> field type, across files.
    fields: HashMap<(String, String), String>,
    /// The working directory relative paths start from.
    cwd: PathBuf,
    /// Callbacks (unit, start) given to project functions that run them under a lock.
    pub(super) guarded: HashSet<(usize, usize)>,
    /// Generic types standing for the type they wrap, by language.
    wrappers: resolve::Wrappers,
    /// Rust: the dependencies each crate renames, by crate name: (name in paths, crate).
    renames: HashMap<String, Vec<(String, String)>>,
    /// TypeScript: the unit each module specifier a unit imports names, by unit, found once
    /// (calls name a module many times, and each lookup tries many paths).
    modules: Vec<HashMap<String, usize>>,
    /// Rust: macros the project defines that return in every arm (`err!`), by name.
    diverging_macros: HashSet<String>,
}

impl Project {
    pub fn new(mut units: Vec<Unit>, models: &Models) -> Project {
        // What each file's neighbourhood says: how its imports resolve, its crate and module.
        let configs = specifiers::Configs::default();
        let crates = Mutex::new(HashMap::new());
        let manifests = manifest::Manifests::new(models);
        let wrappers = resolve::Wrappers::new(models);
        units.par_iter_mut().for_each(|unit| {
            match unit.kind {
                Grammar::Rust => unit.module = crates::rust_module(&unit.path, &crates),
                _ => unit.bare = configs.for_file(&unit.path),
            }
            unit.client = manifests.client_only(&unit.path);
        });
        let renames = crates
            .into_inner()
            .unwrap_or_default()
            .into_values()
            .map(|c| (c.name.clone(), c.renames.clone()))
            .collect();
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut by_path = HashMap::new();
        let mut by_name: HashMap<String, Vec<FnRef>> = HashMap::new();
        let mut by_owner = HashMap::new();
        let mut by_type: HashMap<(String, String), Vec<FnRef>> = HashMap::new();
        let mut by_trait: HashMap<(String, String), Vec<FnRef>> = HashMap::new();
        for (u, unit) in units.iter().enumerate() {
            by_path.insert(normal(&cwd, &unit.path), u);
            let base_type = |ty: &str| resolve::base_type(ty, wrappers.of(unit.kind));
            for (f, func) in unit.ir.functions.iter().enumerate() {
                if let Some(id) = &func.id {
                    let at = FnRef { unit: u, index: f };
                    by_name.entry(id.name.clone()).or_default().push(at);
                    let owner = id.owner.as_deref().map(base_type);
                    if let Some(owner) = &owner {
                        by_type
                            .entry((owner.clone(), id.name.clone()))
                            .or_default()
                            .push(at);
                    }
                    if let Some(implements) = &id.implements {
                        by_trait
                            .entry((base_type(implements), id.name.clone()))
                            .or_default()
                            .push(at);
                    }
                    by_owner.entry((u, owner, id.name.clone())).or_insert(at);
                }
            }
        }
        let fields = units
            .iter()
            .flat_map(|u| &u.ir.fields)
            .map(|f| ((f.owner.clone(), f.field.clone()), f.ty.clone()))
            .collect();
        let diverging_macros = units
            .iter()
            .flat_map(|u| u.ir.diverging_macros.iter().cloned())
            .collect();
        let mut project = Project {
            units,
            by_path,
            by_name,
            by_owner,
            by_type,
            by_trait,
            fields,
            cwd,
            guarded: HashSet::new(),
            wrappers,
            renames,
            modules: Vec::new(),
            diverging_macros,
        };
        project.modules = project.imported_modules();
        project.guarded = project.guarded_callbacks();
        project
    }

    /// Callbacks given to a project function that holds a lock (`withAdvisoryLock(key,
    /// async () => ..)`): their reads and acts run under it.
    pub(super) fn guarded_callbacks(&self) -> HashSet<(usize, usize)> {
        let mut out = HashSet::new();
        for (u, unit) in self.units.iter().enumerate() {
            for func in &unit.ir.functions {
                let caller = func.id.clone().unwrap_or_default();
                for e in &func.effects {
                    let crate::ir::EffectKind::Call(site) = &e.kind else {
                        continue;
                    };
                    let locks = !site.callbacks.is_empty()
                        && self
                            .resolve(u, &caller, site)
                            .is_some_and(|f| inline::takes_lock(self.function(f)));
                    if locks {
                        out.extend(site.callbacks.iter().map(|&start| (u, start)));
                    }
                }
            }
        }
        out
    }

    /// Whether a function is a callback a lock helper runs (see `guarded_callbacks`).
    pub fn runs_under_lock(&self, at: FnRef) -> bool {
        let start = self.function(at).span.start;
        self.guarded.contains(&(at.unit, start))
    }

    pub fn function(&self, at: FnRef) -> &FunctionIr {
        &self.units[at.unit].ir.functions[at.index]
    }

    /// The function with its calls of project functions linked in (itself when it calls
    /// none), and whether some calls were left out because the linked body grew too large.
    pub fn link(&self, caller: FnRef) -> (Cow<'_, FunctionIr>, bool) {
        let func = self.function(caller);
        let id = func.id.clone().unwrap_or_default();
        let calls_project = func.effects.iter().any(|e| match &e.kind {
            crate::ir::EffectKind::Call(site) => {
                site.fallback.is_some() || self.resolve(caller.unit, &id, site).is_some()
            }
            _ => false,
        });
        if calls_project || self.uses_diverging_macro(&func.body) {
            let (linked, cut) = inline::link(self, caller);
            (Cow::Owned(linked), cut)
        } else {
            (Cow::Borrowed(func), false)
        }
    }

    /// Whether a project macro used as a statement returns (see [`Node::Macro`]).
    pub fn diverges(&self, name: &str) -> bool {
        self.diverging_macros.contains(name)
    }

    /// Whether the block uses a macro that returns: linking turns it into a failure.
    fn uses_diverging_macro(&self, block: &[Node]) -> bool {
        !self.diverging_macros.is_empty()
            && block.iter().any(|n| match n {
                Node::Macro { name, .. } => self.diverges(name),
                other => other.blocks().any(|(_, b)| self.uses_diverging_macro(b)),
            })
    }

    fn unit_at(&self, path: &Path) -> Option<usize> {
        self.by_path.get(&normal(&self.cwd, path)).copied()
    }
}

/// A path with `.` and `..` folded, so `src/a/../b.ts` and `src/b.ts` meet.
/// Looked up once: resolving imports tries many candidate paths.
pub fn normal(cwd: &Path, path: &Path) -> PathBuf {
    let path = cwd.join(path);
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Trees of files on disk for the tests of manifests and workspaces.
#[cfg(test)]
mod test_tree {
    use std::path::Path;

    pub fn write(root: &Path, file: &str, text: &str) {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}
