//! Small readers over syn syntax: names, paths, types and patterns as plain strings.

use crate::models::{Language, Models};
use quote::ToTokens;
use std::collections::HashMap;
use syn::{Expr, Pat, Type, UseTree};

/// Calls that convert or borrow a value without changing what it is, so a chain reads
/// through them (`STATE.lock().unwrap().insert(..)`, `state.pool.clone()`).
pub const TRANSPARENT: &[&str] = &[
    "unwrap",
    "expect",
    "as_ref",
    "as_mut",
    "as_deref",
    "as_deref_mut",
    "clone",
    "to_owned",
    "borrow",
    "borrow_mut",
    "get_ref",
    "get_mut",
    "deref",
    "deref_mut",
];

/// Records what each `use` brings into scope, by the name it is known as.
pub fn use_tree(tree: &UseTree, prefix: &mut Vec<String>, out: &mut HashMap<String, Vec<String>>) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_tree(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) if n.ident == "self" => {
            if let Some(last) = prefix.last() {
                out.insert(last.clone(), prefix.clone());
            }
        }
        UseTree::Name(n) => {
            let mut full = prefix.clone();
            full.push(n.ident.to_string());
            out.insert(n.ident.to_string(), full);
        }
        UseTree::Rename(r) => {
            let mut full = prefix.clone();
            full.push(r.ident.to_string());
            out.insert(r.rename.to_string(), full);
        }
        UseTree::Group(g) => {
            for t in &g.items {
                use_tree(t, prefix, out);
            }
        }
        UseTree::Glob(_) => {}
    }
}

/// A type as compact text: `Arc<DashMap<String,Instant>>`.
pub fn type_text(ty: &Type) -> String {
    tokens_text(ty)
}

/// Tokens as compact text, without the spaces `quote` puts between them.
pub fn tokens_text(t: &impl ToTokens) -> String {
    let mut s = t.to_token_stream().to_string();
    s.retain(|c| c != ' ');
    s
}

/// The name an expression refers to through borrows, derefs and conversions: `&mut *tx` ->
/// `tx`, `&state.pool` -> `state.pool`, `sqlx::query` -> `sqlx::query`.
pub fn name_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Reference(r) => name_of(&r.expr),
        Expr::Paren(p) => name_of(&p.expr),
        Expr::Group(g) => name_of(&g.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => name_of(&u.expr),
        Expr::Path(p) => Some(path_text(&p.path)),
        Expr::Field(f) => {
            let member = match &f.member {
                syn::Member::Named(i) => i.to_string(),
                syn::Member::Unnamed(i) => i.index.to_string(),
            };
            Some(format!("{}.{member}", name_of(&f.base)?))
        }
        Expr::MethodCall(m) if TRANSPARENT.contains(&m.method.to_string().as_str()) => {
            name_of(&m.receiver)
        }
        _ => None,
    }
}

/// `Err(..)`, or `Err(..).into()`-like conversions of it: a value that reports failure.
pub fn is_err(expr: &Expr) -> bool {
    match expr {
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Err"))
        }
        Expr::MethodCall(m) => is_err(&m.receiver),
        Expr::Paren(p) => is_err(&p.expr),
        _ => false,
    }
}

pub fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Every name a pattern binds.
pub fn pat_names(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(i) => {
            out.push(i.ident.to_string());
            if let Some((_, sub)) = &i.subpat {
                pat_names(sub, out);
            }
        }
        Pat::Type(t) => pat_names(&t.pat, out),
        Pat::Reference(r) => pat_names(&r.pat, out),
        Pat::Paren(p) => pat_names(&p.pat, out),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| pat_names(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pat_names(p, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| pat_names(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pat_names(&f.pat, out)),
        Pat::Or(o) => o.cases.iter().for_each(|p| pat_names(p, out)),
        _ => {}
    }
}

/// The single name a pattern binds as a whole (`tx`, `mut tx`, `tx: Transaction<..>`).
pub fn pat_ident(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(i) if i.subpat.is_none() => Some(i.ident.to_string()),
        Pat::Type(t) => pat_ident(&t.pat),
        _ => None,
    }
}

/// The pattern of what a `Some(..)` or `Ok(..)` holds, through references, parentheses and
/// type ascriptions; the pattern itself otherwise.
pub fn held(pat: &Pat) -> &Pat {
    match pat {
        Pat::TupleStruct(t)
            if t.elems.len() == 1
                && t.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Some" || s.ident == "Ok") =>
        {
            held(&t.elems[0])
        }
        Pat::Reference(r) => held(&r.pat),
        Pat::Paren(p) => held(&p.pat),
        Pat::Type(t) => held(&t.pat),
        other => other,
    }
}

/// The declared type of a pattern (`tx: Transaction<'_, Postgres>`).
pub fn pat_type(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Type(t) => Some(type_text(&t.ty)),
        _ => None,
    }
}

/// The variant a pattern matches, when it names one: `Some(x)` -> `Some`, `None` -> `None`,
/// `Err(_)` -> `Err`, `Entry::Vacant(e)` -> `Vacant`.
pub fn pat_variant(pat: &Pat) -> Option<String> {
    match pat {
        Pat::TupleStruct(t) => t.path.segments.last().map(|s| s.ident.to_string()),
        Pat::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Pat::Ident(i) if i.ident == "None" => Some("None".into()),
        Pat::Struct(s) => s.path.segments.last().map(|s| s.ident.to_string()),
        Pat::Reference(r) => pat_variant(&r.pat),
        Pat::Paren(p) => pat_variant(&p.pat),
        _ => None,
    }
}

/// A pattern every value matches: `_`, or a binding (`other`) that names no constant.
pub fn irrefutable(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) => true,
        Pat::Ident(i) => {
            i.subpat.is_none() && !i.ident.to_string().starts_with(|c: char| c.is_uppercase())
        }
        Pat::Reference(r) => irrefutable(&r.pat),
        Pat::Paren(p) => irrefutable(&p.pat),
        _ => false,
    }
}

/// The module of an ORM entity type, which names its table: `order::ActiveModel` -> `order`.
pub fn entity_module<'t>(ty: &'t str, models: &Models) -> Option<&'t str> {
    let (module, last) = ty.rsplit_once("::")?;
    models
        .is_entity_type(Language::Rust, last)
        .then(|| module.rsplit("::").next().unwrap_or(module))
}
