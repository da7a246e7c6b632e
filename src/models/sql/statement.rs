//! Tables, assigned columns and predicate shape from the `sqlparser` AST, when some dialect
//! parses the text.

use sqlparser::ast::{
    Assignment, AssignmentTarget, BinaryOperator as Op, Expr, FromTable, FunctionArg,
    FunctionArgExpr, FunctionArguments, InTarget, MergeAction, MergeUpdateKind, ObjectName,
    OnConflict, OnConflictAction, OnInsert, Query, Select, SelectItem, SetExpr, Statement,
    TableFactor, TableObject, TableWithJoins, UnaryOperator, Value,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::{push_parts, push_unique, SqlInfo, HOLE_PREFIX};
use crate::ir::{FieldEq, Filter};

pub(super) fn parse_first(sql: &str) -> Option<Statement> {
    let dialects: [&dyn Dialect; 3] = [&PostgreSqlDialect {}, &MySqlDialect {}, &GenericDialect {}];
    dialects.into_iter().find_map(|d| {
        // The parser is fuzzed upstream, but this runs on arbitrary literals: a parser bug must
        // cost one classification, not the whole analysis.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse_with(d, sql)))
            .ok()
            .flatten()
    })
}

/// Parses only the first statement (cheaper than `parse_sql` on scripts) and, like `parse_sql`,
/// rejects trailing tokens that do not start another statement.
fn parse_with(dialect: &dyn Dialect, sql: &str) -> Option<Statement> {
    let mut parser = Parser::new(dialect).try_with_sql(sql).ok()?;
    let stmt = parser.parse_statement().ok()?;
    matches!(parser.peek_token().token, Token::SemiColon | Token::EOF).then_some(stmt)
}

pub(super) fn ast_structure(info: &mut SqlInfo, stmt: &Statement) {
    match stmt {
        Statement::Query(q) => query_structure(info, q),
        Statement::Insert(ins) => {
            if let TableObject::TableName(name) = &ins.table {
                push_table(&mut info.tables, name);
            }
            for column in ins.columns.iter().filter_map(|c| c.0.last()?.as_ident()) {
                push_unique(&mut info.columns, column.value.to_lowercase());
            }
            match &ins.on {
                Some(OnInsert::DuplicateKeyUpdate(assignments)) => assign(info, assignments),
                Some(OnInsert::OnConflict(OnConflict {
                    action: OnConflictAction::DoUpdate(u),
                    ..
                })) => assign(info, &u.assignments),
                _ => {}
            }
        }
        Statement::Update(u) => {
            factor_tables(&u.table.relation, &mut info.tables);
            assign(info, &u.assignments);
            info.filter = u.selection.as_ref().map(where_filter).unwrap_or_default();
            info.conditional = u
                .selection
                .as_ref()
                .is_some_and(|w| tests_row_state(w, &info.sets));
        }
        Statement::Delete(d) => {
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
            match d.tables.first() {
                // MySQL multi-table form `DELETE t1 FROM t1 JOIN t2` names its target first.
                Some(name) => push_table(&mut info.tables, name),
                None => from
                    .iter()
                    .take(1)
                    .for_each(|t| factor_tables(&t.relation, &mut info.tables)),
            }
            info.filter = d.selection.as_ref().map(where_filter).unwrap_or_default();
            info.conditional = d.selection.is_some();
        }
        Statement::Merge(m) => {
            factor_tables(&m.table, &mut info.tables);
            for clause in &m.clauses {
                if let MergeAction::Update(u) = &clause.action {
                    if let MergeUpdateKind::Set(assignments) = &u.kind {
                        assign(info, assignments);
                    }
                }
            }
        }
        Statement::Lock(lock) => lock
            .tables
            .iter()
            .for_each(|t| push_table(&mut info.tables, &t.name)),
        Statement::LockTables { tables } => tables
            .iter()
            .for_each(|t| push_unique(&mut info.tables, t.table.value.clone())),
        _ => {}
    }
}

fn query_structure(info: &mut SqlInfo, q: &Query) {
    if let SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Merge(s) =
        q.body.as_ref()
    {
        return ast_structure(info, s);
    }
    if let Some(inner) = first_select(&q.body).and_then(only_subquery) {
        return query_structure(info, inner);
    }
    if let Some(select) = first_select(&q.body) {
        if let Some(selection) = &select.selection {
            info.filter = where_filter(selection);
        }
        info.selected = selected_columns(select);
        info.aggregate = aggregates_only(select);
    }
    for table in select_tables(&q.body) {
        // A CTE name stands for the tables its query reads.
        let cte = q
            .with
            .iter()
            .flat_map(|w| &w.cte_tables)
            .find(|c| c.alias.name.value == table);
        match cte {
            Some(cte) => select_tables(&cte.query.body)
                .into_iter()
                .for_each(|t| push_unique(&mut info.tables, t)),
            None => push_unique(&mut info.tables, table),
        }
    }
}

/// The columns a lookup's WHERE compares by equality with a value, in its top-level `AND`s:
/// what it selects its rows by (a case-folded column, `lower(email) = lower($1)`, too: two
/// requests for one key look up and insert the same value).
pub(crate) fn where_filter(selection: &Expr) -> Filter {
    filter_of(selection, true)
}

/// The equalities a condition that defines rows states (a partial index's `WHERE`): only
/// comparisons of columns themselves, as `lower(email) = 'x'` keeps other rows than
/// `email = 'x'`.
pub(crate) fn condition_filter(condition: &Expr) -> Filter {
    filter_of(condition, false)
}

/// Equalities in the top-level `AND`s; other tests (`OR`, ranges, functions of a column)
/// are noted as more. A `lookup` also reads a case-folded column as that column and a bare
/// boolean column (`WHERE active`) as `active = true`.
fn filter_of(selection: &Expr, lookup: bool) -> Filter {
    let mut out: Vec<FieldEq> = Vec::new();
    let mut more = false;
    let mut stack = vec![selection];
    while let Some(e) = stack.pop() {
        let found = match e {
            Expr::BinaryOp {
                left,
                op: Op::And,
                right,
            } => {
                stack.extend([&**right, &**left]);
                continue;
            }
            Expr::Nested(inner) => {
                stack.push(inner);
                continue;
            }
            Expr::BinaryOp {
                left,
                op: Op::Eq,
                right,
            } => compared(left, right, lookup).or_else(|| compared(right, left, lookup)),
            Expr::IsNull(column) => filter_column(strip_casts(column)).map(|field| FieldEq {
                field,
                constant: Some("null".to_string()),
            }),
            Expr::IsTrue(column) => filter_column(strip_casts(column)).map(|field| FieldEq {
                field,
                constant: Some("true".to_string()),
            }),
            _ if lookup => filter_column(e).map(|field| FieldEq {
                field,
                constant: Some("true".to_string()),
            }),
            _ => None,
        };
        match found {
            Some(eq) if !out.contains(&eq) => out.push(eq),
            Some(_) => {}
            None => more = true,
        }
    }
    Filter {
        equalities: out,
        more,
    }
}

/// `column = value`: the column, and the value when it is a constant. A case-folded column
/// (`lower(email) = lower($1)`) still selects rows by that column.
fn compared(column: &Expr, value: &Expr, case_folded: bool) -> Option<FieldEq> {
    let field = filter_column(strip_casts(column))
        .or_else(|| case_folded.then(|| folded_column(column)).flatten())?;
    let constant = match strip_casts(value) {
        _ if is_param(value) => None,
        Expr::Value(v) => Some(match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.to_lowercase(),
            other => other.to_string().to_lowercase(),
        }),
        // A column of another table (a join condition) selects no row by a value.
        other if column_name(other).is_some() => return None,
        _ => None,
    };
    Some(FieldEq { field, constant })
}

