//! sea-query schema builders, as sea-orm-migration files write them: `Table::create()` with
//! its columns' `.primary_key()`, `.unique_key()` (or the `pk_auto(..)`, `string_uniq(..)`
//! helpers) and a table-level `.primary_key(Index::create()..)`; `Index::create()..unique()`,
//! `Index::drop()`, and `Table::alter()`, `Table::rename()`, `Table::drop()`.

use super::iden::{string, Iden, Idens};
use crate::schema::{Key, KeyKind, Table};
use std::path::{Path, PathBuf};
use syn::{Expr, ExprCall, ExprMethodCall};

/// One schema change a builder makes, its identifiers unresolved until every file is read.
pub struct Step {
    file: PathBuf,
    line: u32,
    /// The table it changes; any table for an index dropped by name alone.
    table: Option<Iden>,
    op: Op,
}

enum Op {
    Create(Vec<Pending>),
    Add(Vec<Pending>),
    DropIndex(String),
    DropColumn(Iden),
    RenameColumn(Iden, Iden),
    Rename(Iden),
    Drop,
}

/// A key as written, with the line of the call that declares it.
struct Pending {
    kind: KeyKind,
    fields: Vec<Iden>,
    name: Option<String>,
    line: u32,
}

/// The steps of a builder chain (`Table::create()...`), or None when `expr` is not one, to be
/// searched further. A chain is read whole here, so its inner calls are not visited again.
pub fn steps(file: &Path, expr: &Expr) -> Option<Vec<Step>> {
    let (root, methods) = chain(expr)?;
    let line = super::line(root.paren_token.span.open());
    let step = |table: Option<Iden>, op: Op| Step {
        file: file.to_path_buf(),
        line,
        table,
        op,
    };
    let table = || {
        methods
            .iter()
            .find(|m| m.method == "table")
            .and_then(|m| m.args.first())
            .and_then(table_iden)
    };
    let steps = if calls(&root.func, "Table", "create") {
        let keys = methods.iter().flat_map(|m| table_keys(m)).collect();
        vec![step(table(), Op::Create(keys))]
    } else if calls(&root.func, "Table", "alter") {
        let ops = methods.iter().filter_map(|m| alteration(m));
        ops.map(|op| step(table(), op)).collect()
    } else if calls(&root.func, "Table", "drop") {
        let tables = methods.iter().filter(|m| m.method == "table");
        let tables = tables.filter_map(|m| m.args.first().and_then(table_iden));
        tables.map(|t| step(Some(t), Op::Drop)).collect()
    } else if calls(&root.func, "Table", "rename") {
        let pairs = methods
            .iter()
            .filter(|m| m.method == "table" && m.args.len() == 2);
        let pairs = pairs.filter_map(|m| Some((table_iden(&m.args[0])?, table_iden(&m.args[1])?)));
        pairs
            .map(|(from, to)| step(Some(from), Op::Rename(to)))
            .collect()
    } else if calls(&root.func, "Index", "create") {
        let index = index(&methods, None, line);
        match (index.key, index.table) {
            (Some(key), Some(table)) => vec![step(Some(table), Op::Add(vec![key]))],
            _ => Vec::new(),
        }
    } else if calls(&root.func, "Index", "drop") {
        let index = index(&methods, None, line);
        match index.name {
            Some(name) => vec![step(index.table, Op::DropIndex(name))],
            None => Vec::new(),
        }
    } else {
        return None;
    };
    Some(steps)
}

