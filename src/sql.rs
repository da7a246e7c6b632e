//! Classifies SQL text found in application code (kind, tables, row locks, upserts, guarded updates).
//!
//! `sqlparser` does the work when the text parses in some dialect; otherwise (vendor syntax,
//! truncated text, interpolation holes in odd places, huge inputs) a token-level fallback
//! recovers the same facts approximately. Neither path panics on any input.

use crate::ir::Isolation;
use sqlparser::ast::{
    Assignment, AssignmentTarget, BinaryOperator as Op, Delete, Expr, FromTable, Function,
    FunctionArg, FunctionArgExpr, FunctionArguments, InTarget, Insert, Merge, MergeAction,
    MergeUpdateKind, ObjectName, OnConflict, OnConflictAction, OnInsert, Query, Select, SelectItem,
    Set, SetExpr, SqliteOnConflict, Statement, TableFactor, TableObject, TableWithJoins,
    TransactionIsolationLevel, TransactionMode, UnaryOperator, Update, Value,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

/// Marker used by front-ends for interpolation holes (`${x}` in a template literal, `{}` in
/// `format!`): they substitute `__hole0`, `__hole1`, ... so the text still parses; a hole in
/// table position yields no table name.
pub const HOLE_PREFIX: &str = "__hole";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlKind {
    Select,
    Insert,
    Update,
    Delete,
    Begin(Isolation),
    SetIsolation(Isolation),
    Commit,
    Rollback,
    AdvisoryLock { try_lock: bool, xact: bool },
    AdvisoryUnlock,
    LockTable,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    DoNothing,
    DoUpdate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlInfo {
    pub kind: SqlKind,
    /// INSERT/UPDATE/DELETE target, or SELECT FROM/JOIN tables (main first); unquoted, schema kept.
    pub tables: Vec<String>,
    /// SELECT ... FOR UPDATE / SHARE (any variant), MySQL LOCK IN SHARE MODE.
    pub locking: bool,
    pub on_conflict: Option<Conflict>,
    pub returning: bool,
    /// UPDATE whose WHERE also tests row state, so its row count tells whether this caller won;
    /// every DELETE with a WHERE.
    pub conditional: bool,
    /// Columns assigned by UPDATE SET / upsert SET, lowercased and unquoted.
    pub sets: Vec<String>,
    /// Some assigned value is computed from a column (`n = n + 1`).
    pub derived: bool,
    /// The WHERE compares against a time relative to now (`created_at > NOW() - INTERVAL ...`).
    pub window: bool,
}

impl SqlInfo {
    fn new(kind: SqlKind) -> Self {
        SqlInfo {
            kind,
            tables: Vec::new(),
            locking: false,
            on_conflict: None,
            returning: false,
            conditional: false,
            sets: Vec::new(),
            derived: false,
            window: false,
        }
    }
}

/// Longer texts skip the parser, whose cost on huge generated SQL is not worth it.
const MAX_PARSE_LEN: usize = 100_000;

const LEADING_KEYWORDS: &[&str] = &[
    "SELECT",
    "WITH",
    "INSERT",
    "UPDATE",
    "DELETE",
    "BEGIN",
    "START",
    "COMMIT",
    "END",
    "ROLLBACK",
    "SET",
    "LOCK",
    "REPLACE",
    "MERGE",
    "SAVEPOINT",
    "RELEASE",
];

/// Classify one SQL text; None when it does not start like SQL at all.
pub fn classify(sql: &str) -> Option<SqlInfo> {
    let first = Lexer::new(sql).find(|t| !t.is_punct("("))?;
    if !first.is_any(LEADING_KEYWORDS) {
        return None;
    }
    let parsed = if sql.len() <= MAX_PARSE_LEN {
        parse_first(sql)
    } else {
        None
    };
    Some(match parsed {
        Some(stmt) => from_statement(&stmt),
        None => lexical(sql),
    })
}

// ---------------------------------------------------------------------------------------------
// Parser path

fn parse_first(sql: &str) -> Option<Statement> {
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

fn from_statement(stmt: &Statement) -> SqlInfo {
    let kind = match stmt {
        Statement::Query(q) => return from_query(q),
        Statement::Insert(i) => return from_insert(i),
        Statement::Update(u) => return from_update(u),
        Statement::Delete(d) => return from_delete(d),
        Statement::Merge(m) => return from_merge(m),
        Statement::Lock(lock) => {
            let mut info = SqlInfo::new(SqlKind::LockTable);
            lock.tables
                .iter()
                .for_each(|t| push_table(&mut info.tables, &t.name));
            return info;
        }
        Statement::LockTables { tables } => {
            let mut info = SqlInfo::new(SqlKind::LockTable);
            tables
                .iter()
                .for_each(|t| push_unique(&mut info.tables, t.table.value.clone()));
            return info;
        }
        Statement::StartTransaction { modes, .. } => {
            SqlKind::Begin(isolation(modes).unwrap_or(Isolation::Default))
        }
        Statement::Set(Set::SetTransaction { modes, .. }) => match isolation(modes) {
            Some(level) => SqlKind::SetIsolation(level),
            None => SqlKind::Other,
        },
        Statement::Commit { .. } => SqlKind::Commit,
        Statement::Rollback {
            savepoint: None, ..
        } => SqlKind::Rollback,
        _ => SqlKind::Other,
    };
    SqlInfo::new(kind)
}

/// READ UNCOMMITTED behaves as READ COMMITTED in PostgreSQL; SNAPSHOT is closest to REPEATABLE READ.
fn isolation(modes: &[TransactionMode]) -> Option<Isolation> {
    modes.iter().find_map(|m| match m {
        TransactionMode::IsolationLevel(level) => Some(match level {
            TransactionIsolationLevel::Serializable => Isolation::Serializable,
            TransactionIsolationLevel::RepeatableRead | TransactionIsolationLevel::Snapshot => {
                Isolation::RepeatableRead
            }
            _ => Isolation::ReadCommitted,
        }),
        _ => None,
    })
}

fn from_query(q: &Query) -> SqlInfo {
    // A CTE in front of DML: the body statement decides.
    if let SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Merge(s) =
        q.body.as_ref()
    {
        return from_statement(s);
    }
    let Some(select) = first_select(&q.body) else {
        return SqlInfo::new(SqlKind::Select);
    };
    if let Some(kind) = select.projection.iter().find_map(select_item_advisory) {
        return SqlInfo::new(kind);
    }
    let mut info = SqlInfo::new(SqlKind::Select);
    for table in select_tables(select) {
        // A CTE name stands for the tables its query reads.
        let cte = q
            .with
            .as_ref()
            .and_then(|w| w.cte_tables.iter().find(|c| c.alias.name.value == table));
        match cte.and_then(|c| first_select(&c.query.body)) {
            Some(inner) => select_tables(inner)
                .into_iter()
                .for_each(|t| push_unique(&mut info.tables, t)),
            None => push_unique(&mut info.tables, table),
        }
    }
    info.locking = !q.locks.is_empty();
    info.window = select.selection.as_ref().is_some_and(has_window);
    info
}

/// The leftmost SELECT of a query body (through parentheses and set operations).
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

fn select_tables(select: &Select) -> Vec<String> {
    let mut out = Vec::new();
    from_tables(&select.from, &mut out);
    out
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
        TableFactor::Derived { subquery, .. } => {
            if let Some(s) = first_select(&subquery.body) {
                from_tables(&s.from, out);
            }
        }
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => from_tables(std::slice::from_ref(table_with_joins), out),
        _ => {}
    }
}

fn select_item_advisory(item: &SelectItem) -> Option<SqlKind> {
    let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) = item else {
        return None;
    };
    let mut kind = None;
    search(e, |n| match n {
        Expr::Function(f) => {
            kind = advisory_kind(&func_name(f));
            kind.is_some().then_some(true)
        }
        _ => None,
    });
    kind
}

fn from_insert(ins: &Insert) -> SqlInfo {
    let mut info = SqlInfo::new(SqlKind::Insert);
    if let TableObject::TableName(name) = &ins.table {
        push_table(&mut info.tables, name);
    }
    info.returning = ins.returning.is_some() || ins.output.is_some();
    match &ins.on {
        Some(OnInsert::OnConflict(OnConflict {
            action: OnConflictAction::DoUpdate(u),
            ..
        })) => upsert(&mut info, &u.assignments),
        Some(OnInsert::DuplicateKeyUpdate(assignments)) => upsert(&mut info, assignments),
        Some(OnInsert::OnConflict(_)) => info.on_conflict = Some(Conflict::DoNothing),
        _ if ins.ignore || ins.or == Some(SqliteOnConflict::Ignore) => {
            info.on_conflict = Some(Conflict::DoNothing)
        }
        _ => {}
    }
    info
}

fn upsert(info: &mut SqlInfo, assignments: &[Assignment]) {
    info.on_conflict = Some(Conflict::DoUpdate);
    apply_assignments(info, assignments);
}

fn from_merge(m: &Merge) -> SqlInfo {
    let mut info = SqlInfo::new(SqlKind::Insert);
    if let TableFactor::Table { name, .. } = &m.table {
        push_table(&mut info.tables, name);
    }
    info.on_conflict = Some(Conflict::DoUpdate);
    for clause in &m.clauses {
        if let MergeAction::Update(u) = &clause.action {
            if let MergeUpdateKind::Set(assignments) = &u.kind {
                apply_assignments(&mut info, assignments);
            }
        }
    }
    info.returning = m.output.is_some();
    info
}

fn from_update(u: &Update) -> SqlInfo {
    let mut info = SqlInfo::new(SqlKind::Update);
    if let TableFactor::Table { name, .. } = &u.table.relation {
        push_table(&mut info.tables, name);
    }
    apply_assignments(&mut info, &u.assignments);
    info.returning = u.returning.is_some() || u.output.is_some();
    if let Some(selection) = &u.selection {
        info.conditional = tests_row_state(selection, &info.sets);
        info.window = has_window(selection);
    }
    info
}

fn from_delete(d: &Delete) -> SqlInfo {
    let mut info = SqlInfo::new(SqlKind::Delete);
    let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
    match d.tables.first() {
        // MySQL multi-table form: `DELETE t1 FROM t1 JOIN t2 ...` names its target up front.
        Some(name) => push_table(&mut info.tables, name),
        None => from
            .iter()
            .take(1)
            .for_each(|t| factor_tables(&t.relation, &mut info.tables)),
    }
    info.returning = d.returning.is_some() || d.output.is_some();
    info.conditional = d.selection.is_some();
    info.window = d.selection.as_ref().is_some_and(has_window);
    info
}

fn apply_assignments(info: &mut SqlInfo, assignments: &[Assignment]) {
    for a in assignments {
        let targets = match &a.target {
            AssignmentTarget::ColumnName(name) => std::slice::from_ref(name),
            AssignmentTarget::Tuple(names) => names.as_slice(),
        };
        for name in targets {
            if let Some(col) = name.0.last().and_then(|p| p.as_ident()) {
                push_unique(&mut info.sets, col.value.to_lowercase());
            }
        }
        info.derived |= references_column(&a.value);
    }
}

/// True when any leaf test of the WHERE depends on row state beyond `col = <parameter>` keys.
fn tests_row_state(selection: &Expr, sets: &[String]) -> bool {
    predicate_leaves(selection).into_iter().any(|leaf| {
        // A bare boolean column (`AND NOT deleted`) is a literal test in disguise.
        column_name(leaf).is_some() || search(leaf, |e| state_test(e, sets))
    })
}

/// The individual tests under the AND/OR/NOT structure of a condition.
fn predicate_leaves(root: &Expr) -> Vec<&Expr> {
    let (mut stack, mut leaves) = (vec![root], Vec::new());
    while let Some(e) = stack.pop() {
        match e {
            Expr::BinaryOp {
                left,
                op: Op::And | Op::Or,
                right,
            } => stack.extend([&**left, &**right]),
            Expr::Nested(inner)
            | Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr: inner,
            } => stack.push(inner),
            _ => leaves.push(e),
        }
    }
    leaves
}

