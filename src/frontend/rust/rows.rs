//! The columns a Rust insert sets, for the schema's unique keys: Diesel `.values((a.eq(x),
//! b.eq(y)))` or `.values(&NewRow { a, b })`, and SeaORM `ActiveModel { a: Set(x), .. }`
//! inserted as `am.insert(db)` or `Entity::insert(am)`. A struct literal is known where it is
//! written in the function, directly or through the local it is bound to.

use super::lower::Lowerer;
use crate::frontend::val::Val;
use crate::ir::Source;
use crate::models::{Arg, ArgValue, CallShape};
use syn::Expr;

/// The fields a struct literal gives a value, and those made fresh for it (random, the time).
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub fields: Vec<String>,
    pub fresh: Vec<String>,
}

/// The fields of a struct literal, from its fields' names and lowered values; a SeaORM field
/// left `NotSet` is no column of the insert. Fields taken from another value (`..form.into()`)
/// are not known, and then neither is the row; `..Default::default()` adds none.
pub fn row_of(s: &syn::ExprStruct, values: &[Val]) -> Option<Row> {
    if s.rest.as_deref().is_some_and(|rest| !is_default(rest)) {
        return None;
    }
    let mut row = Row::default();
    for (field, value) in s.fields.iter().zip(values) {
        let syn::Member::Named(name) = &field.member else {
            continue;
        };
        if is_not_set(&field.expr) {
            continue;
        }
        let name = name.to_string();
        if value.sources.iter().any(Source::is_unstable) {
            row.fresh.push(name.clone());
        }
        row.fields.push(name);
    }
    Some(row)
}

/// `Default::default()`, `T::default()`.
fn is_default(e: &Expr) -> bool {
    let Expr::Call(call) = e else { return false };
    matches!(&*call.func, Expr::Path(p) if call.args.is_empty()
        && p.path.segments.last().is_some_and(|s| s.ident == "default"))
}

fn is_not_set(e: &Expr) -> bool {
    matches!(e, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "NotSet"))
}

/// The expression under references and parentheses (`&NewRow { .. }`).
pub fn peeled(mut e: &Expr) -> &Expr {
    loop {
        e = match e {
            Expr::Reference(r) => &r.expr,
            Expr::Paren(p) => &p.expr,
            _ => return e,
        };
    }
}

impl Lowerer<'_> {
    /// The columns an insert sets and those made fresh for the row, where the chain says.
    pub fn inserted_row(&self, shape: &CallShape, trigger: usize, args: &Val) -> Row {
        // Diesel: `.values(..)` anywhere in the chain.
        if let Some(arg) = shape
            .calls_named("values")
            .next()
            .and_then(|c| c.args().first())
        {
            return self.row_arg(arg).unwrap_or_else(|| {
                let fields = eq_columns(&arg.text());
                let fresh_row = args.sources.iter().any(Source::is_unstable);
                Row {
                    // Which column a fresh value goes to is not followed: any may.
                    fresh: if fresh_row { fields.clone() } else { vec![] },
                    fields,
                }
            });
        }
        // SeaORM: `Entity::insert(am)`, or `am.insert(db)` with the fields assigned since.
        let given = shape.segments[trigger].args().first();
        if let Some(row) = given.and_then(|a| self.row_arg(a)) {
            return row;
        }
        let receiver = trigger.checked_sub(1).map(|i| &shape.segments[i]);
        let Some(name) = receiver.filter(|r| !r.is_call()).map(|r| &r.name) else {
            return Row::default();
        };
        // Fields assigned on a value of unknown columns leave them unknown.
        let Some(mut row) = self.rows.get(name).cloned() else {
            return Row::default();
        };
        for (field, _) in self.mutations.get(name).into_iter().flatten() {
            if !row.fields.contains(field) {
                row.fields.push(field.clone());
            }
        }
        row
    }

    /// The row an argument is: a struct literal written there, or a local bound to one.
    fn row_arg(&self, arg: &Arg) -> Option<Row> {
        if let Some(row) = self.arg_rows.get(&arg.node) {
            return Some(row.clone());
        }
        match &arg.value {
            ArgValue::Path(p) => self.rows.get(p.trim_start_matches('&')).cloned(),
            _ => None,
        }
    }
}

/// The columns of Diesel assignments `(a.eq(x), table::b.eq(y))`.
pub fn eq_columns(text: &str) -> Vec<String> {
    eq_pairs(text)
        .into_iter()
        .map(|(column, _)| column)
        .collect()
}

/// Diesel assignments as (column, value text): `(a.eq(x), b.eq(b + 1))`.
pub fn eq_pairs(text: &str) -> Vec<(String, &str)> {
    text.split("),")
        .filter_map(|pair| {
            let (column, value) = pair.split_once(".eq(")?;
            let column = column.trim_start_matches(['(', '&', ' ']);
            let field = column.rsplit(['.', ':']).next().unwrap_or(column);
            Some((field.to_string(), value))
        })
        .collect()
}