impl Step {
    /// Applies the step to the tables built so far; one naming a table that is not there, or
    /// an identifier that names nothing known, changes nothing.
    pub fn apply(&self, tables: &mut Vec<Table>, idens: &Idens) {
        let name = self.table.as_ref().and_then(|t| idens.resolve(t));
        if let Op::DropIndex(index) = &self.op {
            let named = |t: &&mut Table| name.as_ref().map_or(true, |n| *n == t.name);
            for table in tables.iter_mut().filter(named) {
                table.keys.retain(|k| k.name.as_ref() != Some(index));
            }
            return;
        }
        let Some(name) = name else {
            return;
        };
        let resolve = |pending: &Pending| {
            let fields = pending
                .fields
                .iter()
                .map(|f| idens.resolve(f))
                .collect::<Option<_>>()?;
            let mut key = Key::new(pending.kind, fields, &self.file, pending.line);
            key.name.clone_from(&pending.name);
            Some(key)
        };
        if let Op::Create(keys) = &self.op {
            tables.retain(|t| t.name != name);
            let mut table = Table::new(&name, &self.file, self.line);
            table.keys = keys.iter().filter_map(resolve).collect();
            tables.push(table);
            return;
        }
        if let Op::Drop = &self.op {
            tables.retain(|t| t.name != name);
            return;
        }
        let Some(table) = tables.iter_mut().find(|t| t.name == name) else {
            return;
        };
        match &self.op {
            Op::Add(keys) => table.keys.extend(keys.iter().filter_map(resolve)),
            Op::DropColumn(column) => {
                // The database drops the indexes and constraints a dropped column is part of.
                if let Some(column) = idens.resolve(column) {
                    table.keys.retain(|k| !k.fields.contains(&column));
                }
            }
            Op::RenameColumn(from, to) => {
                if let (Some(from), Some(to)) = (idens.resolve(from), idens.resolve(to)) {
                    let fields = table.keys.iter_mut().flat_map(|k| &mut k.fields);
                    for field in fields.filter(|f| **f == from) {
                        field.clone_from(&to);
                    }
                }
            }
            Op::Rename(to) => {
                if let Some(to) = idens.resolve(to) {
                    table.name = to;
                }
            }
            Op::Create(_) | Op::Drop | Op::DropIndex(_) => {}
        }
    }
}