/// `search` callback: comparisons decide on the spot (their operands are searched as a whole).
fn state_test(e: &Expr, sets: &[String]) -> Option<bool> {
    match e {
        Expr::BinaryOp { left, op, right } => match op {
            Op::Lt | Op::LtEq | Op::Gt | Op::GtEq | Op::NotEq => Some(true),
            Op::Eq | Op::Spaceship => Some(
                literal_vs_column(left, right)
                    || literal_vs_column(right, left)
                    || references_set_column(left, sets)
                    || references_set_column(right, sets),
            ),
            _ => None,
        },
        Expr::AnyOp { compare_op, .. } | Expr::AllOp { compare_op, .. }
            if *compare_op != Op::Eq =>
        {
            Some(true)
        }
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsNotTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotFalse(_)
        | Expr::IsUnknown(_)
        | Expr::IsNotUnknown(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::Between { .. } => Some(true),
        Expr::In {
            target: InTarget::List(list),
            ..
        } if list.iter().any(is_literal) => Some(true),
        _ => column_name(e)
            .is_some_and(|c| sets.contains(&c))
            .then_some(true),
    }
}

fn literal_vs_column(lit: &Expr, other: &Expr) -> bool {
    is_literal(lit) && !is_literal(other) && references_column(other)
}

fn references_set_column(e: &Expr, sets: &[String]) -> bool {
    search(e, |n| {
        column_name(n)
            .is_some_and(|c| sets.contains(&c))
            .then_some(true)
    })
}

/// Whether the expression reads a column of the row, ignoring upsert proposals
/// (`EXCLUDED.x`, MySQL `VALUES(x)`), which are not existing state.
fn references_column(e: &Expr) -> bool {
    search(e, |n| match n {
        Expr::CompoundIdentifier(ids)
            if ids
                .first()
                .is_some_and(|q| q.value.eq_ignore_ascii_case("excluded")) =>
        {
            Some(false)
        }
        Expr::Function(f) if func_name(f) == "values" => Some(false),
        _ => column_name(n).is_some().then_some(true),
    })
}

/// Whether the WHERE compares something with a time relative to now.
fn has_window(selection: &Expr) -> bool {
    search(selection, |e| match e {
        Expr::BinaryOp {
            left,
            op: Op::Lt | Op::LtEq | Op::Gt | Op::GtEq,
            right,
        } => Some(
            relative_to_now(left)
                || relative_to_now(right)
                || shifted_vs_now(left, right)
                || shifted_vs_now(right, left),
        ),
        Expr::Between { low, high, .. } => Some(relative_to_now(low) || relative_to_now(high)),
        _ => None,
    })
}

/// `created_at + INTERVAL '5 minutes' > NOW()`.
fn shifted_vs_now(now: &Expr, other: &Expr) -> bool {
    is_now(now) && search(other, |e| matches!(e, Expr::Interval(_)).then_some(true))
}

fn relative_to_now(e: &Expr) -> bool {
    search(e, |n| match n {
        Expr::BinaryOp {
            left,
            op: Op::Plus | Op::Minus,
            right,
        } if is_now(left) || is_now(right) => Some(true),
        Expr::Function(f) => {
            let args: Vec<&Expr> = func_args(f).collect();
            let name = func_name(f);
            if DATE_SHIFT_FUNCS.contains(&name.as_str()) && args.iter().any(|a| is_now(a)) {
                return Some(true);
            }
            // SQLite: datetime('now', '-5 minutes'): a modifier follows 'now'.
            let now_at = args
                .iter()
                .position(|a| string_value(a).is_some_and(|s| s.eq_ignore_ascii_case("now")));
            (SQLITE_DATE_FUNCS.contains(&name.as_str())
                && now_at.is_some_and(|i| i + 1 < args.len()))
            .then_some(true)
        }
        _ => None,
    })
}

const NOW_FUNCS: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "localtimestamp",
    "utc_timestamp",
    "sysdate",
    "getdate",
    "getutcdate",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "curdate",
    "unix_timestamp",
    "unixepoch",
];
const DATE_SHIFT_FUNCS: &[&str] = &[
    "date_sub",
    "date_add",
    "subdate",
    "adddate",
    "timestampadd",
    "dateadd",
];
const SQLITE_DATE_FUNCS: &[&str] = &[
    "datetime",
    "date",
    "time",
    "julianday",
    "strftime",
    "unixepoch",
];

