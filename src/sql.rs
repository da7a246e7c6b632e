//! Classifies SQL text found in application code: statement kind, tables, row locks, upserts and
//! whether an UPDATE's WHERE re-checks row state.
//!
//! A token scan (which never fails) decides the kind and the clause flags, because several of
//! them are syntax `sqlparser` rejects (`FOR NO KEY UPDATE`, `LOCK IN SHARE MODE`). Tables,
//! assigned columns and predicate shape come from the `sqlparser` AST when some dialect parses
//! the text, and from a conservative token heuristic otherwise.

use crate::ir::Isolation;
use sqlparser::ast::{
    Assignment, AssignmentTarget, BinaryOperator as Op, Expr, FromTable, FunctionArg,
    FunctionArgExpr, FunctionArguments, InTarget, MergeAction, MergeUpdateKind, ObjectName,
    OnConflict, OnConflictAction, OnInsert, Query, Select, SetExpr, Statement, TableFactor,
    TableObject, TableWithJoins, UnaryOperator, Value,
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
    /// every DELETE with a WHERE; a SELECT whose WHERE tests row state (`status = 'unpaid'`), so
    /// finding a row is itself a check of that state.
    pub conditional: bool,
    /// Columns assigned by UPDATE SET / upsert SET, lowercased and unquoted.
    pub sets: Vec<String>,
    /// Assigned columns whose value is computed from a column of the row (`n = n + 1`).
    pub derived: Vec<String>,
    /// The WHERE compares against a time relative to now (`created_at > NOW() - INTERVAL ...`).
    pub window: bool,
}

/// Longer texts skip the parser, whose cost on huge generated SQL is not worth it.
const MAX_PARSE_LEN: usize = 100_000;

/// Texts with more operators skip the parser: it builds operator chains (`a + a + ...`, `UNION`)
/// as nested boxes that drop recursively, and ~25k levels overflow a 2 MiB thread stack. Each
/// level needs an operator token, so this bounds the depth with a wide margin.
const MAX_PARSE_OPERATORS: usize = 5_000;

#[rustfmt::skip]
const INFIX_WORDS: &[&str] = &["AND", "OR", "XOR", "NOT", "IS", "IN", "LIKE", "ILIKE", "SIMILAR",
    "REGEXP", "RLIKE", "GLOB", "MATCH", "BETWEEN", "AT", "COLLATE", "DIV", "MOD", "OPERATOR",
    "OVERLAPS", "ESCAPE", "ISNULL", "NOTNULL", "UNION", "EXCEPT", "INTERSECT", "MINUS"];

#[rustfmt::skip]
const LEADING_KEYWORDS: &[&str] = &["SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "BEGIN",
    "START", "COMMIT", "END", "ROLLBACK", "SET", "LOCK", "REPLACE", "MERGE", "SAVEPOINT",
    "RELEASE"];

/// Classify one SQL text; None when it does not start like SQL at all.
/// Whether a fragment of SQL compares against a time relative to now (`now() - interval '5
/// minutes'`), as in a raw piece of a query builder (`knex.raw(..)`, drizzle's `sql`).
pub fn mentions_window(fragment: &str) -> bool {
    // The fragment may be the host language's call around the SQL: its quotes are not SQL's.
    let unquoted = fragment.replace(['"', '`'], " ");
    let toks: Vec<Tok> = Lexer::new(&unquoted).collect();
    lex_window(&toks)
}

pub fn classify(sql: &str) -> Option<SqlInfo> {
    let first = Lexer::new(sql).find(|t| !t.is_punct("("))?;
    if !first.is_any(LEADING_KEYWORDS) {
        return None;
    }
    let toks: Vec<Tok> = Lexer::new(sql).take_while(|t| !t.is_punct(";")).collect();
    let body = statement_body(&toks);
    let mut info = scan_clauses(body);
    if matches!(
        info.kind,
        SqlKind::Select | SqlKind::Insert | SqlKind::Update | SqlKind::Delete | SqlKind::LockTable
    ) {
        let operators = body.iter().filter(|t| t.is_operator()).count();
        let parsed = (sql.len() <= MAX_PARSE_LEN && operators <= MAX_PARSE_OPERATORS)
            .then(|| parse_first(sql))
            .flatten();
        match parsed {
            Some(stmt) => ast_structure(&mut info, &stmt),
            None => token_structure(&mut info, body),
        }
    }
    Some(info)
}

// ---------------------------------------------------------------------------------------------
// Kind and clause flags, from tokens

