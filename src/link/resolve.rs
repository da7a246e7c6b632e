//! Which project function a call names. A call that cannot be resolved stays unknown: it is
//! never guessed.

use super::{FnRef, Project};
use crate::frontend::Grammar;
use crate::ir::{CallSite, FnName};
use crate::models::{Language, Models};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// How many `export ... from` hops a lookup follows through barrels.
pub(super) const MAX_REEXPORTS: usize = 8;

impl Project {
    /// The function a call in `caller` (of unit `unit`) names, if it is the project's own.
    pub fn resolve(&self, unit: usize, caller: &FnName, site: &CallSite) -> Option<FnRef> {
        match self.units[unit].kind {
            Grammar::Rust => self.resolve_rust(unit, caller, site),
            _ => self.resolve_ts(unit, caller, site),
        }
    }

    fn resolve_ts(&self, unit: usize, caller: &FnName, site: &CallSite) -> Option<FnRef> {
        let path: Vec<&str> = site.path.iter().map(String::as_str).collect();
        match path.as_slice() {
            ["this", method] => self.method_in(unit, caller.owner.as_deref()?, method),
            [name] => self
                .top_level(unit, name)
                .or_else(|| self.imported(unit, name, |u, there| self.exported(u, there, 0))),
            [.., method] => {
                // `this.repo.find()` or `repo.find()` on a known class; `ns.find()` or
                // `Class.find()` through an import.
                if let Some(class) = &site.receiver_type {
                    let class = self.base_type(unit, class);
                    return self
                        .method_in(unit, &class, method)
                        .or_else(|| {
                            self.imported(unit, &class, |u, there| {
                                self.reexported(u, there, 0, &|u, c| self.method_in(u, c, method))
                            })
                        })
                        .or_else(|| self.unique_method(&class, method));
                }
                let root = path[0];
                self.imported(unit, root, |u, there| match there {
                    "*" | "default" => self.exported(u, method, 0),
                    class => self.method_in(u, class, method),
                })
                .or_else(|| self.method_in(unit, root, method))
            }
            [] => None,
        }
    }

    /// A name the unit imports, looked up in the module it comes from.
    fn imported(
        &self,
        unit: usize,
        local: &str,
        find: impl Fn(usize, &str) -> Option<FnRef>,
    ) -> Option<FnRef> {
        let imports = &self.units[unit].ir.imports;
        let name = imports.names.iter().find(|n| n.here == local)?;
        let target = self.module_file(unit, &name.module)?;
        let there = match name.there.as_str() {
            "default" => self.units[target]
                .ir
                .imports
                .default_export
                .as_deref()
                .unwrap_or("default"),
            other => other,
        };
        find(target, there)
    }

    /// A function exported under `name`, following `export ... from` through barrels.
    fn exported(&self, unit: usize, name: &str, hops: usize) -> Option<FnRef> {
        self.reexported(unit, name, hops, &|u, n| self.top_level(u, n))
    }

    /// What `find` finds for `name` in the unit or in the modules it re-exports `name` from.
    fn reexported(
        &self,
        unit: usize,
        name: &str,
        hops: usize,
        find: &dyn Fn(usize, &str) -> Option<FnRef>,
    ) -> Option<FnRef> {
        if let Some(f) = find(unit, name) {
            return Some(f);
        }
        if hops >= MAX_REEXPORTS {
            return None;
        }
        let imports = &self.units[unit].ir.imports;
        imports.reexports.iter().find_map(|r| {
            let target = self.module_file(unit, &r.module)?;
            match r.here.as_str() {
                "*" => self.reexported(target, name, hops + 1, find),
                e if e == name => self.reexported(target, &r.there, hops + 1, find),
                _ => None,
            }
        })
    }

    /// The unit a specifier the unit imports names.
    pub(super) fn module_file(&self, unit: usize, spec: &str) -> Option<usize> {
        self.modules.get(unit)?.get(spec).copied()
    }

    /// [`Self::module_file`] of every import of every TS/JS unit.
    pub(super) fn imported_modules(&self) -> Vec<HashMap<String, usize>> {
        self.units
            .par_iter()
            .enumerate()
            .map(|(u, unit)| {
                if unit.kind == Grammar::Rust {
                    return HashMap::new();
                }
                let imports = &unit.ir.imports;
                let mut specs: Vec<&String> = imports
                    .names
                    .iter()
                    .chain(&imports.reexports)
                    .map(|n| &n.module)
                    .collect();
                specs.sort_unstable();
                specs.dedup();
                specs
                    .into_iter()
                    .filter_map(|spec| Some((spec.clone(), self.find_module(u, spec)?)))
                    .collect()
            })
            .collect()
    }