fn is_now(e: &Expr) -> bool {
    let name = match strip_casts(e) {
        Expr::Function(f) => func_name(f),
        Expr::Identifier(id) if id.quote_style.is_none() => id.value.to_lowercase(),
        _ => return false,
    };
    NOW_FUNCS.contains(&name.as_str())
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
        Expr::BinaryOp { left, right, .. }
        | Expr::AnyOp { left, right, .. }
        | Expr::AllOp { left, right, .. }
        | Expr::IsDistinctFrom(left, right)
        | Expr::IsNotDistinctFrom(left, right)
        | Expr::Like {
            expr: left,
            pattern: right,
            ..
        }
        | Expr::ILike {
            expr: left,
            pattern: right,
            ..
        }
        | Expr::SimilarTo {
            expr: left,
            pattern: right,
            ..
        }
        | Expr::RLike {
            expr: left,
            pattern: right,
            ..
        }
        | Expr::AtTimeZone {
            timestamp: left,
            time_zone: right,
        } => stack.extend([&**left, &**right]),
        Expr::UnaryOp { expr: inner, .. }
        | Expr::Nested(inner)
        | Expr::IsNull(inner)
        | Expr::IsNotNull(inner)
        | Expr::IsTrue(inner)
        | Expr::IsNotTrue(inner)
        | Expr::IsFalse(inner)
        | Expr::IsNotFalse(inner)
        | Expr::IsUnknown(inner)
        | Expr::IsNotUnknown(inner)
        | Expr::Cast { expr: inner, .. }
        | Expr::Collate { expr: inner, .. }
        | Expr::Extract { expr: inner, .. }
        | Expr::Named { expr: inner, .. }
        | Expr::Prefixed { value: inner, .. }
        | Expr::CompoundFieldAccess { root: inner, .. }
        | Expr::JsonAccess { value: inner, .. } => stack.push(inner),
        Expr::Interval(i) => stack.push(&i.value),
        Expr::Between {
            expr, low, high, ..
        } => stack.extend([&**expr, &**low, &**high]),
        Expr::In { expr, target, .. } => {
            stack.push(expr);
            if let InTarget::List(list) = target {
                stack.extend(list);
            }
        }
        Expr::Function(f) => stack.extend(func_args(f)),
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            stack.extend(operand.as_deref().into_iter().chain(else_result.as_deref()));
            stack.extend(conditions.iter().flat_map(|c| [&c.condition, &c.result]));
        }
        Expr::Tuple(items) => stack.extend(items),
        Expr::Array(a) => stack.extend(&a.elem),
        _ => {}
    }
}

fn func_name(f: &Function) -> String {
    f.name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|id| id.value.to_lowercase())
        .unwrap_or_default()
}

fn func_args(f: &Function) -> impl Iterator<Item = &Expr> {
    let args: &[FunctionArg] = match &f.args {
        FunctionArguments::List(list) => &list.args,
        _ => &[],
    };
    args.iter().filter_map(|a| match a {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
        | FunctionArg::Named {
            arg: FunctionArgExpr::Expr(e),
            ..
        }
        | FunctionArg::ExprNamed {
            arg: FunctionArgExpr::Expr(e),
            ..
        } => Some(e),
        _ => None,
    })
}

/// Column named by an identifier; holes are parameters, and `SET x = DEFAULT` parses as a name.
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

