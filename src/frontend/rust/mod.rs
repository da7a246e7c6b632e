//! Rust front-end: syn syntax to the effect IR. Every `fn`, `impl` method and trait default
//! method is a function; closures and `async` blocks are lowered where they are written.

mod chain;
mod columns;
mod combinators;
mod cond;
mod lower;
mod macros;
mod records;
mod rows;
mod syntax;

use super::LineIndex;
use crate::budget::Deadline;
use crate::ir::{FieldType, FileIr, FileNote, FnName, Span};
use crate::models::{FileModels, Language, Models};
use std::collections::HashMap;

pub(crate) struct FileCtx<'a> {
    pub lines: LineIndex<'a>,
    pub models: &'a Models,
    /// Crates the file uses (`sqlx`, `diesel`): their models are tried first.
    pub crates: Vec<String>,
    /// The libraries in the order the file's calls are classified against them, with what
    /// they say of locks.
    pub libraries: FileModels<'a>,
    /// Functions are no longer lowered once it has passed.
    pub deadline: Deadline,
    /// `use` imports: the name in scope -> its full path (`query` -> `sqlx::query`).
    pub uses: HashMap<String, Vec<String>>,
    /// Declared types of struct fields and statics, by name (`sessions` -> `DashMap<..>`).
    pub types: HashMap<String, String>,
    /// Struct fields with their types: (struct, field, type).
    pub fields: Vec<FieldType>,
    /// Constants that evaluate to a number (`const TTL_SECS: u64 = 30 * 60`), as digits.
    pub constants: HashMap<String, String>,
}

impl FileCtx<'_> {
    pub fn span(&self, span: proc_macro2::Span) -> Span {
        let range = span.byte_range();
        self.lines.span(range.start, range.end)
    }
}

pub fn lower_file(text: &str, models: &Models, deadline: Deadline) -> FileIr {
    let ir = parse_and_lower(text, models, deadline);
    // proc-macro2 keeps every parsed file's text for span lookups; this file's spans are no
    // longer needed, so free them rather than grow with every file the thread scans.
    proc_macro2::extra::invalidate_current_thread_spans();
    ir
}

/// Parses and drops the tree (the benchmark's parse-only floor).
pub fn parse_only(text: &str) {
    if too_deep(text).is_none() {
        let _ = syn::parse_file(text);
    }
    proc_macro2::extra::invalidate_current_thread_spans();
}

/// syn parses recursively; deeper nesting of brackets or prefix operators than this is refused
/// before parsing so hostile input cannot overflow the stack. Real code stays far below it.
const MAX_BRACKET_NESTING: usize = 2000;

fn parse_and_lower(text: &str, models: &Models, deadline: Deadline) -> FileIr {
    let lines = LineIndex::new(text);
    if let Some(at) = too_deep(text) {
        return FileIr {
            notes: vec![FileNote {
                span: Some(lines.span(at, at)),
                message: format!(
                    "expressions nested deeper than {MAX_BRACKET_NESTING} levels; file skipped"
                ),
            }],
            ..FileIr::default()
        };
    }
    let file = match syn::parse_file(text) {
        Ok(file) => file,
        Err(e) => {
            let range = e.span().byte_range();
            return FileIr {
                notes: vec![FileNote {
                    span: Some(lines.span(range.start, range.end)),
                    message: format!("cannot parse: {e}; file skipped"),
                }],
                ..FileIr::default()
            };
        }
    };
    let mut ctx = FileCtx {
        lines,
        models,
        crates: Vec::new(),
        libraries: FileModels::default(),
        deadline,
        uses: HashMap::new(),
        types: HashMap::new(),
        fields: Vec::new(),
        constants: HashMap::new(),
    };
    collect_context(&file.items, &mut ctx);
    ctx.libraries = models.for_file(Language::Rust, &ctx.crates);
    let mut out = FileIr::default();
    items(&ctx, &file.items, &mut Vec::new(), &mut out);
    out.fields = std::mem::take(&mut ctx.fields);
    macros::diverging_definitions(&file.items, &mut out.diverging_macros);
    out.imports.names = ctx
        .uses
        .iter()
        .filter_map(|(local, path)| {
            let (last, module) = path.split_last()?;
            Some(crate::ir::ImportedName::new(local, module.join("::"), last))
        })
        .collect();
    out.imports.names.sort();
    out
}

fn collect_context(items: &[syn::Item], ctx: &mut FileCtx) {
    for item in items {
        match item {
            syn::Item::Use(u) => {
                let mut prefix = Vec::new();
                syntax::use_tree(&u.tree, &mut prefix, &mut ctx.uses);
                if let syn::UseTree::Path(p) = &u.tree {
                    ctx.crates.push(p.ident.to_string());
                }
            }
            syn::Item::Struct(s) => {
                for f in &s.fields {
                    if let Some(name) = &f.ident {
                        ctx.fields.push(FieldType {
                            owner: s.ident.to_string(),
                            field: name.to_string(),
                            ty: syntax::type_text(&f.ty),
                        });
                        ctx.types.insert(name.to_string(), syntax::type_text(&f.ty));
                    }
                }
            }
            syn::Item::Const(c) => {
                if let Some(n) = crate::models::evaluate(&syntax::tokens_text(&c.expr)) {
                    ctx.constants.insert(c.ident.to_string(), n.to_string());
                }
            }
            syn::Item::Static(s) => {
                ctx.types
                    .insert(s.ident.to_string(), syntax::type_text(&s.ty));
            }
            // `fn seen() -> &'static Mutex<HashSet<String>>`: a call of it is that value.
            syn::Item::Fn(f) => {
                if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                    ctx.types
                        .insert(f.sig.ident.to_string(), syntax::type_text(ty));
                }
            }
            syn::Item::Macro(m) => {
                // `lazy_static! { static ref SEEN: Mutex<HashMap<..>> = ..; }`
                for (name, ty) in macros::lazy_statics(&m.mac) {
                    ctx.types.insert(name, ty);
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_context(inner, ctx);
                }
            }
            _ => {}
        }
    }
}