/// A column as a filter names it: folded to lower case unless quoted (`"deletedAt"`), as the
/// database folds it.
fn filter_column(e: &Expr) -> Option<String> {
    let folded = column_name(e)?;
    match e {
        Expr::Identifier(id) if id.quote_style.is_some() => Some(id.value.clone()),
        Expr::CompoundIdentifier(ids) => ids
            .last()
            .filter(|id| id.quote_style.is_some())
            .map(|id| id.value.clone())
            .or(Some(folded)),
        _ => Some(folded),
    }
}

/// A condition written alone (a partial index's `WHERE`, a migration's condition string),
/// when a dialect parses it whole.
pub(crate) fn parse_condition(text: &str) -> Option<Expr> {
    let dialects: [&dyn Dialect; 2] = [&PostgreSqlDialect {}, &GenericDialect {}];
    dialects.into_iter().find_map(|d| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut parser = Parser::new(d).try_with_sql(text).ok()?;
            let expr = parser.parse_expr().ok()?;
            (parser.peek_token().token == Token::EOF).then_some(expr)
        }))
        .ok()
        .flatten()
    })
}

/// The column inside `lower(..)`/`upper(..)`.
fn folded_column(e: &Expr) -> Option<String> {
    let Expr::Function(f) = strip_casts(e) else {
        return None;
    };
    let name = f.name.to_string();
    if !(name.eq_ignore_ascii_case("lower") || name.eq_ignore_ascii_case("upper")) {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(inner))] => column_name(strip_casts(inner)),
        _ => None,
    }
}

