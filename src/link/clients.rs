//! Library clients made in the project's own modules (`export const db = drizzle(pool)` in
//! `@/lib/db`): a file that imports one calls that library, though it never imports the
//! library's package itself, so its calls are classified again with that library first.

use super::resolve::MAX_REEXPORTS;
use super::{Project, Unit};
use crate::frontend::Grammar;
use crate::ir::FileIr;
use crate::models::{Language, Models};
use rayon::prelude::*;

impl Project {
    /// Lowers again (`relower`, given the import specifiers to add) each TS/JS unit whose calls
    /// on an imported client were classified as another library's. The new IR replaces the
    /// old where it has the same functions, which the project's indexes point at.
    pub fn reclassify_clients(
        &mut self,
        models: &Models,
        relower: &(dyn Fn(&Unit, &[String]) -> Option<FileIr> + Sync),
    ) {
        let hinted = self.client_libraries(models);
        if hinted.is_empty() {
            return;
        }
        let lowered: Vec<(usize, FileIr)> = hinted
            .par_iter()
            .filter_map(|(u, libraries)| Some((*u, relower(&self.units[*u], libraries)?)))
            .collect();
        for (u, ir) in lowered {
            let old = &self.units[u].ir.functions;
            let same = old.len() == ir.functions.len()
                && old.iter().zip(&ir.functions).all(|(a, b)| a.id == b.id);
            if same {
                self.units[u].ir = ir;
            }
        }
        self.guarded = self.guarded_callbacks();
    }

    /// For each TS/JS unit whose calls on an imported client were classified as another
    /// library's: the import specifiers of the clients' libraries, to lower it again with.
    fn client_libraries(&self, models: &Models) -> Vec<(usize, Vec<String>)> {
        let mut out = Vec::new();
        for (u, unit) in self.units.iter().enumerate() {
            if unit.kind == Grammar::Rust {
                continue;
            }
            let mut libraries: Vec<String> = Vec::new();
            for name in &unit.ir.imports.names {
                let Some(target) = self.module_file(u, &name.module) else {
                    continue;
                };
                let Some(library) = self.client_library(target, &name.there, false, models, 0)
                else {
                    continue;
                };
                let misread = unit.ir.functions.iter().flat_map(|f| &f.effects).any(|e| {
                    !e.library.is_empty()
                        && e.library != library
                        && e.callee.split('.').next() == Some(name.here.as_str())
                });
                let spec = models.import_of(Language::Typescript, library);
                if let (true, Some(spec)) = (misread, spec) {
                    if !libraries.contains(spec) {
                        libraries.push(spec.clone());
                    }
                }
            }
            if !libraries.is_empty() {
                out.push((u, libraries));
            }
        }
        out
    }

    /// The library whose client the unit exports as `name`: made there by calling a name
    /// imported from the library, or imported or re-exported from a module that makes one.
    /// `factory`: `name` is what made a client, so the library's barrel re-exporting
    /// everything (`export * from 'drizzle-orm'`) is where it comes from.
    fn client_library<'m>(
        &self,
        unit: usize,
        name: &str,
        factory: bool,
        models: &'m Models,
        hops: usize,
    ) -> Option<&'m str> {
        if hops > MAX_REEXPORTS {
            return None;
        }
        let ir = &self.units[unit].ir;
        let (name, made) = match ir.made_by_import.iter().find(|(v, _)| v == name) {
            Some((_, made_by)) => (made_by.as_str(), true),
            None => (name, factory),
        };
        // The name comes from an import of this module, or through a re-export.
        let imported = ir.imports.names.iter().filter(|n| n.here == name);
        let reexported = ir
            .imports
            .reexports
            .iter()
            .filter(|r| r.here == name || r.here == "*");
        for n in imported.chain(reexported) {
            if let Some(library) = models.library_of_import(Language::Typescript, &n.module) {
                // A client made by the library's own function, or the library's export.
                if made || n.here != "*" {
                    return Some(library);
                }
                continue;
            }
            let there = if n.here == "*" { name } else { &n.there };
            let found = self
                .module_file(unit, &n.module)
                .and_then(|t| self.client_library(t, there, made, models, hops + 1));
            if found.is_some() {
                return found;
            }
        }
        // `export * from 'drizzle-orm/mysql2'` in a barrel that `drizzle` came through.
        ir.imports
            .reexports
            .iter()
            .filter(|r| made && r.here == "*")
            .find_map(|r| models.library_of_import(Language::Typescript, &r.module))
    }
}
