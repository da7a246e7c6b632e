//! SeaORM entities: `#[derive(DeriveEntityModel)] #[sea_orm(table_name = "orders")] struct
//! Model` with `#[sea_orm(primary_key)]` fields (several form one composite key),
//! `#[sea_orm(unique)]` ones, `#[sea_orm(unique_key = "k")]` groups and `column_name`s.

use super::iden::string;
use crate::schema::{Key, KeyKind, Syntax, Table};
use std::path::Path;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Meta, Token};

/// The table an entity's model declares, named in code by its module (`order::Entity`), or by
/// its table when it has none.
pub fn table(file: &Path, module: Option<&str>, item: &syn::ItemStruct) -> Option<Table> {
    // SeaORM 2's `#[sea_orm::model]` declares entities as `DeriveEntityModel` does.
    let model_attribute = item.attrs.iter().any(|a| {
        let names: Vec<_> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        names == ["sea_orm", "model"]
    });
    // Entities in expanded form derive `DeriveModel`, sea-orm-codegen keeping the attributes.
    if !(model_attribute || derives(&item.attrs, &["DeriveEntityModel", "DeriveModel"])) {
        return None;
    }
    let name = sea_orm(&item.attrs)
        .into_iter()
        .find_map(|(key, value)| (key == "table_name").then_some(value).flatten())?;
    let mut table = Table::new(
        module.unwrap_or(&name),
        file,
        super::line(item.ident.span()),
    )
    .declared_in(Syntax::SeaOrm);
    table.name = name;
    let mut primary: Option<Key> = None;
    let mut groups: Vec<(String, Key)> = Vec::new();
    for field in &item.fields {
        let Some(ident) = &field.ident else {
            continue;
        };
        let (name, line) = (ident.to_string(), super::line(ident.span()));
        for (key, value) in sea_orm(&field.attrs) {
            match (key.as_str(), value) {
                ("primary_key", _) => match primary.as_mut() {
                    Some(k) => k.fields.push(name.clone()),
                    None => {
                        primary = Some(Key::new(KeyKind::Primary, vec![name.clone()], file, line))
                    }
                },
                ("unique", _) => {
                    table
                        .keys
                        .push(Key::new(KeyKind::Unique, vec![name.clone()], file, line))
                }
                ("unique_key", Some(group)) => match groups.iter_mut().find(|(g, _)| *g == group) {
                    Some((_, k)) => k.fields.push(name.clone()),
                    None => groups.push((
                        group,
                        Key::new(KeyKind::Unique, vec![name.clone()], file, line),
                    )),
                },
                ("column_name", Some(column)) => table.columns.push((name.clone(), column)),
                _ => {}
            }
        }
    }
    table.keys.splice(0..0, primary);
    table.keys.extend(groups.into_iter().map(|(name, mut key)| {
        key.name = Some(name);
        key
    }));
    Some(table)
}

/// Whether a `#[derive(..)]` lists one of `names` (by the last segment of its path).
pub fn derives(attrs: &[Attribute], names: &[&str]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths.iter().any(|p| {
                        p.segments
                            .last()
                            .is_some_and(|s| names.iter().any(|n| s.ident == n))
                    })
                })
        })
}

/// The arguments of every `#[sea_orm(..)]` attribute.
fn sea_orm(attrs: &[Attribute]) -> Vec<(String, Option<String>)> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("sea_orm"))
        .flat_map(arguments)
        .collect()
}

/// An attribute's arguments: `primary_key` -> (`primary_key`, None), `table_name = "t"` ->
/// (`table_name`, Some(`t`)); a value that is not a string is None, and `x = false` is left
/// out as it turns `x` off. An attribute that does not parse as a list of them has none.
pub fn arguments(attr: &Attribute) -> Vec<(String, Option<String>)> {
    let Ok(metas) = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) else {
        return Vec::new();
    };
    metas
        .iter()
        .filter_map(|meta| {
            let name = meta.path().get_ident()?.to_string();
            let Meta::NameValue(nv) = meta else {
                return Some((name, None));
            };
            match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(b),
                    ..
                }) if !b.value => None,
                Expr::Lit(l) => Some((name, string(&l.lit))),
                _ => Some((name, None)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::dump;

    #[test]
    fn entity_models_declare_primary_and_unique_keys() {
        let order = r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i32,
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique, column_name = "idem_key")]
    pub key: String,
    #[sea_orm(unique_key = "ext")]
    pub provider: String,
    #[sea_orm(unique_key = "ext", column_type = "Text")]
    pub external_id: String,
}"#;
        assert_eq!(
            dump(&[("src/entities/order.rs", order)]),
            "table orders (model order) src/entities/order.rs:5
  primary key (tenant_id, id) src/entities/order.rs:7
  unique (key) src/entities/order.rs:11
  unique (provider, external_id) src/entities/order.rs:13
  field key is column idem_key
"
        );
        // No module names it in a file that gathers modules, but an inline one does.
        let gathered = order.replace("#[derive", "pub mod purchase {\n#[derive") + "}";
        assert!(dump(&[("src/mod.rs", order)]).starts_with("table orders (model orders)"));
        assert!(dump(&[("src/lib.rs", &gathered)]).starts_with("table orders (model purchase)"));
    }

    #[test]
    fn attributes_that_look_like_keys_but_are_not() {
        let text = r#"use sea_orm::entity::prelude::*;
// Not an entity: a partial model, and a struct of another derive.
#[derive(DerivePartialModel)]
#[sea_orm(table_name = "orders")]
struct Partial { #[sea_orm(primary_key)] id: i32 }
#[derive(Serialize)]
struct Dto { #[sea_orm(unique)] key: String }

#[derive(DeriveEntityModel)]
#[sea_orm(table_name = "carts")]
pub struct Model {
    #[sea_orm(primary_key = false)]
    pub id: i32,
    #[sea_orm(indexed)]
    pub owner: String,
    #[serde(unique)]
    #[sea_orm(unique = false, nullable)]
    pub token: String,
    #[sea_orm(default_value = "unique")]
    pub note: String,
}
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation { #[sea_orm(has_many = "super::item::Entity", primary_key)] Items }"#;
        assert_eq!(
            dump(&[("src/entities/cart.rs", text)]),
            "table carts (model cart) src/entities/cart.rs:11\n"
        );
    }
}