fn string_value(e: &Expr) -> Option<&str> {
    match strip_casts(e) {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// A constant in the text: a quoted hole (`'${id}'`) and placeholders are parameters instead.
fn is_literal(e: &Expr) -> bool {
    match strip_casts(e) {
        Expr::Value(v) => {
            !matches!(v.value, Value::Placeholder(_))
                && !string_value(e).is_some_and(|s| s.starts_with(HOLE_PREFIX))
        }
        Expr::TypedString(_) => true,
        _ => false,
    }
}

fn push_table(out: &mut Vec<String>, name: &ObjectName) {
    let parts: Option<Vec<&str>> = name
        .0
        .iter()
        .map(|p| p.as_ident().map(|id| id.value.as_str()))
        .collect();
    if let Some(parts) = parts.filter(|ps| !ps.iter().any(|p| p.starts_with(HOLE_PREFIX))) {
        push_unique(out, parts.join("."));
    }
}

fn push_unique(out: &mut Vec<String>, item: String) {
    if !item.is_empty() && !out.contains(&item) {
        out.push(item);
    }
}

fn advisory_kind(name: &str) -> Option<SqlKind> {
    let name = name.to_ascii_lowercase();
    let lock = |try_lock, xact| Some(SqlKind::AdvisoryLock { try_lock, xact });
    match name.strip_suffix("_shared").unwrap_or(&name) {
        "pg_advisory_lock" => lock(false, false),
        "pg_advisory_xact_lock" => lock(false, true),
        "pg_try_advisory_lock" | "get_lock" => lock(true, false),
        "pg_try_advisory_xact_lock" => lock(true, true),
        "pg_advisory_unlock" | "pg_advisory_unlock_all" | "release_lock" | "release_all_locks" => {
            Some(SqlKind::AdvisoryUnlock)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Lexical fallback

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tk {
    Word,
    /// Quoted identifier, text without the quotes.
    Ident,
    /// String literal, text without the quotes.
    Str,
    Num,
    Param,
    /// Comparison operator (`=`, `<>`, `>=`, ...).
    Op,
    Punct,
}

#[derive(Clone, Copy, Debug)]
struct Tok<'a> {
    kind: Tk,
    text: &'a str,
}

impl Tok<'_> {
    fn is(&self, keyword: &str) -> bool {
        self.kind == Tk::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    fn is_any(&self, keywords: &[&str]) -> bool {
        keywords.iter().any(|k| self.is(k))
    }

    fn is_punct(&self, p: &str) -> bool {
        self.kind == Tk::Punct && self.text == p
    }

    /// Could name a table or column (clause keywords cannot).
    fn is_name(&self) -> bool {
        self.kind == Tk::Ident || (self.kind == Tk::Word && !self.is_any(NOT_NAMES))
    }
}

const NOT_NAMES: &[&str] = &[
    "WHERE",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "OUTER",
    "CROSS",
    "NATURAL",
    "ON",
    "USING",
    "GROUP",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "FETCH",
    "FOR",
    "LOCK",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "HAVING",
    "WINDOW",
    "SET",
    "RETURNING",
    "VALUES",
    "SELECT",
    "FROM",
    "IN",
    "LATERAL",
    "AS",
    "WHEN",
    "USE",
    "FORCE",
    "IGNORE",
    "STRAIGHT_JOIN",
    "DEFAULT",
    "OUTPUT",
];

/// Splits SQL into tokens and never fails: unterminated quotes and comments run to the end.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        loop {
            let rest = self.src.get(self.pos..)?;
            let c = rest.chars().next()?;
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if rest.starts_with("--") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if let Some(body) = rest.strip_prefix("/*") {
                self.pos += body.find("*/").map_or(rest.len(), |i| i + 4);
            } else {
                let (len, kind, text) = scan(rest, c);
                self.pos += len;
                return Some(Tok { kind, text });
            }
        }
    }
}

/// One token at the start of `rest` (whose first char is `c`): its byte length, kind and text.
/// Every index used for slicing comes from an ASCII delimiter or `find`, so is a char boundary.
fn scan(rest: &str, c: char) -> (usize, Tk, &str) {
    let run = |from: usize, pred: fn(char) -> bool| {
        rest[from..]
            .find(|ch| !pred(ch))
            .map_or(rest.len(), |i| from + i)
    };
    let word_char: fn(char) -> bool = |ch| ch.is_alphanumeric() || ch == '_' || ch == '$';
    let after = &rest[c.len_utf8()..];
    let (len, kind) = match c {
        '\'' => return quoted(rest, '\'', Tk::Str),
        '"' => return quoted(rest, '"', Tk::Ident),
        '`' => return quoted(rest, '`', Tk::Ident),
        '[' if bracket_ident(after) => return quoted(rest, ']', Tk::Ident),
        '$' if after.starts_with(|ch: char| ch.is_ascii_digit()) => {
            (run(1, |ch| ch.is_ascii_digit()), Tk::Param)
        }
        '$' if after.starts_with('$') => {
            let end = after[1..].find("$$").map_or(rest.len(), |i| i + 4);
            return (
                end,
                Tk::Str,
                rest.get(2..end.saturating_sub(2)).unwrap_or(""),
            );
        }
        ':' if after.starts_with(':') => (2, Tk::Punct),
        ':' | '@' if after.starts_with(|ch: char| ch.is_alphabetic() || ch == '_') => {
            (run(1, word_char), Tk::Param)
        }
        '?' => (1, Tk::Param),
        _ if c.is_ascii_digit() => (run(0, |ch| ch.is_alphanumeric() || ch == '.'), Tk::Num),
        _ if c.is_alphabetic() || c == '_' => (run(0, word_char), Tk::Word),
        '<' | '>' | '=' | '!' => (run(0, |ch| matches!(ch, '<' | '>' | '=' | '!')), Tk::Op),
        _ => (c.len_utf8(), Tk::Punct),
    };
    (len, kind, &rest[..len])
}

/// A quoted token opened by the ASCII char at `rest[0]`; a doubled closing quote escapes itself.
fn quoted(rest: &str, close: char, kind: Tk) -> (usize, Tk, &str) {
    let mut from = 1;
    while let Some(i) = rest[from..].find(close).map(|i| from + i) {
        if close != ']' && rest[i + 1..].starts_with(close) {
            from = i + 2;
            continue;
        }
        return (i + 1, kind, &rest[1..i]);
    }
    (rest.len(), kind, &rest[1..])
}

/// `[order]` is a SQL Server quoted name; `arr[1]` and `ARRAY[$1]` are not.
fn bracket_ident(after: &str) -> bool {
    let inner = after.find(']').map_or("", |i| &after[..i]);
    inner.starts_with(|ch: char| ch.is_alphabetic() || ch == '_')
        && inner
            .chars()
            .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == ' ')
}

fn lexical(sql: &str) -> SqlInfo {
    let toks: Vec<Tok> = Lexer::new(sql).take_while(|t| !t.is_punct(";")).collect();
    let start = toks
        .iter()
        .position(|t| !t.is_punct("("))
        .unwrap_or(toks.len());
    let mut body = &toks[start..];
    if body.first().is_some_and(|t| t.is("WITH")) {
        // Skip the CTE list: the body is the first statement keyword outside parentheses.
        match find_top(body, 1, |t| {
            t.is_any(&["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"])
        }) {
            Some(i) => body = &body[i..],
            None => return SqlInfo::new(SqlKind::Other),
        }
    }
    let keyword = match body.first() {
        Some(t) if t.kind == Tk::Word => t.text.to_ascii_uppercase(),
        _ => return SqlInfo::new(SqlKind::Other),
    };
    let kind = match keyword.as_str() {
        "SELECT" => return lex_select(body),
        "INSERT" | "REPLACE" | "MERGE" => return lex_insert(body),
        "UPDATE" => return lex_update(body),
        "DELETE" => return lex_delete(body),
        "LOCK" => {
            let mut info = SqlInfo::new(SqlKind::LockTable);
            read_table_list(
                body,
                skip_words(body, 1, &["TABLE", "TABLES"]),
                &mut info.tables,
            );
            return info;
        }
        "BEGIN" => SqlKind::Begin(lex_isolation(body).unwrap_or(Isolation::Default)),
        "START" if body.get(1).is_some_and(|t| t.is("TRANSACTION")) => {
            SqlKind::Begin(lex_isolation(body).unwrap_or(Isolation::Default))
        }
        "COMMIT" | "END" => SqlKind::Commit,
        "ROLLBACK" if !body.iter().any(|t| t.is("TO")) => SqlKind::Rollback,
        "SET" => lex_isolation(body).map_or(SqlKind::Other, SqlKind::SetIsolation),
        _ => SqlKind::Other,
    };
    SqlInfo::new(kind)
}

fn lex_isolation(toks: &[Tok]) -> Option<Isolation> {
    let level = toks.get(find_seq(toks, &["ISOLATION", "LEVEL"])? + 2)?;
    if level.is("SERIALIZABLE") {
        Some(Isolation::Serializable)
    } else if level.is("REPEATABLE") || level.is("SNAPSHOT") {
        Some(Isolation::RepeatableRead)
    } else {
        level.is("READ").then_some(Isolation::ReadCommitted)
    }
}