/// Lowers the functions of `list`, inside the inline modules `modules`.
fn items(ctx: &FileCtx, list: &[syn::Item], modules: &mut Vec<String>, out: &mut FileIr) {
    for item in list {
        match item {
            syn::Item::Fn(f) if is_test(&f.attrs) => {}
            syn::Item::Fn(f) => function(ctx, None, modules, &f.sig, &f.block, out),
            syn::Item::Impl(i) => {
                let ty = syntax::type_text(&i.self_ty);
                let implements = i
                    .trait_
                    .as_ref()
                    .map(|(_, path, _)| syntax::path_text(path));
                for it in &i.items {
                    if let syn::ImplItem::Fn(f) = it {
                        function(ctx, Some(&ty), modules, &f.sig, &f.block, out);
                        if let Some(last) = out.functions.last_mut().and_then(|f| f.id.as_mut()) {
                            last.implements = implements.clone();
                        }
                    }
                }
            }
            syn::Item::Trait(t) => {
                let owner = t.ident.to_string();
                for it in &t.items {
                    if let syn::TraitItem::Fn(f) = it {
                        if let Some(block) = &f.default {
                            function(ctx, Some(&owner), modules, &f.sig, block, out);
                        }
                    }
                }
            }
            syn::Item::Mod(m) if is_test(&m.attrs) => {}
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    modules.push(m.ident.to_string());
                    items(ctx, inner, modules, out);
                    modules.pop();
                }
            }
            _ => {}
        }
    }
}

/// Test code (`#[cfg(test)] mod tests`, `#[test]`, `#[tokio::test]`) is left out, as test
/// directories are: its races are not production's.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        path.segments.last().is_some_and(|s| s.ident == "test")
            || (path.is_ident("cfg") && {
                let cfg = syntax::tokens_text(&a.meta);
                cfg.contains("test") && !cfg.contains("not")
            })
    })
}

fn function(
    ctx: &FileCtx,
    owner: Option<&str>,
    modules: &[String],
    sig: &syn::Signature,
    block: &syn::Block,
    out: &mut FileIr,
) {
    if ctx.deadline.passed() {
        return;
    }
    let id = FnName {
        name: sig.ident.to_string(),
        owner: owner.map(String::from),
        modules: modules.to_vec(),
        implements: None,
    };
    out.functions
        .push(lower::lower_function(ctx, id, sig, block));
}

/// Where bracket nesting, or a run of prefix operators, first exceeds [`MAX_BRACKET_NESTING`],
/// skipping strings, character literals and comments well enough for a bound.
pub(crate) fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    // Prefix operators in a row, whitespace between them included.
    let mut operators = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKET_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            // Prefix operators nest like brackets (`!!!!x` is four expressions deep).
            b'!' | b'-' | b'*' | b'&' => {
                operators += 1;
                if depth + operators > MAX_BRACKET_NESTING {
                    return Some(i);
                }
            }
            _ => {}
        }
        // Anything else between them ends the run (the skips above may end past the text).
        if bytes
            .get(i)
            .is_some_and(|b| !b.is_ascii_whitespace() && !b"!-*&".contains(b))
        {
            operators = 0;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_nesting_is_refused_before_parsing() {
        let deep = format!(
            "fn a() {{ {}1{} }}",
            "(".repeat(300_000),
            ")".repeat(300_000)
        );
        let ir = lower_file(&deep, &Models::builtin(), Deadline::NONE);
        assert!(
            ir.notes[0].message.contains("nested deeper"),
            "{:?}",
            ir.notes
        );
        let fine = "fn a() { let s = \"((((\"; let c = '('; // ((((\n }";
        assert!(too_deep(fine).is_none());
        // A run of prefix operators, one a line, nests as deep.
        let negations = format!("fn a() {{ let x = {}y; }}", "!\n".repeat(900_000));
        assert!(too_deep(&negations).is_some());
        let real = "fn a() { let x = !*&mut -y && !!z; }";
        assert!(too_deep(real).is_none());
    }

    #[test]
    fn nested_macro_bodies_are_lowered_within_the_depth_bound() {
        let macros = format!(
            "fn a() {{ {}x(){} }}",
            "m!{ let y = 1; ".repeat(1990),
            " }".repeat(1990)
        );
        assert!(lower_file(&macros, &Models::builtin(), Deadline::NONE)
            .notes
            .is_empty());
    }
}