/// FROM/JOIN tables of the leftmost SELECT of a query body, main first.
fn select_tables(body: &SetExpr) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(select) = first_select(body) {
        from_tables(&select.from, &mut out);
    }
    out
}

/// The query a `SELECT` with no table asks about: `SELECT EXISTS(SELECT 1 FROM t WHERE ..)`,
/// `SELECT (SELECT count(*) FROM t WHERE ..)`.
fn only_subquery(select: &Select) -> Option<&Query> {
    let [item] = select.projection.as_slice() else {
        return None;
    };
    let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item else {
        return None;
    };
    match expr {
        _ if !select.from.is_empty() => None,
        Expr::Exists { subquery, .. } | Expr::Subquery(subquery) => Some(subquery),
        _ => None,
    }
}

/// Whether every column a SELECT returns is an aggregate over its rows.
fn aggregates_only(select: &Select) -> bool {
    const AGGREGATES: &[&str] = &["count", "sum", "avg", "min", "max"];
    !select.projection.is_empty()
        && select.projection.iter().all(|item| {
            let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) = item
            else {
                return false;
            };
            matches!(strip_casts(e), Expr::Function(f)
                if AGGREGATES.iter().any(|a| f.name.to_string().eq_ignore_ascii_case(a)))
        })
}

/// The names of a SELECT's columns in order, or none when a `*` makes them unknown.
fn selected_columns(select: &Select) -> Vec<String> {
    let mut out = Vec::with_capacity(select.projection.len());
    for item in &select.projection {
        let name = match item {
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(i),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts.last(),
            SelectItem::ExprWithAlias { alias, .. } => Some(alias),
            SelectItem::UnnamedExpr(_) => None,
            // `*`, `t.*`, several names for one expression.
            _ => return Vec::new(),
        };
        out.push(name.map_or_else(String::new, |i| i.value.to_lowercase()));
    }
    out
}

fn first_select(mut body: &SetExpr) -> Option<&Select> {
    loop {
        body = match body {
            SetExpr::Select(s) => return Some(s),
            SetExpr::Query(q) => &q.body,
            SetExpr::SetOperation { left, .. } => left,
            _ => return None,
        };
    }
}

fn from_tables(from: &[TableWithJoins], out: &mut Vec<String>) {
    for twj in from {
        factor_tables(&twj.relation, out);
        twj.joins
            .iter()
            .for_each(|j| factor_tables(&j.relation, out));
    }
}

fn factor_tables(factor: &TableFactor, out: &mut Vec<String>) {
    match factor {
        TableFactor::Table { name, .. } => push_table(out, name),
        TableFactor::Derived { subquery, .. } => select_tables(&subquery.body)
            .into_iter()
            .for_each(|t| push_unique(out, t)),
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => from_tables(std::slice::from_ref(table_with_joins), out),
        _ => {}
    }
}

fn push_table(out: &mut Vec<String>, name: &ObjectName) {
    let parts: Option<Vec<&str>> = name
        .0
        .iter()
        .map(|p| p.as_ident().map(|id| id.value.as_str()))
        .collect();
    push_parts(out, &parts.unwrap_or_default());
}

fn assign(info: &mut SqlInfo, assignments: &[Assignment]) {
    for a in assignments {
        let targets = match &a.target {
            AssignmentTarget::ColumnName(name) => std::slice::from_ref(name),
            AssignmentTarget::Tuple(names) => names.as_slice(),
        };
        let derived = reads_column(&a.value);
        for col in targets.iter().filter_map(|n| n.0.last()?.as_ident()) {
            let col = col.value.to_lowercase();
            if derived {
                push_unique(&mut info.derived, col.clone());
            }
            push_unique(&mut info.sets, col);
        }
    }
}

/// Whether the value reads the row, ignoring upsert proposals (`EXCLUDED.x`, MySQL `VALUES(x)`).
fn reads_column(e: &Expr) -> bool {
    search(e, |n| match n {
        Expr::CompoundIdentifier(ids)
            if ids
                .first()
                .is_some_and(|q| q.value.eq_ignore_ascii_case("excluded")) =>
        {
            Some(false)
        }
        Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("values") => Some(false),
        // A scalar subquery computes the value inside the database, like a column reference.
        Expr::Subquery(_) => Some(true),
        _ => column_name(n).is_some().then_some(true),
    })
}

