//! Macro bodies: syn leaves them as tokens. Most macros (`format!`, `query!`, `json!` without
//! object syntax, tracing macros) take comma-separated expressions, so they are parsed as such
//! and calls inside them are still seen; the rest (`select!`) stay opaque.

use proc_macro2::TokenTree;
use syn::punctuated::Punctuated;
use syn::{Expr, Macro, Token};

/// Macros that never return: control leaves the function.
pub const DIVERGING: &[&str] = &["bail", "panic", "unreachable", "todo", "unimplemented"];

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
