//! Macro bodies: syn leaves them as tokens. Most macros (`format!`, `query!`, `json!` without
//! object syntax, tracing macros) take comma-separated expressions; others wrap statements or
//! backend-specific blocks (`db_run! { conn: { .. } }`). Their content is parsed as far as it
//! goes, so calls inside are still seen; the rest (`select!`, `html!`) stay opaque.

use proc_macro2::TokenTree;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Expr, Macro, Stmt, Token};

/// What a macro's tokens parse as, tried in this order.
pub enum Body {
    /// `format!(..)`, `transaction!(conn, { .. })`: expressions evaluated in turn.
    Exprs(Vec<Expr>),
    /// `run! { let row = ..; insert(row) }`: statements.
    Stmts(Vec<Stmt>),
    /// `db_run! { conn: sqlite, mysql { .. } postgresql { .. } }`: blocks of which one runs.
    Arms(Vec<syn::Block>),
}

/// The macro's content, or nothing when it is no Rust expression or statement.
pub fn body(mac: &Macro) -> Option<Body> {
    if let Some(args) = args(mac) {
        return Some(Body::Exprs(args));
    }
    if let Ok(stmts) = mac.parse_body_with(syn::Block::parse_within) {
        return Some(Body::Stmts(stmts));
    }
    mac.parse_body_with(arms).ok().map(Body::Arms)
}

/// `conn: { .. }` or `conn: sqlite, mysql { .. } postgresql { .. }` (vaultwarden's `db_run!`):
/// an optional `name:` (the connection the blocks use), then blocks, each after the names of
/// the backends it is compiled for.
fn arms(input: ParseStream) -> syn::Result<Vec<syn::Block>> {
    if input.peek(syn::Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
        input.parse::<syn::Ident>()?;
        input.parse::<Token![:]>()?;
    }
    let mut out = Vec::new();
    while !input.is_empty() {
        while input.peek(syn::Ident) {
            input.parse::<syn::Ident>()?;
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            }
        }
        out.push(input.parse()?);
    }
    if out.is_empty() {
        return Err(input.error("no block"));
    }
    Ok(out)
}

/// Macros that never return: control leaves the function.
pub const DIVERGING: &[&str] = &["bail", "panic", "unreachable", "todo", "unimplemented"];

/// Macros of the standard library and logging crates, which no project defines: their uses
/// need no [`crate::ir::Node::Macro`] for linking to resolve.
const KNOWN: &[&str] = &[
    "anyhow",
    "assert",
    "assert_eq",
    "assert_ne",
    "concat",
    "dbg",
    "debug",
    "debug_assert",
    "env",
    "eprint",
    "eprintln",
    "error",
    "format",
    "format_args",
    "include_str",
    "info",
    "json",
    "matches",
    "print",
    "println",
    "stringify",
    "trace",
    "vec",
    "warn",
    "write",
    "writeln",
];

/// Whether a use of the macro may stand for a project macro that returns.
pub fn may_be_projects(name: &str) -> bool {
    !KNOWN.contains(&name) && !DIVERGING.contains(&name) && name != "ensure"
}

/// The `macro_rules!` the items define (inline modules included) that return from the
/// function using them in every arm: vaultwarden's `err!` logs, then `return Err(..)`.
pub fn diverging_definitions(items: &[syn::Item], out: &mut Vec<String>) {
    for item in items {
        match item {
            syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                if let (Some(name), true) = (&m.ident, every_arm_returns(&m.mac.tokens)) {
                    out.push(name.to_string());
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    diverging_definitions(inner, out);
                }
            }
            _ => {}
        }
    }
}

/// `(matcher) => { body };` repeated: each body holds a `return` or a diverging macro call.
fn every_arm_returns(tokens: &proc_macro2::TokenStream) -> bool {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut bodies = trees.windows(3).filter_map(|w| match w {
        [TokenTree::Punct(eq), TokenTree::Punct(gt), TokenTree::Group(body)]
            if eq.as_char() == '=' && gt.as_char() == '>' =>
        {
            Some(body.stream())
        }
        _ => None,
    });
    let mut any = false;
    bodies.all(|b| {
        any = true;
        returns(b)
    }) && any
}

fn returns(body: proc_macro2::TokenStream) -> bool {
    let trees: Vec<TokenTree> = body.into_iter().collect();
    trees.iter().enumerate().any(|(i, t)| match t {
        TokenTree::Ident(id) if id == "return" => true,
        TokenTree::Ident(id) if DIVERGING.iter().any(|d| id == d) => {
            matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!')
        }
        TokenTree::Group(g) => returns(g.stream()),
        _ => false,
    })
}

