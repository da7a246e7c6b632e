//! Diesel schemas: `table! { orders (id) { id -> Int4, .. } }` declares the primary key
//! (`(a, b)` a composite one, none written means `id`), and `#[sql_name = "x"]` the name in
//! the database of a table or column. `table!` says nothing of unique keys.

use crate::schema::{Key, KeyKind, Table};
use proc_macro2::{Delimiter, TokenTree};
use std::path::Path;

/// The tables a `table!` or `diesel::table!` invocation declares; none when its body is not
/// Diesel's grammar (some other crate's `table!`).
pub fn tables(file: &Path, mac: &syn::Macro) -> Vec<Table> {
    let path: Vec<_> = mac
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if path != ["table"] && path != ["diesel", "table"] {
        return Vec::new();
    }
    let tokens: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
    let mut tokens = tokens.iter().peekable();
    let mut tables = Vec::new();
    loop {
        let sql_name = attributes(&mut tokens);
        let Some(token) = tokens.next() else {
            return tables;
        };
        let TokenTree::Ident(mut ident) = token.clone() else {
            return Vec::new();
        };
        if ident == "use" {
            // `use diesel::sql_types::*;` brings the column types into scope.
            if !tokens.any(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';')) {
                return Vec::new();
            }
            continue;
        }
        // `schema.orders`: the table is `orders`.
        if matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '.') {
            tokens.next();
            let Some(TokenTree::Ident(name)) = tokens.next() else {
                return Vec::new();
            };
            ident = name.clone();
        }
        let mut primary = vec!["id".to_string()];
        if let Some(TokenTree::Group(g)) = tokens.peek() {
            if g.delimiter() == Delimiter::Parenthesis {
                primary = names(g.stream().into_iter().collect());
                tokens.next();
            }
        }
        let Some(TokenTree::Group(body)) = tokens.next() else {
            return Vec::new();
        };
        let columns = match columns(body) {
            Some(columns) if body.delimiter() == Delimiter::Brace => columns,
            _ => return Vec::new(),
        };
        if primary.is_empty() || !primary.iter().all(|p| columns.iter().any(|(c, _)| c == p)) {
            return Vec::new();
        }
        let line = super::line(ident.span());
        let mut table = Table::new(&ident.to_string(), file, line);
        if let Some(name) = sql_name {
            table.name = name;
        }
        table.columns = columns
            .into_iter()
            .filter_map(|(field, column)| Some((field, column?)))
            .collect();
        table
            .keys
            .push(Key::new(KeyKind::Primary, primary, file, line));
        tables.push(table);
    }
}

/// A column list's names: `(a, b)`; empty when it is anything else.
fn names(tokens: Vec<TokenTree>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(name) if i % 2 == 0 => out.push(name.to_string()),
            TokenTree::Punct(p) if i % 2 == 1 && p.as_char() == ',' => {}
            _ => return Vec::new(),
        }
    }
    out
}

/// `id -> Int4, #[sql_name = "type"] kind -> Text,`: each column with its database name when
/// it differs; None when the body is not a column list.
fn columns(body: &proc_macro2::Group) -> Option<Vec<(String, Option<String>)>> {
    let tokens: Vec<TokenTree> = body.stream().into_iter().collect();
    let mut tokens = tokens.iter().peekable();
    let mut columns = Vec::new();
    loop {
        let sql_name = attributes(&mut tokens);
        let Some(token) = tokens.next() else {
            return Some(columns);
        };
        let TokenTree::Ident(name) = token else {
            return None;
        };
        let arrow: String = tokens
            .by_ref()
            .take(2)
            .filter_map(|t| match t {
                TokenTree::Punct(p) => Some(p.as_char()),
                _ => None,
            })
            .collect();
        if arrow != "->" {
            return None;
        }
        // The type runs to the next comma (Diesel's types take a single parameter).
        tokens
            .by_ref()
            .find(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','));
        columns.push((name.to_string(), sql_name));
    }
}

/// Skips the attributes before a table or column (doc comments among them), returning the
/// value of a `#[sql_name = "x"]`.
fn attributes<'a>(
    tokens: &mut std::iter::Peekable<impl Iterator<Item = &'a TokenTree>>,
) -> Option<String> {
    let mut sql_name = None;
    while matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '#') {
        tokens.next();
        let Some(TokenTree::Group(g)) = tokens.next() else {
            return sql_name;
        };
        let inner: Vec<TokenTree> = g.stream().into_iter().collect();
        if let [TokenTree::Ident(key), TokenTree::Punct(eq), TokenTree::Literal(value)] =
            inner.as_slice()
        {
            if key == "sql_name" && eq.as_char() == '=' {
                let lit = syn::Lit::new(value.clone());
                sql_name = super::iden::string(&lit).or(sql_name);
            }
        }
    }
    sql_name
}

#[cfg(test)]
mod tests {
    use super::super::dump;

    #[test]
    fn diesel_tables_declare_primary_keys() {
        let schema = r#"// @generated automatically by Diesel CLI.
diesel::table! {
    use diesel::sql_types::*;
    use crate::schema::sql_types::Status;

    /// Orders placed.
    #[sql_name = "purchase_orders"]
    orders (tenant_id, id) {
        tenant_id -> Int4,
        id -> Int4,
        /// The state.
        #[sql_name = "type"]
        kind -> Nullable<Status>,
    }
}

table! {
    users {
        id -> Int8,
        email -> Varchar
    }
    audit.events (event_id) { event_id -> Uuid, }
}

diesel::joinable!(orders -> users (id));"#;
        assert_eq!(
            dump(&[("src/schema.rs", schema)]),
            "table purchase_orders (model orders) src/schema.rs:8
  primary key (tenant_id, id) src/schema.rs:8
  field kind is column type
table users (model users) src/schema.rs:18
  primary key (id) src/schema.rs:18
table events (model events) src/schema.rs:22
  primary key (event_id) src/schema.rs:22
"
        );
    }

    #[test]
    fn other_table_macros_declare_nothing() {
        let text = r#"// table!
fn f() {
    let t = table!([["a", "b"], ["c", "d"]]);
    let u = table! { header: ["a"] };
    // The key is not one of its columns, or no key is given and there is no `id`.
    table! { orders (key) { id -> Int4, } }
    table! { carts { cart_id -> Int4, } }
    table! { things () { id -> Int4, } }
    markdown::table! { a (b) { b -> c } }
}"#;
        assert_eq!(dump(&[("src/report.rs", text)]), "");
    }
}
