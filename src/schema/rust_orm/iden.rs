//! sea-query identifiers: `#[derive(DeriveIden)] enum Orders { Table, IdempotencyKey }` names
//! the table `orders` and the column `idempotency_key`, unless `#[sea_orm(iden = "x")]` (or
//! sea-query's `#[iden = "x"]`) says otherwise.

use std::collections::{HashMap, HashSet};
use syn::{Attribute, Expr, Lit, Meta};

/// An identifier as a builder writes it, resolved once every file's enums are known.
#[derive(Clone)]
pub enum Iden {
    /// `Orders::Table` (variant `Table`), `Orders::Key`, or a unit struct `Orders` (no variant).
    Path { ty: String, variant: Option<String> },
    /// `Alias::new("orders")`, `"orders"`.
    Text(String),
}

impl Iden {
    /// The identifier an argument names, through `&` and parentheses; None for a variable or
    /// anything computed.
    pub fn of(mut expr: &Expr) -> Option<Iden> {
        while let Expr::Reference(syn::ExprReference { expr: inner, .. })
        | Expr::Paren(syn::ExprParen { expr: inner, .. }) = expr
        {
            expr = inner;
        }
        match expr {
            Expr::Path(p) => {
                let mut names = p.path.segments.iter().rev().map(|s| s.ident.to_string());
                let last = names.next()?;
                match names.next() {
                    Some(ty) => Some(Iden::Path {
                        ty,
                        variant: Some(last),
                    }),
                    // A lone name is a unit struct only if one derives an identifier (a
                    // variable otherwise): `Idens::resolve` decides.
                    None => Some(Iden::Path {
                        ty: last,
                        variant: None,
                    }),
                }
            }
            Expr::Lit(l) => string(&l.lit).map(Iden::Text),
            Expr::Call(c) if super::builder::calls(&c.func, "Alias", "new") => {
                match c.args.first() {
                    Some(Expr::Lit(l)) => string(&l.lit).map(Iden::Text),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The identifier types the project derives, with the names they override.
#[derive(Default)]
pub struct Idens {
    /// Types deriving `DeriveIden` or `Iden`.
    types: HashSet<String>,
    /// (type, variant) -> name; the variant `Table` stands for the type itself.
    renamed: HashMap<(String, String), String>,
}

impl Idens {
    pub fn add_enum(&mut self, item: &syn::ItemEnum) {
        if !derives_iden(&item.attrs) {
            return;
        }
        let ty = item.ident.to_string();
        if let Some(name) = renamed(&item.attrs) {
            self.renamed.insert((ty.clone(), "Table".to_string()), name);
        }
        for variant in &item.variants {
            if let Some(name) = renamed(&variant.attrs) {
                self.renamed
                    .insert((ty.clone(), variant.ident.to_string()), name);
            }
        }
        self.types.insert(ty);
    }

    /// `#[derive(DeriveIden)] struct Orders;` names the table `orders`.
    pub fn add_struct(&mut self, item: &syn::ItemStruct) {
        if !derives_iden(&item.attrs) || !matches!(item.fields, syn::Fields::Unit) {
            return;
        }
        let ty = item.ident.to_string();
        if let Some(name) = renamed(&item.attrs) {
            self.renamed.insert((ty.clone(), "Table".to_string()), name);
        }
        self.types.insert(ty);
    }

    /// The name an identifier gives in the database. Variants of enums the project does not
    /// show (or that derive elsewhere) are taken as `DeriveIden` would name them.
    pub fn resolve(&self, iden: &Iden) -> Option<String> {
        let (ty, variant) = match iden {
            Iden::Text(text) => return Some(text.clone()),
            Iden::Path {
                ty,
                variant: Some(v),
            } => (ty, v.as_str()),
            Iden::Path { ty, variant: None } if self.types.contains(ty) => (ty, "Table"),
            Iden::Path { .. } => return None,
        };
        if let Some(name) = self.renamed.get(&(ty.clone(), variant.to_string())) {
            return Some(name.clone());
        }
        Some(snake_case(if variant == "Table" { ty } else { variant }))
    }
}

fn derives_iden(attrs: &[Attribute]) -> bool {
    super::entity::derives(attrs, &["DeriveIden", "Iden"])
}

/// `#[sea_orm(iden = "x")]` or `#[iden = "x"]`.
fn renamed(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("iden") => match &nv.value {
            Expr::Lit(l) => string(&l.lit),
            _ => None,
        },
        _ if attr.path().is_ident("sea_orm") => super::entity::arguments(attr)
            .into_iter()
            .find_map(|(name, value)| (name == "iden").then_some(value).flatten()),
        _ => None,
    })
}

pub fn string(lit: &Lit) -> Option<String> {
    match lit {
        Lit::Str(s) => Some(s.value()),
        _ => None,
    }
}

/// `IdempotencyKey` -> `idempotency_key`, `HTTPCode` -> `http_code`, as `DeriveIden` names.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let before = chars[i - 1];
            let after_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if before.is_lowercase()
                || before.is_ascii_digit()
                || (before.is_uppercase() && after_lower)
            {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn identifiers_are_snake_cased_as_derive_iden_does() {
        for (name, snake) in [
            ("Orders", "orders"),
            ("IdempotencyKey", "idempotency_key"),
            ("HTTPCode", "http_code"),
            ("UserID", "user_id"),
            ("Address2", "address2"),
            ("V2Api", "v2_api"),
        ] {
            assert_eq!(snake_case(name), snake);
        }
    }
}