/// The macro's arguments when its body is a list of expressions.
pub fn args(mac: &Macro) -> Option<Vec<Expr>> {
    mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        .ok()
        .map(|p| p.into_iter().collect())
}

/// A `format!` string with its `{..}` placeholders replaced by SQL-neutral holes, so
/// `format!("SELECT * FROM {} WHERE id = $1", table)` still classifies.
pub fn format_template(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut hole = 0;
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
                out.push_str(&format!("{}{hole}", crate::models::sql::HOLE_PREFIX));
                hole += 1;
            }
            c => out.push(c),
        }
    }
    out
}

/// The locals a format string names inline: `"{id}-{nonce:016x}"` -> `id`, `nonce`.
pub fn captured_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if rest.starts_with('{') {
            rest = &rest[1..];
            continue;
        }
        let end = rest.find('}').unwrap_or(rest.len());
        let name = rest[..end].split(':').next().unwrap_or("").trim();
        if name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            out.push(name.to_string());
        }
        rest = &rest[end..];
    }
    out
}

/// `lazy_static! { static ref SEEN: Mutex<HashSet<String>> = ..; }`: names and types.
pub fn lazy_statics(mac: &Macro) -> Vec<(String, String)> {
    let tokens: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 < tokens.len() {
        let is = |t: &TokenTree, word: &str| matches!(t, TokenTree::Ident(id) if id == word);
        if is(&tokens[i], "static") && is(&tokens[i + 1], "ref") {
            if let TokenTree::Ident(name) = &tokens[i + 2] {
                let ty: String = tokens[i + 4..]
                    .iter()
                    .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == '='))
                    .map(ToString::to_string)
                    .collect();
                out.push((name.to_string(), ty));
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_placeholders_become_holes() {
        assert_eq!(
            format_template("SELECT * FROM {} WHERE id = {id:?} {{x}}"),
            "SELECT * FROM __hole0 WHERE id = __hole1 {x}"
        );
    }

    #[test]
    fn inline_format_captures_are_named() {
        assert_eq!(
            captured_names("sub-{id}-{nonce:016x}-{}-{{lit}}-{0}"),
            ["id", "nonce"]
        );
    }

    fn parsed(mac: Macro) -> &'static str {
        match body(&mac) {
            Some(Body::Exprs(_)) => "exprs",
            Some(Body::Stmts(_)) => "stmts",
            Some(Body::Arms(a)) if a.len() == 1 => "one arm",
            Some(Body::Arms(_)) => "arms",
            None => "opaque",
        }
    }

    #[test]
    fn macro_bodies_parse_as_far_as_they_go() {
        assert_eq!(parsed(syn::parse_quote! { format!("{}", a.b()) }), "exprs");
        assert_eq!(
            parsed(syn::parse_quote! { run! { let x = f(); g(x) } }),
            "stmts"
        );
        assert_eq!(
            parsed(syn::parse_quote! { db_run! { conn: { t.first(conn) } } }),
            "one arm"
        );
        assert_eq!(
            parsed(
                syn::parse_quote! { db_run! { conn: sqlite, mysql { a(conn) } postgresql { b(conn) } } }
            ),
            "arms"
        );
        assert_eq!(
            parsed(syn::parse_quote! { select! { x = rx.recv() => {} } }),
            "opaque"
        );
        assert_eq!(
            parsed(syn::parse_quote! { html! { <div>{ x }</div> } }),
            "opaque"
        );
    }

    #[test]
    fn macros_returning_in_every_arm_diverge() {
        let file: syn::File = syn::parse_quote! {
            macro_rules! err {
                ($m:expr) => {{ error!("{}", $m); return Err(Error::new($m)); }};
                ($m:expr, $d:expr) => {{ return Err(Error::new($m).with($d)); }};
            }
            mod inner {
                macro_rules! fatal { ($m:expr) => { panic!("{}", $m) }; }
            }
            macro_rules! err_json {
                ($m:expr) => {{ return Err(Error::new($m)); }};
                (json $m:expr) => { Json($m) };
            }
            macro_rules! note { ($m:expr) => { info!("{}", $m) }; }
        };
        let mut out = Vec::new();
        diverging_definitions(&file.items, &mut out);
        assert_eq!(out, ["err", "fatal"]);
    }

    #[test]
    fn lazy_static_types_are_read() {
        let mac: Macro = syn::parse_quote! {
            lazy_static! { static ref SEEN: Mutex<HashMap<String, u64>> = Mutex::new(HashMap::new()); }
        };
        assert_eq!(
            lazy_statics(&mac),
            [("SEEN".to_string(), "Mutex<HashMap<String,u64>>".to_string())]
        );
    }
}