/// True when some test in the WHERE depends on row state beyond `col = <parameter>` keys.
fn tests_row_state(selection: &Expr, sets: &[String]) -> bool {
    // A bare boolean column (`WHERE active`, `AND NOT deleted`) is a literal test in disguise.
    let flag = |e: &Expr| column_name(strip_casts(e)).is_some();
    flag(selection)
        || search(selection, |e| {
            let hit = match e {
                Expr::BinaryOp { left, op, right } => match op {
                    Op::Lt | Op::LtEq | Op::Gt | Op::GtEq | Op::NotEq => true,
                    Op::Eq => constant_test(left, right) || constant_test(right, left),
                    Op::And | Op::Or => flag(left) || flag(right),
                    _ => false,
                },
                Expr::UnaryOp { op, expr } => *op == UnaryOperator::Not && flag(expr),
                Expr::IsNull(_) | Expr::IsNotNull(_) | Expr::IsTrue(_) | Expr::IsFalse(_) => true,
                Expr::IsNotTrue(_) | Expr::IsNotFalse(_) | Expr::IsDistinctFrom(..) => true,
                Expr::IsNotDistinctFrom(..) | Expr::Between { .. } => true,
                Expr::In {
                    target: InTarget::List(list),
                    ..
                } => list.iter().any(is_literal),
                _ => column_name(e).is_some_and(|c| sets.contains(&c)),
            };
            hit.then_some(true)
        })
}

/// `status = 'pending'`, `lower(code) = 'x'`: a constant against something that is not a parameter.
fn constant_test(constant: &Expr, other: &Expr) -> bool {
    is_literal(constant) && !is_literal(other) && !is_param(other)
}

/// Depth-first search without recursion (long AND/OR chains nest thousands deep). `f` answers
/// Some(true) to finish, Some(false) to skip a node's children, None to descend. Subqueries are
/// not entered.
fn search<'a>(root: &'a Expr, mut f: impl FnMut(&'a Expr) -> Option<bool>) -> bool {
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        match f(e) {
            Some(true) => return true,
            Some(false) => {}
            None => push_children(e, &mut stack),
        }
    }
    false
}

fn push_children<'a>(e: &'a Expr, stack: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryOp { left, right, .. } => stack.extend([&**left, &**right]),
        Expr::UnaryOp { expr, .. } | Expr::Nested(expr) | Expr::Cast { expr, .. } => {
            stack.push(expr)
        }
        Expr::IsNull(expr) | Expr::IsNotNull(expr) => stack.push(expr),
        Expr::Between {
            expr, low, high, ..
        } => stack.extend([&**expr, &**low, &**high]),
        Expr::In { expr, target, .. } => {
            stack.push(expr);
            if let InTarget::List(list) = target {
                stack.extend(list);
            }
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            stack.extend(operand.as_deref().into_iter().chain(else_result.as_deref()));
            stack.extend(conditions.iter().flat_map(|c| [&c.condition, &c.result]));
        }
        Expr::Function(f) => {
            let FunctionArguments::List(list) = &f.args else {
                return;
            };
            stack.extend(list.args.iter().filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => Some(e),
                _ => None,
            }));
        }
        Expr::Tuple(items) => stack.extend(items),
        _ => {}
    }
}

/// Column named by an identifier: holes are parameters, and `SET x = DEFAULT` parses as a name.
fn column_name(e: &Expr) -> Option<String> {
    let id = match e {
        Expr::Identifier(id)
            if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default") =>
        {
            return None
        }
        Expr::Identifier(id) => id,
        Expr::CompoundIdentifier(ids) => ids.last()?,
        _ => return None,
    };
    (!id.value.starts_with(HOLE_PREFIX)).then(|| id.value.to_lowercase())
}

/// Looks through casts, parentheses and signs, iteratively (`$1::a::b::...` can be long).
fn strip_casts(mut e: &Expr) -> &Expr {
    loop {
        e = match e {
            Expr::Cast { expr, .. } | Expr::Nested(expr) => expr,
            Expr::UnaryOp {
                op: UnaryOperator::Minus | UnaryOperator::Plus,
                expr,
            } => expr,
            _ => return e,
        };
    }
}

/// `$1`, `?`, a hole, or a quoted hole (`'${id}'`).
fn is_param(e: &Expr) -> bool {
    match strip_casts(e) {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(_) => true,
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                s.starts_with(HOLE_PREFIX)
            }
            _ => false,
        },
        Expr::Identifier(id) => id.value.starts_with(HOLE_PREFIX),
        _ => false,
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(strip_casts(e), Expr::Value(_) | Expr::TypedString(_)) && !is_param(e)
}