/// The tokens of the statement proper: past leading parentheses and any CTE list.
fn statement_body<'t, 'a>(toks: &'t [Tok<'a>]) -> &'t [Tok<'a>] {
    let start = toks
        .iter()
        .position(|t| !t.is_punct("("))
        .unwrap_or(toks.len());
    let body = &toks[start..];
    if !body.first().is_some_and(|t| t.is("WITH")) {
        return body;
    }
    let dml = ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"];
    find_top(body, 1, |t| t.is_any(&dml)).map_or(&[], |i| &body[i..])
}

fn scan_clauses(body: &[Tok]) -> SqlInfo {
    let mut info = SqlInfo {
        kind: scan_kind(body),
        tables: Vec::new(),
        locking: false,
        on_conflict: None,
        returning: false,
        conditional: false,
        sets: Vec::new(),
        derived: Vec::new(),
        window: false,
    };
    let returning = body.iter().any(|t| t.is("RETURNING"));
    match info.kind {
        SqlKind::Select => {
            info.locking = LOCKING_CLAUSES.iter().any(|c| find_seq(body, c).is_some());
            // From the FROM on, where filters are (a computed column of the select list is
            // not one); with no FROM, in the select list itself: `SELECT EXISTS(.. WHERE
            // created_at > now() - ..)`.
            let from = find_top(body, 1, |t| t.is("FROM")).unwrap_or(0);
            info.window = lex_window(&body[from..]);
            info.conditional = where_part(body).iter().any(|t| token_tests_state(t, &[]));
        }
        SqlKind::Insert => (info.on_conflict, info.returning) = (scan_conflict(body), returning),
        SqlKind::Update | SqlKind::Delete => {
            (info.window, info.returning) = (lex_window(where_part(body)), returning)
        }
        _ => {}
    }
    info
}

fn scan_kind(body: &[Tok]) -> SqlKind {
    let keyword = match body.first() {
        Some(t) if t.kind == Tk::Word => t.text.to_ascii_uppercase(),
        _ => return SqlKind::Other,
    };
    let begin = || SqlKind::Begin(scan_isolation(body).unwrap_or(Isolation::Default));
    match keyword.as_str() {
        "SELECT" => {
            let projection = &body[..find_top(body, 1, |t| t.is("FROM")).unwrap_or(body.len())];
            let mut calls = projection
                .windows(2)
                .filter(|w| w[0].kind == Tk::Word && w[1].is_punct("("));
            calls
                .find_map(|w| advisory_kind(w[0].text))
                .unwrap_or(SqlKind::Select)
        }
        "INSERT" | "REPLACE" | "MERGE" => SqlKind::Insert,
        "UPDATE" => SqlKind::Update,
        "DELETE" => SqlKind::Delete,
        "LOCK" => SqlKind::LockTable,
        "BEGIN" => begin(),
        "START" if body.get(1).is_some_and(|t| t.is("TRANSACTION")) => begin(),
        "COMMIT" | "END" => SqlKind::Commit,
        "ROLLBACK" if !body.iter().any(|t| t.is("TO")) => SqlKind::Rollback,
        "SET" => scan_isolation(body).map_or(SqlKind::Other, SqlKind::SetIsolation),
        _ => SqlKind::Other,
    }
}

