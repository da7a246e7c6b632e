//! Tables declared in Rust: SeaORM entities, sea-orm-migration (sea-query) builders, and
//! Diesel `table!` schemas.

mod builder;
mod diesel;
mod entity;
mod iden;

use super::Table;
use crate::frontend::MAX_SYNTAX_DEPTH;
use std::path::Path;
use syn::visit::{self, Visit};

/// Text every file this module reads contains: other files cost only their read.
const MARKERS: &[&str] = &[
    "sea_orm",
    "sea_query",
    "table!",
    "Table::create",
    "Table::alter",
    "Table::drop",
    "Table::rename",
    "Index::create",
    "Index::drop",
];

/// The tables the `.rs` files declare, given in path order: entities and Diesel schemas as
/// they are, then the migration builders applied one after another, with the identifier
/// enums of every file known (a migration often names enums declared in another).
pub fn tables<'a>(files: impl IntoIterator<Item = &'a Path> + Send) -> Vec<Table> {
    // On a thread of its own with the scan's stack, deep syntax cannot overflow the caller's
    // (nor are the caller's spans freed with the files').
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .stack_size(crate::PARSE_STACK_SIZE)
            .spawn_scoped(scope, || {
                let sources = files.into_iter().filter_map(|f| Some((f, super::read(f)?)));
                // Only what the scan parses: the stack is sized for that.
                read(sources.filter(|(_, text)| {
                    MARKERS.iter().any(|m| text.contains(m))
                        && text.len() as u64 <= crate::DEFAULT_MAX_FILE_SIZE
                        && !crate::looks_minified(text)
                }))
            });
        reader.ok().and_then(|r| r.join().ok()).unwrap_or_default()
    })
}

/// [`tables`] of files already read.
fn read<'a>(sources: impl IntoIterator<Item = (&'a Path, String)>) -> Vec<Table> {
    let mut found = Found::default();
    for (file, text) in sources {
        if let Some(syntax) = parse(&text) {
            let mut reader = Reader {
                file,
                modules: Vec::new(),
                depth: 0,
                found: &mut found,
            };
            reader.visit_file(&syntax);
        }
        // Spans keep every parsed file's text; the lines are taken, so free them.
        proc_macro2::extra::invalidate_current_thread_spans();
    }
    let mut built = Vec::new();
    for step in &found.steps {
        step.apply(&mut built, &found.idens);
    }
    found.tables.append(&mut built);
    found.tables
}

/// A file's syntax, unless it nests too deep to parse safely or does not parse.
fn parse(text: &str) -> Option<syn::File> {
    if crate::frontend::rust::too_deep(text).is_some() {
        return None;
    }
    syn::parse_file(text).ok()
}

#[derive(Default)]
struct Found {
    tables: Vec<Table>,
    idens: iden::Idens,
    steps: Vec<builder::Step>,
}

/// One file's walk: items anywhere (inline modules, function bodies) and builder chains in any
/// expression, no deeper than the front-end lowers so generated code cannot overflow the stack.
struct Reader<'a> {
    file: &'a Path,
    /// The inline modules around the current item.
    modules: Vec<String>,
    depth: usize,
    found: &'a mut Found,
}

impl Reader<'_> {
    /// The module an item is declared in: the innermost inline one, else the file's own
    /// (`entities/order.rs` -> `order`), unless the file only gathers modules.
    fn module(&self) -> Option<String> {
        if let Some(inline) = self.modules.last() {
            return Some(inline.clone());
        }
        let stem = self.file.file_stem()?.to_str()?;
        (!matches!(stem, "mod" | "lib" | "main")).then(|| stem.to_string())
    }
}