/// The keys one call of `Table::create()` declares: a column's, or the table's own.
fn table_keys(call: &ExprMethodCall) -> Vec<Pending> {
    let Some(arg) = call.args.first() else {
        return Vec::new();
    };
    let method = call.method.to_string();
    match method.as_str() {
        "col" => column_keys(arg),
        "primary_key" | "index" => {
            let Some((root, methods)) = chain(arg) else {
                return Vec::new();
            };
            if !calls(&root.func, "Index", "create") {
                return Vec::new();
            }
            let kind = (method == "primary_key").then_some(KeyKind::Primary);
            let line = super::line(root.paren_token.span.open());
            index(&methods, kind, line).key.into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// What one call of `Table::alter()` changes.
fn alteration(call: &ExprMethodCall) -> Option<Op> {
    let arg = |i: usize| call.args.iter().nth(i).and_then(Iden::of);
    match call.method.to_string().as_str() {
        "add_column" | "add_column_if_not_exists" => Some(Op::Add(column_keys(call.args.first()?))),
        "drop_column" => Some(Op::DropColumn(arg(0)?)),
        "rename_column" => Some(Op::RenameColumn(arg(0)?, arg(1)?)),
        _ => None,
    }
}

/// The keys a column definition declares: `ColumnDef::new(C).primary_key()`, `.unique_key()`,
/// or a sea-orm-migration helper (`pk_auto(C)`, `pk_uuid(C)`, `string_uniq(C)`).
fn column_keys(def: &Expr) -> Vec<Pending> {
    let Some((root, methods)) = chain(def) else {
        return Vec::new();
    };
    let Expr::Path(function) = &*root.func else {
        return Vec::new();
    };
    let Some(column) = root.args.first().and_then(Iden::of) else {
        return Vec::new();
    };
    let line = super::line(root.paren_token.span.open());
    let mut kinds = Vec::new();
    if let Some(helper) = function.path.get_ident().map(ToString::to_string) {
        if helper.starts_with("pk_") {
            kinds.push(KeyKind::Primary);
        } else if helper.ends_with("_uniq") {
            kinds.push(KeyKind::Unique);
        }
    }
    for m in methods.iter().filter(|m| m.args.is_empty()) {
        match m.method.to_string().as_str() {
            "primary_key" => kinds.push(KeyKind::Primary),
            "unique_key" => kinds.push(KeyKind::Unique),
            _ => {}
        }
    }
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| Pending {
            kind,
            fields: vec![column.clone()],
            name: None,
            line,
        })
        .collect()
}

/// An `Index::create()` or `Index::drop()` chain's parts.
struct Index {
    name: Option<String>,
    table: Option<Iden>,
    /// The key it makes: unique or primary, with all its columns known; a plain index or
    /// a partial one (its condition unknown here) makes none.
    key: Option<Pending>,
}

/// `kind` is the key it makes whatever it says, as the table's primary key; `line` is where
/// it starts.
fn index(methods: &[&ExprMethodCall], kind: Option<KeyKind>, line: u32) -> Index {
    let mut out = Index {
        name: None,
        table: None,
        key: None,
    };
    let mut fields = Some(Vec::new());
    let mut kind = kind;
    for m in methods {
        let arg = m.args.first();
        match (m.method.to_string().as_str(), arg) {
            ("name", Some(Expr::Lit(l))) => out.name = string(&l.lit),
            ("table", Some(t)) => out.table = table_iden(t),
            ("col", Some(c)) => {
                let column = match c {
                    Expr::Tuple(t) => t.elems.first().and_then(Iden::of),
                    c => Iden::of(c),
                };
                fields = fields.zip(column).map(|(mut f, c)| {
                    f.push(c);
                    f
                });
            }
            ("unique", None) => kind = kind.or(Some(KeyKind::Unique)),
            ("primary", None) => kind = Some(KeyKind::Primary),
            ("and_where" | "cond_where", _) => fields = None,
            _ => {}
        }
    }
    out.key = kind
        .zip(fields.filter(|f| !f.is_empty()))
        .map(|(kind, fields)| Pending {
            kind,
            fields,
            name: out.name.clone(),
            line,
        });
    out
}

/// A table argument: `Orders::Table`, or the last of `(Schema, Orders::Table)`; not another
/// variant (`order::Entity` is the table of an entity, named elsewhere).
fn table_iden(expr: &Expr) -> Option<Iden> {
    let iden = match expr {
        Expr::Tuple(t) => t.elems.last().and_then(Iden::of),
        e => Iden::of(e),
    };
    iden.filter(|i| !matches!(i, Iden::Path { variant: Some(v), .. } if v != "Table"))
}

/// A chain of method calls with the call it starts from: `Table::create().table(T).col(c)`
/// is `Table::create()` then `table`, `col`.
fn chain(mut expr: &Expr) -> Option<(&ExprCall, Vec<&ExprMethodCall>)> {
    let mut methods = Vec::new();
    // A loop, not recursion: chains may be long.
    loop {
        match expr {
            Expr::MethodCall(m) => {
                methods.push(m);
                expr = &m.receiver;
            }
            Expr::Reference(r) => expr = &r.expr,
            Expr::Paren(p) => expr = &p.expr,
            Expr::Call(root) => {
                methods.reverse();
                return Some((root, methods));
            }
            _ => return None,
        }
    }
}

/// Whether a function is `ty::name` (under any path: `sea_query::Table::create`).
pub fn calls(function: &Expr, ty: &str, name: &str) -> bool {
    let Expr::Path(p) = function else {
        return false;
    };
    let mut segments = p.path.segments.iter().rev();
    segments.next().is_some_and(|s| s.ident == name)
        && segments.next().is_some_and(|s| s.ident == ty)
}

#[cfg(test)]
mod tests {
    use super::super::dump;

    const CREATE: &str = r#"use sea_orm_migration::{prelude::*, schema::*};

impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(pk_auto(Orders::Id))
                    .col(ColumnDef::new(Orders::IdempotencyKey).string().not_null().unique_key())
                    .col(string_uniq(Orders::Slug))
                    .col(string(Orders::Note))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Lines::Table)
                    .col(ColumnDef::new(Lines::OrderId).integer())
                    .col(ColumnDef::new(Lines::Sku).string())
                    .primary_key(Index::create().col(Lines::OrderId).col(Lines::Sku))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders-note")
                    .table(Orders::Table)
                    .col(Orders::Note)
                    .col((Orders::Id, IndexOrder::Asc))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Orders::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Orders { Table, Id, IdempotencyKey, Slug, #[sea_orm(iden = "memo")] Note }
#[derive(DeriveIden)]
enum Lines { Table, OrderId, Sku }"#;

    const CHANGE: &str = r#"use sea_orm_migration::prelude::*;
async fn up(manager: &SchemaManager) -> Result<(), DbErr> {
    manager.drop_index(Index::drop().name("orders-note").table(Orders::Table).to_owned()).await?;
    manager
        .alter_table(
            Table::alter()
                .table(Orders::Table)
                .rename_column(Orders::Slug, Orders::Handle)
                .add_column(ColumnDef::new(Alias::new("ext_id")).string().unique_key())
                .to_owned(),
        )
        .await?;
    manager.alter_table(Table::alter().table(Lines::Table).drop_column(Lines::Sku).to_owned()).await?;
    manager.rename_table(Table::rename().table(Lines::Table, Alias::new("order_lines")).to_owned()).await
}"#;

    #[test]
    fn migrations_build_keys_in_file_order() {
        let first = "migration/src/m20220101_000001_create_table.rs";
        assert_eq!(
            dump(&[(first, CREATE)]),
            "table orders (model orders) migration/src/m20220101_000001_create_table.rs:7
  primary key (id) migration/src/m20220101_000001_create_table.rs:10
  unique (idempotency_key) migration/src/m20220101_000001_create_table.rs:11
  unique (slug) migration/src/m20220101_000001_create_table.rs:12
  unique (memo, id) migration/src/m20220101_000001_create_table.rs:29
table lines (model lines) migration/src/m20220101_000001_create_table.rs:19
  primary key (order_id, sku) migration/src/m20220101_000001_create_table.rs:23
"
        );
        let second = "migration/src/m20220102_000001_change.rs";
        assert_eq!(
            dump(&[(first, CREATE), (second, CHANGE)]),
            "table orders (model orders) migration/src/m20220101_000001_create_table.rs:7
  primary key (id) migration/src/m20220101_000001_create_table.rs:10
  unique (idempotency_key) migration/src/m20220101_000001_create_table.rs:11
  unique (handle) migration/src/m20220101_000001_create_table.rs:12
  unique (ext_id) migration/src/m20220102_000001_change.rs:9
table order_lines (model lines) migration/src/m20220101_000001_create_table.rs:19
"
        );
    }

    #[test]
    fn builders_that_make_no_key() {
        let text = r#"use sea_orm_migration::prelude::*;
async fn up(manager: &SchemaManager, name: Alias, column: ColumnDef) {
    // Columns that are not keys, or not known.
    Table::create().table(T::Table)
        .col(ColumnDef::new(T::A).integer().not_null().auto_increment())
        .col(column)
        .index(Index::create().col(T::B))
        .foreign_key(ForeignKey::create().from(T::Table, T::A).to(U::Table, U::Id));
    // A plain index, a partial one, one on an expression, and a table named by a variable.
    Index::create().name("a").table(T::Table).col(T::A);
    Index::create().name("b").table(T::Table).col(T::B).unique().and_where(Expr::col(T::C).is_null());
    Index::create().name("c").table(T::Table).col(Expr::col(T::C).lower()).unique();
    Table::create().table(name).col(ColumnDef::new(T::Id).primary_key());
    Table::create().table(order::Entity).col(ColumnDef::new(T::Id).primary_key());
    // Queries name tables and columns too.
    Query::select().from(T::Table).column(T::A).and_where(Expr::col(T::A).eq(1));
    Table::truncate().table(T::Table);
    // A table dropped again.
    Table::create().table(Gone::Table).col(pk_auto(Gone::Id));
    Table::drop().table(Gone::Table).if_exists();
}"#;
        assert_eq!(dump(&[("m.rs", text)]), "table t (model t) m.rs:4\n");
    }
}