/// READ UNCOMMITTED behaves as READ COMMITTED in PostgreSQL; SNAPSHOT is closest to
/// REPEATABLE READ.
fn scan_isolation(toks: &[Tok]) -> Option<Isolation> {
    let level = toks.get(find_seq(toks, &["ISOLATION", "LEVEL"])? + 2)?;
    if level.is("SERIALIZABLE") {
        Some(Isolation::Serializable)
    } else if level.is("REPEATABLE") || level.is("SNAPSHOT") {
        Some(Isolation::RepeatableRead)
    } else {
        level.is("READ").then_some(Isolation::ReadCommitted)
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

#[rustfmt::skip]
const LOCKING_CLAUSES: &[&[&str]] = &[&["FOR", "UPDATE"], &["FOR", "NO", "KEY", "UPDATE"],
    &["FOR", "SHARE"], &["FOR", "KEY", "SHARE"], &["LOCK", "IN", "SHARE", "MODE"]];

/// Words between INSERT / REPLACE / MERGE / UPDATE and the target table.
#[rustfmt::skip]
const VERB_MODIFIERS: &[&str] = &["INTO", "IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY",
    "OR", "REPLACE", "ABORT", "FAIL", "ROLLBACK"];

fn scan_conflict(body: &[Tok]) -> Option<Conflict> {
    let head = &body[..skip_words(body, 1, VERB_MODIFIERS).min(body.len())];
    // INSERT IGNORE (MySQL), INSERT OR IGNORE (SQLite); REPLACE INTO is a plain insert.
    let ignore =
        head.first().is_some_and(|t| t.is("INSERT")) && head.iter().any(|t| t.is("IGNORE"));
    if upsert_set_start(body).is_some() {
        Some(Conflict::DoUpdate)
    } else if ignore || find_seq(body, &["DO", "NOTHING"]).is_some() {
        Some(Conflict::DoNothing)
    } else {
        None
    }
}

/// Where the assignments of an upsert begin: `DO UPDATE SET`, `ON DUPLICATE KEY UPDATE`, MERGE's
/// `UPDATE SET`.
fn upsert_set_start(body: &[Tok]) -> Option<usize> {
    let at = if body.first().is_some_and(|t| t.is("MERGE")) {
        find_seq(body, &["UPDATE"]).map_or(body.len(), |i| i + 1)
    } else {
        find_seq(body, &["DO", "UPDATE"])
            .map(|i| i + 2)
            .or_else(|| find_seq(body, &["ON", "DUPLICATE", "KEY", "UPDATE"]).map(|i| i + 4))?
    };
    Some(skip_words(body, at, &["SET"]))
}

#[rustfmt::skip]
const NOW_FUNCS: &[&str] = &["NOW", "CURRENT_TIMESTAMP", "CURRENT_DATE", "LOCALTIMESTAMP",
    "UTC_TIMESTAMP", "SYSDATE", "GETDATE", "GETUTCDATE", "CLOCK_TIMESTAMP", "STATEMENT_TIMESTAMP",
    "TRANSACTION_TIMESTAMP", "CURDATE", "UNIX_TIMESTAMP", "UNIXEPOCH"];
#[rustfmt::skip]
const DATE_SHIFT_FUNCS: &[&str] = &["DATE_SUB", "DATE_ADD", "SUBDATE", "ADDDATE", "TIMESTAMPADD",
    "DATEADD"];
#[rustfmt::skip]
const SQLITE_DATE_FUNCS: &[&str] = &["DATETIME", "DATE", "TIME", "JULIANDAY", "STRFTIME",
    "UNIXEPOCH"];
#[rustfmt::skip]
const WHERE_ENDS: &[&str] = &["RETURNING", "ORDER", "LIMIT", "GROUP", "HAVING", "WINDOW", "OFFSET",
    "FOR", "UNION"];

/// `NOW() - ...`, `CURRENT_TIMESTAMP + ...`, `DATE_SUB(NOW(), ...)`,
/// `datetime('now', '-5 minutes')`.
fn lex_window(toks: &[Tok]) -> bool {
    (0..toks.len()).any(|i| {
        let (t, next) = (toks[i], |k: usize| toks.get(i + k));
        let call = next(1).is_some_and(|n| n.is_punct("("));
        if t.is_any(NOW_FUNCS) {
            let after = if call && next(2).is_some_and(|n| n.is_punct(")")) {
                3
            } else {
                1
            };
            return next(after).is_some_and(|n| n.is_punct("-") || n.is_punct("+"));
        }
        // A short look at the arguments keeps nested calls from turning quadratic.
        let args = toks.get(i + 2..).unwrap_or_default();
        let args = &args[..args.len().min(16)];
        let now_arg = |w: &[Tok]| {
            w[0].kind == Tk::Str && w[0].text.eq_ignore_ascii_case("now") && w[1].is_punct(",")
        };
        call && ((t.is_any(DATE_SHIFT_FUNCS) && args.iter().any(|a| a.is_any(NOW_FUNCS)))
            || (t.is_any(SQLITE_DATE_FUNCS) && args.windows(2).any(now_arg)))
    })
}

/// The tokens of the top-level WHERE clause, up to the clauses that may follow it.
fn where_part<'t, 'a>(toks: &'t [Tok<'a>]) -> &'t [Tok<'a>] {
    let Some(start) = find_top(toks, 0, |t| t.is("WHERE")).map(|i| i + 1) else {
        return &[];
    };
    &toks[start..find_top(toks, start, |t| t.is_any(WHERE_ENDS)).unwrap_or(toks.len())]
}

// ---------------------------------------------------------------------------------------------
// Tables, assignments and predicate shape from the AST

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

