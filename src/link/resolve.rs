//! Which project function a call names. A call that cannot be resolved stays unknown: it is
//! never guessed.

use super::{FnRef, Project};
use crate::frontend::SourceKind;
use crate::ir::{CallSite, FnName};
use std::path::Path;

/// How many `export ... from` hops a lookup follows through barrels.
const MAX_REEXPORTS: usize = 8;

impl Project {
    /// The function a call in `caller` (of unit `unit`) names, if it is the project's own.
    pub fn resolve(&self, unit: usize, caller: &FnName, site: &CallSite) -> Option<FnRef> {
        match self.units[unit].kind {
            SourceKind::Rust => self.resolve_rust(unit, caller, site),
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
                    let class = base_type(class);
                    return self
                        .method_in(unit, &class, method)
                        .or_else(|| {
                            self.imported(unit, &class, |u, there| self.method_in(u, there, method))
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
        let (_, spec, there) = imports.names.iter().find(|(l, ..)| l == local)?;
        let target = self.module_file(unit, spec)?;
        let there = match there.as_str() {
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
        if let Some(f) = self.top_level(unit, name) {
            return Some(f);
        }
        if hops >= MAX_REEXPORTS {
            return None;
        }
        let imports = &self.units[unit].ir.imports;
        imports
            .reexports
            .iter()
            .find_map(|(exported, spec, there)| {
                let target = self.module_file(unit, spec)?;
                match exported.as_str() {
                    "*" => self.exported(target, name, hops + 1),
                    e if e == name => self.exported(target, there, hops + 1),
                    _ => None,
                }
            })
    }

    /// The unit a relative specifier (`./orders`, `../db/index.js`) names.
    fn module_file(&self, unit: usize, spec: &str) -> Option<usize> {
        if !spec.starts_with('.') {
            return None;
        }
        let dir = self.units[unit].path.parent().unwrap_or(Path::new(""));
        let base = dir.join(spec);
        let stem = base.with_extension("");
        let exts = ["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];
        // `./orders.js` in TypeScript sources names `./orders.ts`.
        let candidates = std::iter::once(base.clone())
            .chain(exts.iter().map(|e| stem.with_extension(e)))
            .chain(exts.iter().map(|e| base.with_extension(e)))
            .chain(exts.iter().map(|e| base.join(format!("index.{e}"))));
        candidates.into_iter().find_map(|c| self.unit_at(&c))
    }

    fn top_level(&self, unit: usize, name: &str) -> Option<FnRef> {
        self.find_in(unit, |id| id.name == name && id.owner.is_none())
    }

    fn method_in(&self, unit: usize, owner: &str, method: &str) -> Option<FnRef> {
        self.find_in(unit, |id| {
            id.name == method && id.owner.as_deref().map(base_type).as_deref() == Some(owner)
        })
    }

    fn find_in(&self, unit: usize, want: impl Fn(&FnName) -> bool) -> Option<FnRef> {
        let functions = &self.units[unit].ir.functions;
        let f = functions
            .iter()
            .position(|f| f.id.as_ref().is_some_and(&want))?;
        Some((unit, f))
    }

    /// The one method of that name on a type of that name anywhere in the project.
    fn unique_method(&self, owner: &str, method: &str) -> Option<FnRef> {
        let candidates: Vec<FnRef> = self
            .by_name
            .get(method)?
            .iter()
            .copied()
            .filter(|&r| {
                self.function(r)
                    .id
                    .as_ref()
                    .and_then(|id| id.owner.as_deref())
                    .is_some_and(|o| base_type(o) == owner)
            })
            .collect();
        match candidates.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    fn resolve_rust(&self, unit: usize, caller: &FnName, site: &CallSite) -> Option<FnRef> {
        let path = &site.path;
        let (name, prefix) = path.split_last()?;
        let here = self.rust_module_of(unit, caller);
        // `self.f()`, `Self::f()`: a method of the caller's own type.
        if matches!(prefix, [s] if s == "self" || s == "Self") {
            let own = caller.owner.as_deref().map(base_type);
            if let Some(f) = own.and_then(|o| self.unique_method(&o, name)) {
                return Some(f);
            }
        }
        if let Some(ty) = &site.receiver_type {
            return self.unique_method(&base_type(ty), name);
        }
        // `Order::load(..)`: an associated function of a type.
        if let Some(ty) = prefix.last().filter(|t| t.starts_with(char::is_uppercase)) {
            let ty = if ty == "Self" {
                caller.owner.as_deref().map(base_type)?
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
            // Another crate of the workspace, or a child module of this one.
            Some(_) => {
                let child: Vec<String> = here.iter().chain(prefix).cloned().collect();
                if self.rust_free_fn(&child, name).is_some() {
                    child
                } else {
                    prefix.to_vec()
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
        self.by_name.get(name)?.iter().copied().find(|&(u, f)| {
            let id = self.function((u, f)).id.as_ref();
            id.is_some_and(|id| id.owner.is_none() && self.rust_module_of(u, id) == module)
        })
    }
}

/// The type's own name without references, wrappers and generics: `&Arc<OrderRepo>` ->
/// `OrderRepo`, `crate::repo::Repo<'a>` -> `Repo`, `web::Data<AppState>` -> `AppState`.
pub fn base_type(ty: &str) -> String {
    let mut t = ty
        .trim_start_matches('&')
        .trim_start_matches("mut")
        .trim_start_matches("dyn")
        .trim_start_matches("impl")
        .trim();
    const WRAPPERS: &[&str] = &["Arc<", "Rc<", "Box<", "Data<", "State<", "Extension<"];
    loop {
        let last = t.rsplit("::").next().unwrap_or(t);
        match WRAPPERS.iter().find(|w| last.starts_with(**w)) {
            Some(w) => {
                let inner = &last[w.len()..];
                t = inner.strip_suffix('>').unwrap_or(inner).trim();
            }
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
    use super::base_type;

    #[test]
    fn base_types_lose_references_wrappers_and_generics() {
        assert_eq!(base_type("&Arc<OrderRepo>"), "OrderRepo");
        assert_eq!(base_type("crate::repo::Repo<'a>"), "Repo");
        assert_eq!(base_type("web::Data<AppState>"), "AppState");
        assert_eq!(base_type("&mut PgPool"), "PgPool");
        assert_eq!(base_type("OrdersRepository"), "OrdersRepository");
    }
}