    /// The unit a specifier names: relative (`./orders`, `../db/index.js`), through the
    /// `tsconfig.json` aliases (`@/lib/db`) or a package of the workspace (`@acme/db`).
    fn find_module(&self, unit: usize, spec: &str) -> Option<usize> {
        let bases = if spec.starts_with('.') {
            let dir = self.units[unit].path.parent().unwrap_or(Path::new(""));
            vec![dir.join(spec)]
        } else {
            self.units[unit].bare.candidates(spec)
        };
        bases.iter().find_map(|base| self.source_at(base))
    }

    /// The unit at a module path written without its extension, or as `.js` for a `.ts`
    /// file, or as a directory with an `index` file.
    fn source_at(&self, base: &Path) -> Option<usize> {
        super::imports::ts_module_paths(base).find_map(|c| self.unit_at(&c))
    }

    /// [`base_type`] with the wrappers of the unit's language.
    fn base_type(&self, unit: usize, ty: &str) -> String {
        base_type(ty, self.wrappers.of(self.units[unit].kind))
    }

    fn top_level(&self, unit: usize, name: &str) -> Option<FnRef> {
        self.by_owner.get(&(unit, None, name.to_string())).copied()
    }

    fn method_in(&self, unit: usize, owner: &str, method: &str) -> Option<FnRef> {
        let key = (unit, Some(owner.to_string()), method.to_string());
        self.by_owner.get(&key).copied()
    }

    /// The one method of that name on a type of that name anywhere in the project, or, for
    /// a trait, in its one implementation.
    fn unique_method(&self, owner: &str, method: &str) -> Option<FnRef> {
        let key = (owner.to_string(), method.to_string());
        let one = |index: &HashMap<(String, String), Vec<FnRef>>| match index.get(&key)?.as_slice()
        {
            [one] => Some(*one),
            _ => None,
        };
        one(&self.by_type).or_else(|| one(&self.by_trait))
    }

    fn resolve_rust(&self, unit: usize, caller: &FnName, site: &CallSite) -> Option<FnRef> {
        // `use crate::repo;` then `repo::find(..)`: the first name stands for its `use` path.
        let imports = &self.units[unit].ir.imports.names;
        let path: Vec<String> = match imports.iter().find(|n| Some(&n.here) == site.path.first()) {
            Some(n) if site.path.len() > 1 => n
                .module
                .split("::")
                .filter(|m| !m.is_empty())
                .map(String::from)
                .chain(std::iter::once(n.there.clone()))
                .chain(site.path[1..].iter().cloned())
                .collect(),
            _ => site.path.clone(),
        };
        let (name, prefix) = path.split_last()?;
        let here = self.rust_module_of(unit, caller);
        // `self.f()`, `Self::f()`: a method of the caller's own type.
        if matches!(prefix, [s] if s == "self" || s == "Self") {
            let own = caller.owner.as_deref().map(|o| self.base_type(unit, o));
            if let Some(f) = own.and_then(|o| self.unique_method(&o, name)) {
                return Some(f);
            }
        }
        if let Some(ty) = &site.receiver_type {
            return self.unique_method(&self.base_type(unit, ty), name);
        }
        // `state.repo.find(..)`: from the first name's type through the fields' types.
        if let Some(root) = &site.root_type {
            let mut ty = self.base_type(unit, root);
            for field in &prefix[1..] {
                ty = self.base_type(unit, self.fields.get(&(ty, field.clone()))?);
            }
            return self.unique_method(&ty, name);
        }
        // `Order::load(..)`: an associated function of a type.
        if let Some(ty) = prefix.last().filter(|t| t.starts_with(char::is_uppercase)) {
            let ty = if ty == "Self" {
                caller.owner.as_deref().map(|o| self.base_type(unit, o))?
            } else {
                ty.clone()
            };
            return self.unique_method(&ty, name);
        }
        let module: Vec<String> = match prefix.first().map(String::as_str) {
            None => here.clone(),
            Some("crate") => std::iter::once(here.first()?.clone())
                .chain(prefix[1..].iter().cloned())
                .collect(),
            Some("super") => {
                let mut m = here[..here.len().saturating_sub(1)].to_vec();
                m.extend(prefix[1..].iter().cloned());
                m
            }
            Some("self") => here.iter().chain(&prefix[1..]).cloned().collect(),
            // Another crate of the workspace (by the name the manifest gives it), or a child
            // module of this one.
            Some(first) => {
                let child: Vec<String> = here.iter().chain(prefix).cloned().collect();
                if self.rust_free_fn(&child, name).is_some() {
                    child
                } else {
                    let renamed = here
                        .first()
                        .and_then(|krate| self.renames.get(krate))
                        .and_then(|r| r.iter().find(|(alias, _)| alias == first));
                    let mut other = prefix.to_vec();
                    if let Some((_, krate)) = renamed {
                        other[0].clone_from(krate);
                    }
                    other
                }
            }
        };
        self.rust_free_fn(&module, name)
    }