fn ast_structure(info: &mut SqlInfo, stmt: &Statement) {
    match stmt {
        Statement::Query(q) => query_structure(info, q),
        Statement::Insert(ins) => {
            if let TableObject::TableName(name) = &ins.table {
                push_table(&mut info.tables, name);
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

/// FROM/JOIN tables of the leftmost SELECT of a query body, main first.
fn select_tables(body: &SetExpr) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(select) = first_select(body) {
        from_tables(&select.from, &mut out);
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

fn push_parts(out: &mut Vec<String>, parts: &[&str]) {
    if !parts.is_empty() && !parts.iter().any(|p| p.starts_with(HOLE_PREFIX)) {
        push_unique(out, parts.join("."));
    }
}

fn push_unique(out: &mut Vec<String>, item: String) {
    if !item.is_empty() && !out.contains(&item) {
        out.push(item);
    }
}

// ---------------------------------------------------------------------------------------------
// Tables, assignments and predicate shape from tokens, when no dialect parses the text

fn token_structure(info: &mut SqlInfo, body: &[Tok]) {
    let first = |kws: &[&str]| skip_words(body, 1, kws);
    match info.kind {
        SqlKind::Select => info.tables = select_scope_tables(body),
        SqlKind::LockTable => {
            read_table_list(body, first(&["TABLE", "TABLES"]), &mut info.tables);
        }
        SqlKind::Insert => {
            read_target(info, body, first(VERB_MODIFIERS));
            if let Some(at) = upsert_set_start(body) {
                token_assignments(info, body, at);
            }
        }
        SqlKind::Update => {
            let name_at = first(VERB_MODIFIERS);
            read_target(info, body, name_at);
            if let Some(set) = find_top(body, name_at, |t| t.is("SET")) {
                token_assignments(info, body, set + 1);
            }
            info.conditional = where_part(body)
                .iter()
                .any(|t| token_tests_state(t, &info.sets));
        }
        SqlKind::Delete => {
            let from = find_top(body, 1, |t| t.is("FROM"));
            read_target(info, body, from.map_or(1, |i| i + 1));
            info.conditional = find_top(body, 1, |t| t.is("WHERE")).is_some();
        }
        _ => {}
    }
}

fn read_target(info: &mut SqlInfo, body: &[Tok], at: usize) {
    if let Some((parts, _)) = read_name(body, at) {
        push_parts(&mut info.tables, &parts);
    }
}

/// FROM/JOIN tables of every SELECT in the text, main first.
fn select_scope_tables(toks: &[Tok]) -> Vec<String> {
    let mut out = Vec::new();
    // One flag per open parenthesis: whether it holds a SELECT, so that `EXTRACT(x FROM y)`
    // names no table.
    let mut scopes = vec![true];
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        i += 1;
        if t.is_punct("(") {
            scopes.push(false);
        } else if t.is_punct(")") && scopes.len() > 1 {
            scopes.pop();
        } else if t.is("SELECT") {
            scopes.last_mut().into_iter().for_each(|s| *s = true);
        } else if t.is_any(&["FROM", "JOIN"]) && scopes.last() == Some(&true) {
            i = read_table_list(toks, i, &mut out);
        }
    }
    out
}

/// `col = value, ...` up to the next clause: records assigned columns, and as `derived` the
/// common self-reference (`n = n + 1`).
fn token_assignments(info: &mut SqlInfo, toks: &[Tok], mut i: usize) {
    let ends = ["WHERE", "RETURNING", "FROM", "ORDER", "LIMIT", "WHEN"];
    while let Some((parts, eq)) = read_name(toks, i) {
        let Some(col) = parts
            .last()
            .filter(|_| toks.get(eq).is_some_and(|t| t.is_op("=")))
        else {
            return;
        };
        push_unique(&mut info.sets, col.to_lowercase());
        let end =
            find_top(toks, eq + 1, |t| t.is_punct(",") || t.is_any(&ends)).unwrap_or(toks.len());
        let value = toks.get(eq + 1..end).unwrap_or_default();
        let proposed =
            |i: usize| i >= 2 && value[i - 1].is_punct(".") && value[i - 2].is("EXCLUDED");
        let reads_self = |i: usize| {
            matches!(value[i].kind, Tk::Word | Tk::Ident) && value[i].text.eq_ignore_ascii_case(col)
        };
        if (0..value.len()).any(|i| reads_self(i) && !proposed(i)) {
            push_unique(&mut info.derived, col.to_lowercase());
        }
        if !toks.get(end).is_some_and(|t| t.is_punct(",")) {
            return;
        }
        i = end + 1;
    }
}

/// Conservative: any literal, non-equality operator, IS/BETWEEN test or assigned column counts.
fn token_tests_state(t: &Tok, sets: &[String]) -> bool {
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

/// A possibly qualified name at `i` (after an optional ONLY): its parts and the index after it.
fn read_name<'a>(toks: &[Tok<'a>], i: usize) -> Option<(Vec<&'a str>, usize)> {
    let mut i = skip_words(toks, i, &["ONLY"]);
    let mut parts = vec![toks.get(i).filter(|t| t.is_name())?.text];
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
        next += usize::from(toks.get(next).is_some_and(|t| t.is_name()));
        if !toks.get(next).is_some_and(|t| t.is_punct(",")) {
            return next;
        }
        i = next + 1;
    }
    i
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

/// Index where the keyword sequence `words` first occurs.
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

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tk {
    Word,
    /// Quoted identifier; text without the quotes.
    Ident,
    /// String literal; text without the quotes.
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

#[rustfmt::skip]
const NOT_NAMES: &[&str] = &["WHERE", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS",
    "NATURAL", "ON", "USING", "GROUP", "ORDER", "LIMIT", "OFFSET", "FETCH", "FOR", "LOCK", "UNION",
    "EXCEPT", "INTERSECT", "HAVING", "WINDOW", "SET", "RETURNING", "VALUES", "SELECT", "FROM", "IN",
    "LATERAL", "AS", "WHEN", "USE", "FORCE", "IGNORE", "STRAIGHT_JOIN", "DEFAULT", "OUTPUT"];

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

    fn is_op(&self, op: &str) -> bool {
        self.kind == Tk::Op && self.text == op
    }

    /// Anything that may nest the expression tree one level deeper.
    fn is_operator(&self) -> bool {
        let bracket = matches!(self.text, "(" | ")" | "," | "." | ";" | "[" | "]");
        self.kind == Tk::Op || (self.kind == Tk::Punct && !bracket) || self.is_any(INFIX_WORDS)
    }

    /// Could name a table or column (clause keywords cannot).
    fn is_name(&self) -> bool {
        self.kind == Tk::Ident || (self.kind == Tk::Word && !self.is_any(NOT_NAMES))
    }
}

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
            } else if let Some(comment) = rest.strip_prefix("/*") {
                self.pos += comment.find("*/").map_or(rest.len(), |i| i + 4);
            } else {
                let (len, kind, text) = scan(rest, c);
                self.pos += len;
                return Some(Tok { kind, text });
            }
        }
    }
}