const LOCKING_CLAUSES: &[&[&str]] = &[
    &["FOR", "UPDATE"],
    &["FOR", "NO", "KEY", "UPDATE"],
    &["FOR", "SHARE"],
    &["FOR", "KEY", "SHARE"],
    &["LOCK", "IN", "SHARE", "MODE"],
];

fn lex_select(toks: &[Tok]) -> SqlInfo {
    let projection = &toks[..find_top(toks, 1, |t| t.is("FROM")).unwrap_or(toks.len())];
    let advisory = projection.windows(2).find_map(|w| {
        (w[0].kind == Tk::Word && w[1].is_punct("("))
            .then(|| advisory_kind(w[0].text))
            .flatten()
    });
    if let Some(kind) = advisory {
        return SqlInfo::new(kind);
    }
    let mut info = SqlInfo::new(SqlKind::Select);
    info.tables = lex_select_tables(toks);
    info.locking = LOCKING_CLAUSES
        .iter()
        .any(|clause| find_seq(toks, clause).is_some());
    info.window = lex_window(where_part(toks));
    info
}

/// FROM/JOIN tables of every SELECT, main first.
fn lex_select_tables(toks: &[Tok]) -> Vec<String> {
    let mut out = Vec::new();
    // One flag per open parenthesis: whether it holds a SELECT, so `EXTRACT(x FROM y)` names no table.
    let mut scopes = vec![true];
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        i += 1;
        if t.is_punct("(") {
            scopes.push(false);
        } else if t.is_punct(")") {
            if scopes.len() > 1 {
                scopes.pop();
            }
        } else if t.is("SELECT") {
            scopes.last_mut().into_iter().for_each(|s| *s = true);
        } else if t.is_any(&["FROM", "JOIN"]) && scopes.last() == Some(&true) {
            i = read_table_list(toks, i, &mut out);
        }
    }
    out
}

fn lex_insert(toks: &[Tok]) -> SqlInfo {
    let mut info = SqlInfo::new(SqlKind::Insert);
    let name_at = skip_words(toks, 1, INSERT_MODIFIERS);
    if let Some((parts, _)) = read_name(toks, name_at) {
        push_parts(&mut info.tables, &parts);
    }
    info.returning = toks.iter().any(|t| t.is("RETURNING"));
    let merge = toks.first().is_some_and(|t| t.is("MERGE"));
    let update_at = if merge {
        Some(find_seq(toks, &["UPDATE"]).map_or(toks.len(), |i| i + 1))
    } else {
        find_seq(toks, &["DO", "UPDATE"])
            .map(|i| i + 2)
            .or_else(|| find_seq(toks, &["ON", "DUPLICATE", "KEY", "UPDATE"]).map(|i| i + 4))
    };
    let ignore = toks.first().is_some_and(|t| t.is("INSERT"))
        && toks[..name_at].iter().any(|t| t.is("IGNORE"));
    if let Some(at) = update_at {
        info.on_conflict = Some(Conflict::DoUpdate);
        lex_assignments(toks, skip_words(toks, at, &["SET"]), &mut info);
    } else if ignore || find_seq(toks, &["DO", "NOTHING"]).is_some() {
        info.on_conflict = Some(Conflict::DoNothing);
    }
    info
}

const INSERT_MODIFIERS: &[&str] = &[
    "INTO",
    "IGNORE",
    "LOW_PRIORITY",
    "DELAYED",
    "HIGH_PRIORITY",
    "OR",
    "REPLACE",
    "ABORT",
    "FAIL",
    "ROLLBACK",
];

fn lex_update(toks: &[Tok]) -> SqlInfo {
    let mut info = SqlInfo::new(SqlKind::Update);
    let name_at = skip_words(
        toks,
        1,
        &[
            "LOW_PRIORITY",
            "IGNORE",
            "OR",
            "REPLACE",
            "ABORT",
            "FAIL",
            "ROLLBACK",
        ],
    );
    if let Some((parts, _)) = read_name(toks, name_at) {
        push_parts(&mut info.tables, &parts);
    }
    if let Some(set) = find_top(toks, name_at, |t| t.is("SET")) {
        lex_assignments(toks, set + 1, &mut info);
    }
    let cond = where_part(toks);
    info.conditional = cond.iter().any(|t| lex_state_test(t, &info.sets));
    info.window = lex_window(cond);
    info.returning = toks.iter().any(|t| t.is("RETURNING"));
    info
}

/// Conservative: any literal, non-equality operator, IS test or assigned column counts.
fn lex_state_test(t: &Tok, sets: &[String]) -> bool {
    let assigned = || sets.iter().any(|s| t.text.eq_ignore_ascii_case(s));
    match t.kind {
        Tk::Op => t.text != "=" && t.text != "==",
        Tk::Str => !t.text.starts_with(HOLE_PREFIX),
        Tk::Num => true,
        Tk::Word => t.is_any(&["IS", "BETWEEN", "TRUE", "FALSE", "NULL"]) || assigned(),
        Tk::Ident => assigned(),
        Tk::Param | Tk::Punct => false,
    }
}

fn lex_delete(toks: &[Tok]) -> SqlInfo {
    let mut info = SqlInfo::new(SqlKind::Delete);
    let name_at = find_top(toks, 1, |t| t.is("FROM")).map_or(1, |i| i + 1);
    if let Some((parts, _)) = read_name(toks, name_at) {
        push_parts(&mut info.tables, &parts);
    }
    info.conditional = find_top(toks, 1, |t| t.is("WHERE")).is_some();
    info.window = lex_window(where_part(toks));
    info.returning = toks.iter().any(|t| t.is("RETURNING"));
    info
}

/// Reads `col = value, ...` (stopping at the next clause), recording assigned columns and
/// whether any value reads a column.
fn lex_assignments(toks: &[Tok], mut i: usize, info: &mut SqlInfo) {
    while let Some((parts, eq)) = read_name(toks, i) {
        if !toks
            .get(eq)
            .is_some_and(|t| t.kind == Tk::Op && t.text == "=")
        {
            return;
        }
        if let Some(col) = parts.last() {
            push_unique(&mut info.sets, col.to_lowercase());
        }
        let end = find_top(toks, eq + 1, |t| t.is_punct(",") || t.is_any(CLAUSE_ENDS))
            .unwrap_or(toks.len());
        info.derived |= lex_reads_column(toks.get(eq + 1..end).unwrap_or_default());
        if !toks.get(end).is_some_and(|t| t.is_punct(",")) {
            return;
        }
        i = end + 1;
    }
}

const CLAUSE_ENDS: &[&str] = &[
    "WHERE",
    "RETURNING",
    "FROM",
    "ORDER",
    "LIMIT",
    "WHEN",
    "OUTPUT",
];