    /// The module a function's items live in: its file's, plus inline `mod` blocks.
    fn rust_module_of(&self, unit: usize, id: &FnName) -> Vec<String> {
        let mut m = self.units[unit].module.clone();
        m.extend(id.modules.iter().cloned());
        m
    }

    fn rust_free_fn(&self, module: &[String], name: &str) -> Option<FnRef> {
        self.by_name.get(name)?.iter().copied().find(|&at| {
            let id = self.function(at).id.as_ref();
            id.is_some_and(|id| id.owner.is_none() && self.rust_module_of(at.unit, id) == module)
        })
    }
}

/// The generic types of each language that stand for the type they wrap (`Arc<T>`, actix-web
/// `Data<T>`): the models' `type_wrappers`.
pub(super) struct Wrappers {
    rust: Vec<String>,
    typescript: Vec<String>,
}

impl Wrappers {
    pub fn new(models: &Models) -> Wrappers {
        Wrappers {
            rust: models.type_wrappers(Language::Rust),
            typescript: models.type_wrappers(Language::Typescript),
        }
    }

    /// The wrappers of the language a file is written in.
    pub fn of(&self, kind: Grammar) -> &[String] {
        match kind {
            Grammar::Rust => &self.rust,
            Grammar::TypeScript | Grammar::Tsx => &self.typescript,
        }
    }
}

/// The type's own name without references, wrappers and generics: `&Arc<OrderRepo>` ->
/// `OrderRepo`, `crate::repo::Repo<'a>` -> `Repo`, `web::Data<AppState>` -> `AppState`.
pub(super) fn base_type(ty: &str, wrappers: &[String]) -> String {
    let mut t = ty;
    loop {
        t = t
            .trim()
            .trim_start_matches('&')
            .trim_start_matches("mut")
            .trim_start_matches("dyn")
            .trim_start_matches("impl")
            .trim();
        let last = t.rsplit("::").next().unwrap_or(t);
        let wrapped = wrappers
            .iter()
            .find_map(|w| last.strip_prefix(w.as_str())?.strip_prefix('<'));
        match wrapped {
            Some(inner) => t = inner.strip_suffix('>').unwrap_or(inner),
            None => break,
        }
    }
    let head = t.split('<').next().unwrap_or(t);
    head.rsplit("::")
        .next()
        .unwrap_or(head)
        .trim_start_matches('&')
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{base_type, Wrappers};
    use crate::frontend::Grammar;
    use crate::models::Models;

    #[test]
    fn base_types_lose_references_wrappers_and_generics() {
        let wrappers = Wrappers::new(&Models::builtin());
        let base = |ty: &str| base_type(ty, wrappers.of(Grammar::Rust));
        assert_eq!(base("&Arc<OrderRepo>"), "OrderRepo");
        assert_eq!(base("crate::repo::Repo<'a>"), "Repo");
        assert_eq!(base("web::Data<AppState>"), "AppState");
        assert_eq!(base("State<Arc<AppState>>"), "AppState");
        assert_eq!(base("&mut PgPool"), "PgPool");
        assert_eq!(base("OrdersRepository"), "OrdersRepository");
        assert_eq!(base("Arc<dynPaymentGateway>"), "PaymentGateway");
        // A name that only starts like a wrapper is no wrapper.
        assert_eq!(base("Boxed<Order>"), "Boxed");
    }

    #[test]
    fn wrappers_are_the_languages_own() {
        let wrappers = Wrappers::new(&Models::builtin());
        assert_eq!(base_type("Box<Order>", wrappers.of(Grammar::Tsx)), "Box");
    }
}