/// The token at the start of `rest` (whose first char is `c`): byte length, kind and text. Every
/// slicing index comes from an ASCII delimiter or `find`, so it is a char boundary.
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
        '$' if after.starts_with('$') => {
            return match rest[2..].find("$$") {
                Some(i) => (i + 4, Tk::Str, &rest[2..i + 2]),
                None => (rest.len(), Tk::Str, &rest[2..]),
            };
        }
        '$' if after.starts_with(|ch: char| ch.is_ascii_digit()) => {
            (run(1, |ch| ch.is_ascii_digit()), Tk::Param)
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

/// A token quoted by the ASCII char at `rest[0]`; a doubled closing quote escapes itself.
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
#[cfg(test)]
mod tests {
    use super::*;

    fn c(sql: &str) -> SqlInfo {
        classify(sql).unwrap_or_else(|| panic!("not classified: {sql}"))
    }

    fn kind(sql: &str) -> SqlKind {
        c(sql).kind
    }

    fn tables(sql: &str) -> Vec<String> {
        c(sql).tables
    }

    /// The token-only path, as taken when no dialect parses the text.
    fn fallback(sql: &str) -> SqlInfo {
        let toks: Vec<Tok> = Lexer::new(sql).take_while(|t| !t.is_punct(";")).collect();
        let body = statement_body(&toks);
        let mut info = scan_clauses(body);
        token_structure(&mut info, body);
        info
    }

    #[test]
    fn select_lists_from_join_and_derived_tables_main_first() {
        let info = c(
            "SELECT * FROM orders o JOIN users u ON u.id = o.uid LEFT JOIN items i ON i.x = u.id",
        );
        assert_eq!(info.kind, SqlKind::Select);
        assert_eq!(info.tables, ["orders", "users", "items"]);
        assert!(!info.locking && !info.window && !info.conditional);
        assert_eq!(
            tables("SELECT * FROM a, b AS x WHERE a.id = x.id"),
            ["a", "b"]
        );
        assert_eq!(tables("SELECT * FROM (SELECT * FROM orders) o"), ["orders"]);
    }

    #[test]
    fn select_locking_clauses() {
        for sql in [
            "SELECT * FROM orders WHERE id = $1 FOR UPDATE",
            "SELECT * FROM orders WHERE state = 'new' LIMIT 1 FOR UPDATE SKIP LOCKED",
            "SELECT * FROM orders WHERE id = $1 FOR SHARE NOWAIT",
            "SELECT * FROM orders WHERE id = $1 FOR NO KEY UPDATE",
            "SELECT * FROM orders WHERE id = $1 FOR KEY SHARE",
            "SELECT * FROM orders WHERE id = ? LOCK IN SHARE MODE",
        ] {
            let info = c(sql);
            assert!(info.locking, "{sql}");
            assert_eq!(info.tables, ["orders"], "{sql}");
        }
        assert!(!c("SELECT * FROM orders WHERE id = $1").locking);
    }

    #[test]
    fn insert_plain() {
        let info = c("INSERT INTO charges (a,b) VALUES ($1,$2)");
        assert_eq!(info.kind, SqlKind::Insert);
        assert_eq!(info.tables, ["charges"]);
        assert_eq!(info.on_conflict, None);
        assert!(!info.returning && !info.conditional && info.sets.is_empty());
    }

    #[test]
    fn insert_conflict_clauses() {
        let conflict = |sql: &str| c(sql).on_conflict;
        for sql in [
            "INSERT INTO keys (key) VALUES ($1) ON CONFLICT (key) DO NOTHING",
            "INSERT IGNORE INTO t (a) VALUES (?)",
            "INSERT OR IGNORE INTO t (a) VALUES (?)",
        ] {
            assert_eq!(conflict(sql), Some(Conflict::DoNothing), "{sql}");
        }
        for sql in [
            "INSERT INTO t (k) VALUES ($1) ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a",
            "INSERT INTO t (k) VALUES (?) ON DUPLICATE KEY UPDATE n = VALUES(n)",
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a",
        ] {
            assert_eq!(conflict(sql), Some(Conflict::DoUpdate), "{sql}");
            assert_eq!(kind(sql), SqlKind::Insert);
        }
        assert_eq!(conflict("REPLACE INTO t (a) VALUES (?)"), None);
        assert!(c("INSERT INTO k (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id").returning);
    }

    #[test]
    fn upsert_sets_and_derived() {
        let excluded =
            c("INSERT INTO t (k) VALUES ($1) ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a");
        assert_eq!(excluded.sets, ["a"]);
        assert!(excluded.derived.is_empty());
        let counter = c("INSERT INTO t (k, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1");
        assert_eq!(counter.sets, ["n"]);
        assert_eq!(counter.derived, ["n"]);
        assert!(
            c("INSERT INTO t (k, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = VALUES(n)")
                .derived
                .is_empty()
        );
    }

    #[test]
    fn update_by_key_is_not_conditional() {
        let info = c("UPDATE orders SET status = $1 WHERE id = $2");
        assert_eq!(info.kind, SqlKind::Update);
        assert_eq!(info.tables, ["orders"]);
        assert_eq!(info.sets, ["status"]);
        assert!(!info.conditional && info.derived.is_empty() && !info.returning);
        for sql in [
            "UPDATE orders SET status = __hole0 WHERE id = __hole1 AND tenant = '__hole2'",
            "UPDATE jobs SET state = $1 WHERE id = ANY($2) AND 1 = 1",
            "UPDATE jobs SET state = $1 WHERE id IN ($2, $3) AND lower(email) = lower($4)",
        ] {
            assert!(!c(sql).conditional, "{sql}");
        }
    }

    #[test]
    fn update_that_rechecks_state_is_conditional() {
        for sql in [
            "UPDATE orders SET status='paid' WHERE id=$1 AND status='pending' RETURNING *",
            "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1",
            "UPDATE coupons SET redeemed_at = NOW() WHERE code = $1 AND redeemed_at IS NULL",
            "UPDATE coupons SET owner = $1 WHERE code = $2 AND used = false",
            "UPDATE jobs SET state = $1 WHERE id = $2 AND state IN ('new', 'retry')",
            "UPDATE docs SET body = $1, version = $2 WHERE id = $3 AND version = $4",
            "UPDATE docs SET body = $1 WHERE id = $2 AND NOT locked",
        ] {
            assert!(c(sql).conditional, "{sql}");
        }
        assert!(c("UPDATE orders SET status='paid' WHERE id=$1 RETURNING *").returning);
    }

    #[test]
    fn update_value_computed_from_a_column_is_derived() {
        let increment = c("UPDATE t SET n = n + 1 WHERE id = $1");
        assert!(increment.derived == ["n"] && !increment.conditional);
        let debit = c("UPDATE a SET balance = balance - $1, note = $3 WHERE id = $2");
        assert_eq!(debit.derived, ["balance"]);
        assert!(
            c("UPDATE t SET a = DEFAULT, b = now(), c = $1::int WHERE id = $2")
                .derived
                .is_empty()
        );
    }

    #[test]
    fn delete_with_where_is_conditional() {
        let info = c("DELETE FROM tokens WHERE token = $1");
        assert_eq!(info.kind, SqlKind::Delete);
        assert_eq!(info.tables, ["tokens"]);
        assert!(info.conditional);
        assert!(!c("DELETE FROM tokens").conditional);
    }

    #[test]
    fn time_window_relative_to_now() {
        let seed = c(
            "SELECT id FROM charges WHERE user_id = $1 AND product_id = $2 \
                      AND created_at > NOW() - INTERVAL '5 minutes'",
        );
        assert!(seed.window);
        assert_eq!(seed.tables, ["charges"]);
        for sql in [
            "SELECT 1 FROM c WHERE created_at > DATE_SUB(NOW(), INTERVAL 5 MINUTE)",
            "SELECT 1 FROM c WHERE created_at >= now() - interval '1 hour'",
            "SELECT 1 FROM c WHERE created_at > CURRENT_TIMESTAMP - INTERVAL '1 hour'",
            "SELECT 1 FROM c WHERE created_at > NOW() - $1::interval",
            "SELECT 1 FROM c WHERE created_at > datetime('now', '-5 minutes')",
            "DELETE FROM c WHERE created_at < now() - interval '1 day'",
        ] {
            assert!(c(sql).window, "{sql}");
        }
        assert!(!c("SELECT 1 FROM c WHERE expires_at > NOW()").window);
        assert!(!c("SELECT NOW() - INTERVAL '1 day' FROM c WHERE id = $1").window);
    }

    #[test]
    fn holes_are_parameters_and_never_table_names() {
        assert_eq!(
            tables("SELECT * FROM orders WHERE id = __hole0"),
            ["orders"]
        );
        assert!(tables("SELECT * FROM __hole0 WHERE id = $1").is_empty());
        assert!(tables("SELECT * FROM __hole0 ORDER BY __hole1 __hole2").is_empty());
        assert!(tables("UPDATE __hole0 SET a = $1 WHERE id = $2").is_empty());
    }

    #[test]
    fn transaction_control() {
        use Isolation::*;
        assert_eq!(kind("BEGIN"), SqlKind::Begin(Default));
        assert_eq!(kind("START TRANSACTION"), SqlKind::Begin(Default));
        assert_eq!(
            kind("BEGIN ISOLATION LEVEL SERIALIZABLE"),
            SqlKind::Begin(Serializable)
        );
        let repeatable = "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ";
        assert_eq!(kind(repeatable), SqlKind::Begin(RepeatableRead));
        let start = "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE";
        assert_eq!(kind(start), SqlKind::Begin(Serializable));
        assert_eq!(kind("COMMIT"), SqlKind::Commit);
        assert_eq!(kind("END"), SqlKind::Commit);
        assert_eq!(kind("ROLLBACK"), SqlKind::Rollback);
        for sql in [
            "ROLLBACK TO SAVEPOINT a",
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
        ] {
            assert_eq!(kind(sql), SqlKind::Other, "{sql}");
        }
    }

    #[test]
    fn set_transaction_isolation() {
        let serializable = SqlKind::SetIsolation(Isolation::Serializable);
        assert_eq!(
            kind("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
            serializable
        );
        let session = "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE";
        assert_eq!(kind(session), serializable);
        let mysql = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
        assert_eq!(kind(mysql), SqlKind::SetIsolation(Isolation::ReadCommitted));
        assert_eq!(kind("SET search_path TO app"), SqlKind::Other);
    }

    #[test]
    fn advisory_locks() {
        let lock = |try_lock, xact| SqlKind::AdvisoryLock { try_lock, xact };
        assert_eq!(kind("SELECT pg_advisory_xact_lock($1)"), lock(false, true));
        assert_eq!(
            kind("SELECT pg_try_advisory_lock(hashtext($1)) AS ok"),
            lock(true, false)
        );
        assert_eq!(
            kind("SELECT pg_try_advisory_xact_lock_shared(1, 2)"),
            lock(true, true)
        );
        assert_eq!(kind("SELECT GET_LOCK('x', 10)"), lock(true, false));
        assert_eq!(
            kind("SELECT pg_advisory_lock(__hole0 __hole1)"),
            lock(false, false)
        );
        assert_eq!(
            kind("SELECT pg_advisory_unlock($1)"),
            SqlKind::AdvisoryUnlock
        );
        assert_eq!(kind("SELECT RELEASE_LOCK('x')"), SqlKind::AdvisoryUnlock);
    }

    #[test]
    fn lock_table() {
        assert_eq!(
            kind("LOCK TABLE orders IN EXCLUSIVE MODE"),
            SqlKind::LockTable
        );
        assert_eq!(tables("LOCK TABLE orders IN EXCLUSIVE MODE"), ["orders"]);
        assert_eq!(
            tables("LOCK TABLES orders WRITE, items READ"),
            ["orders", "items"]
        );
    }

    #[test]
    fn cte_is_classified_by_its_body() {
        let update = c("WITH due AS (SELECT id FROM jobs WHERE run_at < now()) \
                        UPDATE jobs SET state = 'running' WHERE id IN (SELECT id FROM due)");
        assert_eq!(update.kind, SqlKind::Update);
        assert_eq!(update.tables, ["jobs"]);
        let select = c("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent");
        assert_eq!(select.kind, SqlKind::Select);
        assert_eq!(select.tables, ["orders"]);
    }

    #[test]
    fn identifier_quotes_are_stripped() {
        assert_eq!(
            tables(r#"SELECT * FROM "Order" WHERE "id" = $1"#),
            ["Order"]
        );
        assert_eq!(tables("SELECT * FROM `order` WHERE id = ?"), ["order"]);
        assert_eq!(tables("SELECT * FROM [order] WHERE id = @id"), ["order"]);
        assert_eq!(
            c(r#"UPDATE t SET "Status" = $1 WHERE id = $2"#).sets,
            ["status"]
        );
    }

    #[test]
    fn schema_qualified_names_keep_the_schema() {
        assert_eq!(
            tables("SELECT * FROM public.orders WHERE id = $1"),
            ["public.orders"]
        );
        assert_eq!(
            tables("DELETE FROM public.orders WHERE id = ?; SELECT 1"),
            ["public.orders"]
        );
    }

    #[test]
    fn text_that_is_not_sql_is_none() {
        for text in [
            "hello world",
            "user:123",
            "",
            "  ",
            "-- note",
            "((",
            "selection",
            "'SELECT'",
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
    fn broken_sql_falls_back_to_tokens() {
        let info = c("SELECT * FROM orders WHERE");
        assert_eq!(info.kind, SqlKind::Select);
        assert_eq!(info.tables, ["orders"]);
        assert_eq!(tables("INSERT INTO charges (a, b) VALUES ("), ["charges"]);
    }

    #[test]
    fn fallback_update_keeps_predicate_shape() {
        let guarded =
            c("UPDATE [orders] SET status = 'paid' WHERE id = @id AND status = 'pending'");
        assert_eq!(guarded.tables, ["orders"]);
        assert_eq!(guarded.sets, ["status"]);
        assert!(guarded.conditional && guarded.derived.is_empty());
        let keyed = c("UPDATE [orders] SET n = n + 1 WHERE id = @id");
        assert!(!keyed.conditional && keyed.derived == ["n"]);
    }

    #[test]
    fn fallback_agrees_with_parser_on_common_forms() {
        for sql in [
            "SELECT * FROM orders o, users AS u JOIN items i ON i.x = o.id FOR SHARE",
            "SELECT id FROM charges WHERE user_id = $1 AND at > NOW() - INTERVAL '5 minutes'",
            "SELECT * FROM (SELECT * FROM orders) o WHERE EXTRACT(EPOCH FROM o.at) > 0",
            "INSERT INTO keys (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING id",
            "INSERT INTO t (k, a) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a",
            "INSERT INTO t (k, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1",
            "UPDATE orders SET status = $1 WHERE id = $2",
            "UPDATE orders SET status='paid' WHERE id=$1 AND status='pending' RETURNING *",
            "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1",
            "UPDATE coupons SET redeemed_at = NOW() WHERE code = $1 AND redeemed_at IS NULL",
            "UPDATE t SET n = n + 1, m = $2 WHERE id = $1",
            "UPDATE t SET v = v + 1 WHERE id = $1 AND v = $2",
            "DELETE FROM public.tokens WHERE token = $1 RETURNING user_id",
            "LOCK TABLE orders IN EXCLUSIVE MODE",
        ] {
            assert_eq!(fallback(sql), c(sql), "{sql}");
        }
    }

    #[test]
    fn huge_text_uses_fallback_without_panicking() {
        let sql = format!(
            "SELECT * FROM orders WHERE id IN ({}1)",
            "1, ".repeat(70_000)
        );
        assert!(sql.len() > 200_000);
        assert_eq!(tables(&sql), ["orders"]);
    }

    #[test]
    fn deep_nesting_does_not_panic() {
        assert_eq!(
            kind(&format!("SELECT {}", "(".repeat(10_000))),
            SqlKind::Select
        );
        assert_eq!(classify(&"(".repeat(10_000)), None);
        let chain = format!(
            "UPDATE t SET a = 1 WHERE id = $1{}",
            " OR id = $1".repeat(9_000)
        );
        assert!(!c(&chain).conditional);
        let casts = format!("SELECT 1 FROM t WHERE a = $1{}", "::int".repeat(15_000));
        assert_eq!(tables(&casts), ["t"]);
        let sum = format!("UPDATE t SET a = a{} WHERE id = $1", "+a".repeat(49_000));
        assert_eq!(c(&sum).derived, ["a"]);
        let union = format!("SELECT 1 FROM t{}", " UNION SELECT 1 FROM t".repeat(4_000));
        assert_eq!(tables(&union), ["t"]);
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
            " ",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for round in 0..400 {
            let mut sql = String::from(["", "SELECT ", "UPDATE t SET "][round % 3]);
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                sql.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let _ = (classify(&sql), fallback(&sql));
        }
        for sql in [
            "SELECT 'abc",
            "SELECT \"a",
            "/* open",
            "SELECT $$x",
            "UPDATE [",
            "SELECT E'\\'",
        ] {
            let _ = (classify(sql), fallback(sql));
        }
    }
}