impl<'ast> Visit<'ast> for Reader<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        self.depth += 1;
        if self.depth <= MAX_SYNTAX_DEPTH {
            visit::visit_item(self, item);
        }
        self.depth -= 1;
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if is_test(&item.attrs) {
            return;
        }
        self.modules.push(item.ident.to_string());
        visit::visit_item_mod(self, item);
        self.modules.pop();
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test(&item.attrs) {
            visit::visit_item_fn(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        // A migration's `down` undoes it: the schema in force is the one `up` leads to.
        if item.sig.ident != "down" {
            visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
        let module = self.module();
        self.found
            .tables
            .extend(entity::table(self.file, module.as_deref(), item));
        self.found.idens.add_struct(item);
    }

    fn visit_item_enum(&mut self, item: &'ast syn::ItemEnum) {
        self.found.idens.add_enum(item);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.found.tables.extend(diesel::tables(self.file, mac));
    }

    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        if let Some(steps) = builder::steps(self.file, expr) {
            self.found.steps.extend(steps);
            return;
        }
        self.depth += 1;
        if self.depth <= MAX_SYNTAX_DEPTH {
            let mut link = expr;
            // Along a chain of calls rather than down it, however long it is: each call's
            // arguments, then what it starts from.
            while let syn::Expr::MethodCall(call) = link {
                call.args.iter().for_each(|arg| self.visit_expr(arg));
                link = &call.receiver;
            }
            if std::ptr::eq(link, expr) {
                visit::visit_expr(self, expr);
            } else {
                self.visit_expr(link);
            }
        }
        self.depth -= 1;
    }
}

/// Tests (`#[cfg(test)]` modules, `#[test]` or `#[tokio::test]` functions) build tables of
/// their own, not the project's.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let cfg_test = a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string() == "test");
        cfg_test || a.path().segments.last().is_some_and(|s| s.ident == "test")
    })
}

/// Where a token starts, as a 1-based line.
fn line(span: proc_macro2::Span) -> u32 {
    u32::try_from(span.start().line).unwrap_or(0).max(1)
}

/// What `dump-schema` prints for some files, for the tests.
#[cfg(test)]
fn dump(sources: &[(&str, &str)]) -> String {
    let sources = sources.iter().map(|(f, t)| (Path::new(f), t.to_string()));
    super::Schema::new(read(sources)).dump()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn files_without_markers_or_that_do_not_parse_are_passed_over() {
        let entity = "#[derive(DeriveEntityModel)] #[sea_orm(table_name = \"t\")] struct Model { #[sea_orm(primary_key)] id: i32 }";
        // Without `sea_orm` in the text the file is never parsed.
        let unmarked = entity.replace("sea_orm", "other");
        assert_eq!(dump(&[("a.rs", &unmarked)]), "");
        let broken = format!("{entity} fn (");
        assert_eq!(dump(&[("a.rs", &broken)]), "");
        let deep = format!(
            "// sea_orm\nfn f() {{ {}1{} }}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        assert_eq!(dump(&[("a.rs", &deep)]), "");
        let long = format!("// sea_orm\nfn f() {{ x{} }}", ".f()".repeat(5000));
        assert_eq!(dump(&[("a.rs", &long)]), "");
    }

    #[test]
    fn files_the_scan_would_skip_are_not_parsed() {
        let dir = tempfile::tempdir().unwrap();
        let entity = "#[derive(DeriveEntityModel)]\n#[sea_orm(table_name = \"t\")]\nstruct Model {\n#[sea_orm(primary_key)]\nid: i32 }\n";
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let files = [
            write("entity.rs", entity),
            // Over the size limit, and one long line of deeply nested syntax.
            write("big.rs", &format!("{entity}{}", "//\n".repeat(1 << 20))),
            write(
                "minified.rs",
                &format!("{entity}const X: bool = {}true;", "!".repeat(1 << 20)),
            ),
        ];
        let found = tables(files.iter().map(PathBuf::as_path));
        let names: Vec<_> = found.iter().map(|t| t.model.as_str()).collect();
        assert_eq!(names, ["entity"]);
    }

    #[test]
    fn a_migration_names_identifiers_another_file_declares_and_tests_change_nothing() {
        let migration = r#"use sea_orm_migration::prelude::*;
fn up() { Table::create().table(Orders::Table).col(ColumnDef::new(Orders::Key).string().unique_key()); }"#;
        let idens = r#"#[derive(DeriveIden)]
#[sea_orm(iden = "purchase_orders")]
enum Orders { Table, #[sea_orm(iden = "idem_key")] Key }"#;
        let tests = r#"use sea_orm_migration::prelude::*;
#[cfg(test)]
mod tests { fn f() { Table::create().table(Scratch::Table); } }
#[tokio::test]
async fn t() { Table::drop().table(Orders::Table); }"#;
        assert_eq!(
            dump(&[("m/m1.rs", migration), ("m/tests.rs", tests), ("m/z.rs", idens)]),
            "table purchase_orders (model purchase_orders) m/m1.rs:2\n  unique (idem_key) m/m1.rs:2\n"
        );
    }
}