fn lex_reads_column(value: &[Tok]) -> bool {
    // MySQL `VALUES(col)` is the proposed row, not existing state.
    if value.first().is_some_and(|t| t.is("VALUES")) {
        return false;
    }
    let mut i = 0;
    while let Some(t) = value.get(i) {
        let next = value.get(i + 1);
        if t.is("EXCLUDED") && next.is_some_and(|n| n.is_punct(".")) {
            i += 3;
            continue;
        }
        // Type names (`$1::int`, `CAST(x AS int)`, `INTERVAL 5 MINUTE`) and function names are not columns.
        let typed = i > 0
            && (value[i - 1].is_punct("::")
                || value[i - 1].is("AS")
                || value[i - 1].kind == Tk::Num);
        let call = next.is_some_and(|n| n.is_punct("("));
        let name = t.kind == Tk::Ident || (t.kind == Tk::Word && !t.is_any(VALUE_WORDS));
        if name && !typed && !call && !t.text.starts_with(HOLE_PREFIX) {
            return true;
        }
        i += 1;
    }
    false
}

const VALUE_WORDS: &[&str] = &[
    "NULL",
    "TRUE",
    "FALSE",
    "DEFAULT",
    "INTERVAL",
    "CURRENT_TIMESTAMP",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "LOCALTIMESTAMP",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "AND",
    "OR",
    "NOT",
    "IS",
    "IN",
    "AS",
    "ARRAY",
];

/// `NOW() - ...`, `DATE_SUB(NOW(), ...)`, `datetime('now', '-5 minutes')`.
fn lex_window(toks: &[Tok]) -> bool {
    (0..toks.len()).any(|i| {
        let t = toks[i];
        let call = toks.get(i + 1).is_some_and(|n| n.is_punct("("));
        if t.is_any(NOW_FUNCS) {
            let empty_call = call && toks.get(i + 2).is_some_and(|n| n.is_punct(")"));
            let after = if empty_call { i + 3 } else { i + 1 };
            return toks
                .get(after)
                .is_some_and(|n| n.is_punct("-") || n.is_punct("+"));
        }
        // A short look at the arguments keeps nested calls from turning quadratic.
        let args = toks.get(i + 2..).unwrap_or_default();
        let args = &args[..args.len().min(16)];
        call && ((t.is_any(DATE_SHIFT_FUNCS) && args.iter().any(|a| a.is_any(NOW_FUNCS)))
            || (t.is_any(SQLITE_DATE_FUNCS)
                && args.windows(2).any(|w| {
                    w[0].kind == Tk::Str
                        && w[0].text.eq_ignore_ascii_case("now")
                        && w[1].is_punct(",")
                })))
    })
}

/// The tokens of the WHERE clause, up to the clauses that may follow it.
fn where_part<'t, 'a>(toks: &'t [Tok<'a>]) -> &'t [Tok<'a>] {
    let Some(start) = find_top(toks, 0, |t| t.is("WHERE")).map(|i| i + 1) else {
        return &[];
    };
    let ends = [
        "RETURNING",
        "ORDER",
        "LIMIT",
        "GROUP",
        "HAVING",
        "WINDOW",
        "OFFSET",
        "FETCH",
        "FOR",
        "UNION",
    ];
    let end = find_top(toks, start, |t| t.is_any(&ends)).unwrap_or(toks.len());
    &toks[start..end]
}

/// Index of the first token from `from` on, outside parentheses, that matches `pred`.
fn find_top(toks: &[Tok], from: usize, pred: impl Fn(&Tok) -> bool) -> Option<usize> {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate().skip(from) {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth -= 1;
        } else if depth <= 0 && pred(t) {
            return Some(i);
        }
    }
    None
}

/// Index where the keyword sequence `words` (non-empty) first occurs.
fn find_seq(toks: &[Tok], words: &[&str]) -> Option<usize> {
    toks.windows(words.len().max(1))
        .position(|w| w.iter().zip(words).all(|(t, k)| t.is(k)))
}

fn skip_words(toks: &[Tok], mut i: usize, words: &[&str]) -> usize {
    while toks.get(i).is_some_and(|t| t.is_any(words)) {
        i += 1;
    }
    i
}

/// A possibly qualified name at `i` (after an optional ONLY): its parts and the index after it.
fn read_name<'a>(toks: &[Tok<'a>], mut i: usize) -> Option<(Vec<&'a str>, usize)> {
    i = skip_words(toks, i, &["ONLY"]);
    let first = toks.get(i).filter(|t| t.is_name())?;
    let mut parts = vec![first.text];
    i += 1;
    while let (Some(dot), Some(part)) = (toks.get(i), toks.get(i + 1)) {
        if !dot.is_punct(".") || !matches!(part.kind, Tk::Word | Tk::Ident) {
            break;
        }
        parts.push(part.text);
        i += 2;
    }
    Some((parts, i))
}

/// `a [AS] x, b y, ...` in a FROM or LOCK list; returns the index after it.
fn read_table_list(toks: &[Tok], mut i: usize, out: &mut Vec<String>) -> usize {
    while let Some((parts, mut next)) = read_name(toks, i) {
        if toks.get(next).is_some_and(|t| t.is_punct("(")) {
            return next; // a table function such as unnest($1)
        }
        push_parts(out, &parts);
        next = skip_words(toks, next, &["AS"]);
        if toks.get(next).is_some_and(|t| t.is_name()) {
            next += 1;
        }
        if !toks.get(next).is_some_and(|t| t.is_punct(",")) {
            return next;
        }
        i = next + 1;
    }
    i
}

fn push_parts(out: &mut Vec<String>, parts: &[&str]) {
    if !parts.iter().any(|p| p.starts_with(HOLE_PREFIX)) {
        push_unique(out, parts.join("."));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(sql: &str) -> SqlInfo {
        classify(sql).unwrap_or_else(|| panic!("not classified: {sql}"))
    }

    fn kind(sql: &str) -> SqlKind {
        c(sql).kind
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn select_lists_from_and_join_tables_main_first() {
        let info = c("SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id LEFT JOIN items i ON i.oid = o.id");
        assert_eq!(info.kind, SqlKind::Select);
        assert_eq!(info.tables, strings(&["orders", "users", "items"]));
        assert!(!info.locking && !info.window && !info.conditional);
    }

    #[test]
    fn select_for_update_locks() {
        let info = c("SELECT * FROM orders WHERE id = $1 FOR UPDATE");
        assert!(info.locking);
        assert_eq!(info.tables, strings(&["orders"]));
    }

    #[test]
    fn select_for_update_skip_locked_locks() {
        assert!(
            c("SELECT id FROM jobs WHERE state = 'new' LIMIT 1 FOR UPDATE SKIP LOCKED").locking
        );
    }

    #[test]
    fn select_lock_variants_sqlparser_rejects_still_lock() {
        for sql in [
            "SELECT * FROM orders WHERE id = ? LOCK IN SHARE MODE",
            "SELECT * FROM orders WHERE id = $1 FOR NO KEY UPDATE",
            "SELECT * FROM orders WHERE id = $1 FOR KEY SHARE NOWAIT",
        ] {
            let info = c(sql);
            assert!(info.locking, "{sql}");
            assert_eq!(info.tables, strings(&["orders"]), "{sql}");
        }
    }

    #[test]
    fn insert_plain() {
        let info = c("INSERT INTO charges (a,b) VALUES ($1,$2)");
        assert_eq!(info.kind, SqlKind::Insert);
        assert_eq!(info.tables, strings(&["charges"]));
        assert_eq!(info.on_conflict, None);
        assert!(!info.returning && !info.conditional);
    }

    #[test]
    fn insert_on_conflict_do_nothing_returning() {
        let info =
            c("INSERT INTO keys (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING id");
        assert_eq!(info.on_conflict, Some(Conflict::DoNothing));
        assert!(info.returning);
    }

    #[test]
    fn insert_on_conflict_do_update_records_sets() {
        let info =
            c("INSERT INTO t (k, a) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a");
        assert_eq!(info.on_conflict, Some(Conflict::DoUpdate));
        assert_eq!(info.sets, strings(&["a"]));
        assert!(!info.derived, "EXCLUDED is the proposed row");
    }

    #[test]
    fn mysql_insert_ignore_does_nothing() {
        assert_eq!(
            c("INSERT IGNORE INTO t (a) VALUES (?)").on_conflict,
            Some(Conflict::DoNothing)
        );
        assert_eq!(
            c("INSERT OR IGNORE INTO t (a) VALUES (?)").on_conflict,
            Some(Conflict::DoNothing)
        );
    }

    #[test]
    fn mysql_on_duplicate_key_updates() {
        let info = c("INSERT INTO t (k, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1");
        assert_eq!(info.on_conflict, Some(Conflict::DoUpdate));
        assert_eq!(info.sets, strings(&["n"]));
        assert!(info.derived);
    }

    #[test]
    fn replace_into_is_plain_insert() {
        let info = c("REPLACE INTO t (a) VALUES (?)");
        assert_eq!((info.kind, info.on_conflict), (SqlKind::Insert, None));
    }

    #[test]
    fn merge_is_an_upsert() {
        let info = c(
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a \
                      WHEN NOT MATCHED THEN INSERT (id, a) VALUES (s.id, s.a)",
        );
        assert_eq!(
            (info.kind, info.on_conflict),
            (SqlKind::Insert, Some(Conflict::DoUpdate))
        );
        assert_eq!(info.sets, strings(&["a"]));
    }

    #[test]
    fn update_by_key_is_not_conditional() {
        let info = c("UPDATE orders SET status = $1 WHERE id = $2");
        assert_eq!(info.kind, SqlKind::Update);
        assert_eq!(info.tables, strings(&["orders"]));
        assert_eq!(info.sets, strings(&["status"]));
        assert!(!info.conditional && !info.derived);
    }

    #[test]
    fn update_guarded_by_state_literal_is_conditional() {
        let info =
            c("UPDATE orders SET status='paid' WHERE id=$1 AND status='pending' RETURNING *");
        assert!(info.conditional && info.returning);
        assert!(c("UPDATE coupons SET owner = $1 WHERE code = $2 AND used = false").conditional);
    }

    #[test]
    fn update_with_balance_guard_is_conditional_and_derived() {
        let info = c("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1");
        assert!(info.conditional && info.derived);
    }

    #[test]
    fn update_guarded_by_is_null_is_conditional() {
        let info =
            c("UPDATE coupons SET redeemed_at = NOW() WHERE code = $1 AND redeemed_at IS NULL");
        assert!(info.conditional);
        assert!(!info.derived);
    }

    #[test]
    fn update_increment_is_derived_not_conditional() {
        let info = c("UPDATE t SET n = n + 1 WHERE id = $1");
        assert!(info.derived && !info.conditional);
    }

    #[test]
    fn update_to_default_or_clock_is_not_derived() {
        assert!(!c("UPDATE t SET a = DEFAULT, b = now(), c = $1::int WHERE id = $2").derived);
    }

    #[test]
    fn update_with_in_list_of_literals_is_conditional() {
        assert!(
            c("UPDATE jobs SET state = $1 WHERE id = $2 AND state IN ('new', 'retry')").conditional
        );
        assert!(!c("UPDATE jobs SET state = $1 WHERE id = ANY($2)").conditional);
    }

    #[test]
    fn update_with_holes_treats_them_as_parameters() {
        let info =
            c("UPDATE orders SET status = __hole0 WHERE id = __hole1 AND tenant = '__hole2'");
        assert!(!info.conditional && !info.derived);
    }

    #[test]
    fn update_in_fallback_keeps_conditional_shape() {
        let guarded =
            c("UPDATE [orders] SET status = 'paid' WHERE id = @id AND status = 'pending'");
        assert_eq!(guarded.tables, strings(&["orders"]));
        assert_eq!(guarded.sets, strings(&["status"]));
        assert!(guarded.conditional && !guarded.derived);
        let keyed = c("UPDATE [orders] SET n = n + 1 WHERE id = @id");
        assert!(!keyed.conditional && keyed.derived);
    }

    #[test]
    fn delete_with_where_is_conditional() {
        let info = c("DELETE FROM tokens WHERE token = $1");
        assert_eq!(info.kind, SqlKind::Delete);
        assert_eq!(info.tables, strings(&["tokens"]));
        assert!(info.conditional);
        assert!(!c("DELETE FROM tokens").conditional);
    }

    #[test]
    fn seed_query_has_time_window() {
        let info = c(
            "SELECT id FROM charges WHERE user_id = $1 AND product_id = $2 \
                      AND created_at > NOW() - INTERVAL '5 minutes'",
        );
        assert!(info.window);
        assert_eq!(info.tables, strings(&["charges"]));
    }

    #[test]
    fn window_forms_across_dialects() {
        for sql in [
            "SELECT 1 FROM c WHERE created_at > DATE_SUB(NOW(), INTERVAL 5 MINUTE)",
            "SELECT 1 FROM c WHERE created_at >= now() - interval '1 hour'",
            "SELECT 1 FROM c WHERE created_at > CURRENT_TIMESTAMP - INTERVAL '1 hour'",
            "SELECT 1 FROM c WHERE created_at > NOW() - $1::interval",
            "SELECT 1 FROM c WHERE created_at > datetime('now', '-5 minutes')",
            "UPDATE c SET n = 0 WHERE created_at < now() - interval '1 day'",
            "SELECT 1 FROM [c] WHERE created_at > DATE_SUB(NOW(), INTERVAL 5 MINUTE)",
        ] {
            assert!(c(sql).window, "{sql}");
        }
        assert!(!c("SELECT 1 FROM c WHERE expires_at > NOW()").window);
    }

    #[test]
    fn hole_in_value_position_is_a_parameter() {
        assert_eq!(
            c("SELECT * FROM orders WHERE id = __hole0").tables,
            strings(&["orders"])
        );
    }

    #[test]
    fn hole_in_table_position_names_no_table() {
        assert!(c("SELECT * FROM __hole0 WHERE id = $1").tables.is_empty());
        assert!(c("SELECT * FROM __hole0 ORDER BY __hole1 __hole2")
            .tables
            .is_empty());
    }

    #[test]
    fn transaction_control() {
        assert_eq!(kind("BEGIN"), SqlKind::Begin(Isolation::Default));
        assert_eq!(
            kind("BEGIN ISOLATION LEVEL SERIALIZABLE"),
            SqlKind::Begin(Isolation::Serializable)
        );
        assert_eq!(
            kind("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
            SqlKind::Begin(Isolation::RepeatableRead)
        );
        assert_eq!(
            kind("START TRANSACTION"),
            SqlKind::Begin(Isolation::Default)
        );
        assert_eq!(
            kind("START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE"),
            SqlKind::Begin(Isolation::Serializable)
        );
        assert_eq!(kind("COMMIT"), SqlKind::Commit);
        assert_eq!(kind("END"), SqlKind::Commit);
        assert_eq!(kind("ROLLBACK"), SqlKind::Rollback);
        assert_eq!(kind("ROLLBACK TO SAVEPOINT a"), SqlKind::Other);
        assert_eq!(kind("SAVEPOINT a"), SqlKind::Other);
        assert_eq!(kind("RELEASE SAVEPOINT a"), SqlKind::Other);
    }

    #[test]
    fn set_transaction_isolation() {
        let serializable = SqlKind::SetIsolation(Isolation::Serializable);
        assert_eq!(
            kind("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
            serializable
        );
        assert_eq!(
            kind("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
            serializable
        );
        assert_eq!(
            kind("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"),
            SqlKind::SetIsolation(Isolation::ReadCommitted)
        );
        assert_eq!(kind("SET search_path TO app"), SqlKind::Other);
    }

    #[test]
    fn advisory_locks() {
        assert_eq!(
            kind("SELECT pg_advisory_xact_lock($1)"),
            SqlKind::AdvisoryLock {
                try_lock: false,
                xact: true
            }
        );
        assert_eq!(
            kind("SELECT pg_try_advisory_lock(hashtext($1)) AS locked"),
            SqlKind::AdvisoryLock {
                try_lock: true,
                xact: false
            }
        );
        assert_eq!(
            kind("SELECT GET_LOCK('x', 10)"),
            SqlKind::AdvisoryLock {
                try_lock: true,
                xact: false
            }
        );
        assert_eq!(
            kind("SELECT pg_advisory_unlock($1)"),
            SqlKind::AdvisoryUnlock
        );
        assert_eq!(kind("SELECT RELEASE_LOCK('x')"), SqlKind::AdvisoryUnlock);
    }

    #[test]
    fn advisory_lock_in_fallback() {
        assert_eq!(
            kind("SELECT pg_advisory_lock(__hole0 __hole1)"),
            SqlKind::AdvisoryLock {
                try_lock: false,
                xact: false
            }
        );
    }

    #[test]
    fn lock_table() {
        let info = c("LOCK TABLE orders IN EXCLUSIVE MODE");
        assert_eq!(
            (info.kind, info.tables),
            (SqlKind::LockTable, strings(&["orders"]))
        );
        assert_eq!(kind("LOCK TABLES orders WRITE"), SqlKind::LockTable);
    }

    #[test]
    fn cte_classified_by_body() {
        let info = c("WITH due AS (SELECT id FROM jobs WHERE run_at < now()) \
                      UPDATE jobs SET state = 'running' WHERE id IN (SELECT id FROM due)");
        assert_eq!(
            (info.kind, info.tables),
            (SqlKind::Update, strings(&["jobs"]))
        );
        let select = c("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent");
        assert_eq!(
            (select.kind, select.tables),
            (SqlKind::Select, strings(&["orders"]))
        );
    }

    #[test]
    fn quoted_identifiers_are_unquoted() {
        assert_eq!(
            c(r#"SELECT * FROM "Order" WHERE "id" = $1"#).tables,
            strings(&["Order"])
        );
        assert_eq!(
            c("SELECT * FROM `order` WHERE id = ?").tables,
            strings(&["order"])
        );
        assert_eq!(
            c("SELECT * FROM [order] WHERE id = @id").tables,
            strings(&["order"])
        );
        assert_eq!(
            c(r#"UPDATE t SET "Status" = $1 WHERE id = $2"#).sets,
            strings(&["status"])
        );
    }

    #[test]
    fn schema_qualified_names_keep_schema() {
        assert_eq!(
            c("SELECT * FROM public.orders WHERE id = $1").tables,
            strings(&["public.orders"])
        );
        assert_eq!(
            c("DELETE FROM public.orders WHERE id = ?;").tables,
            strings(&["public.orders"])
        );
    }

    #[test]
    fn non_sql_text_is_none() {
        for text in [
            "hello world",
            "user:123",
            "",
            "   ",
            "-- just a comment",
            "((",
            "selection",
        ] {
            assert_eq!(classify(text), None, "{text:?}");
        }
    }

    #[test]
    fn leading_comments_and_parens_are_skipped() {
        assert_eq!(
            kind("/* app */ -- note\n (SELECT 1) UNION (SELECT 2)"),
            SqlKind::Select
        );
    }

    #[test]
    fn broken_sql_falls_back_to_lexical() {
        let info = c("SELECT * FROM orders WHERE");
        assert_eq!(
            (info.kind, info.tables),
            (SqlKind::Select, strings(&["orders"]))
        );
        assert_eq!(
            c("INSERT INTO charges (a, b) VALUES (").tables,
            strings(&["charges"])
        );
    }

    #[test]
    fn huge_text_uses_fallback_without_panicking() {
        let sql = format!(
            "SELECT * FROM orders WHERE id IN ({}1)",
            "1, ".repeat(70_000)
        );
        assert!(sql.len() > 200_000);
        assert_eq!(c(&sql).tables, strings(&["orders"]));
    }

    #[test]
    fn deep_nesting_does_not_panic() {
        let parens = format!("SELECT {}", "(".repeat(10_000));
        assert_eq!(kind(&parens), SqlKind::Select);
        assert_eq!(classify(&"(".repeat(10_000)), None);
        let chain = format!(
            "UPDATE t SET a = 1 WHERE id = $1{}",
            " OR id = $1".repeat(9_000)
        );
        assert!(!c(&chain).conditional);
        let casts = format!("SELECT 1 FROM t WHERE a = $1{}", "::int".repeat(15_000));
        assert_eq!(c(&casts).tables, strings(&["t"]));
    }

    #[test]
    fn garbage_does_not_panic() {
        let pieces = [
            "SELECT",
            "UPDATE",
            "INSERT",
            "WITH",
            "FROM",
            "WHERE",
            "SET",
            "INTO",
            "(",
            ")",
            "'",
            "\"",
            "`",
            "[",
            "]",
            "$1",
            "?",
            "::",
            "=",
            "<>",
            ",",
            ";",
            "--",
            "/*",
            "*/",
            "$$",
            "é",
            "€",
            "𝄞",
            "__hole0",
            "NOW()",
            "-",
            "INTERVAL",
            "ON CONFLICT",
            "DO",
            "x",
            "1.5e",
            "\\",
            "@",
            ":a",
            "\n",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..400 {
            let mut sql = String::from(if seed % 3 == 0 { "" } else { "SELECT " });
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                sql.push_str(pieces[(seed % pieces.len() as u64) as usize]);
                if seed % 5 == 0 {
                    sql.push(' ');
                }
            }
            let _ = classify(&sql);
            let _ = lexical(&sql);
        }
        for sql in [
            "SELECT 'abc",
            "SELECT \"abc",
            "/* open",
            "SELECT $$x",
            "UPDATE [",
            "SELECT E'\\'",
            "é",
        ] {
            let _ = classify(sql);
            let _ = lexical(sql);
        }
    }
}
