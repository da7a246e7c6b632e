//! Classifies SQL text found in application code: statement kind, tables, row locks, upserts and
//! whether an UPDATE's WHERE re-checks row state.
//!
//! A token scan (which never fails) decides the kind and the clause flags, because several of
//! them are syntax `sqlparser` rejects (`FOR NO KEY UPDATE`, `LOCK IN SHARE MODE`). Tables,
//! assigned columns and predicate shape come from the `sqlparser` AST when some dialect parses
//! the text, and from a conservative token heuristic otherwise.

mod fallback;
mod lexer;
mod scan;
mod statement;
#[cfg(test)]
mod tests;

use crate::ir::{Filter, Isolation};
use fallback::token_structure;
use lexer::{Lexer, Tok};
use scan::{lex_window, scan_clauses, statement_body};
use statement::{ast_structure, parse_first};

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
    /// Columns an INSERT lists, lowercased and unquoted (from the parser only).
    pub columns: Vec<String>,
    /// Columns the WHERE compares by equality in its top-level `AND`s (`id = $1`,
    /// `status = 'pending'`, `deleted_at IS NULL`), lowercased and unquoted (from the parser only).
    pub filter: Filter,
    /// The WHERE compares against a time relative to now (`created_at > NOW() - INTERVAL ...`).
    pub window: bool,
    /// The names of the columns a SELECT returns, in order, lowercased (`t.used` -> `used`,
    /// `count(*) AS n` -> `n`, an unnamed expression ""); empty when a `*` leaves them unknown
    /// (from the parser only).
    pub selected: Vec<String>,
    /// A SELECT that returns only aggregates (`count(*)`, `sum(amount)`) (from the parser only).
    pub aggregate: bool,
}

/// Longer texts skip the parser, whose cost on huge generated SQL is not worth it.
const MAX_PARSE_LEN: usize = 100_000;

/// Texts with more operators skip the parser: it builds operator chains (`a + a + ...`, `UNION`)
/// as nested boxes that drop recursively, and ~25k levels overflow a 2 MiB thread stack. Each
/// level needs an operator token, so this bounds the depth with a wide margin.
const MAX_PARSE_OPERATORS: usize = 5_000;

#[rustfmt::skip]
const LEADING_KEYWORDS: &[&str] = &["SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "BEGIN",
    "START", "COMMIT", "END", "ROLLBACK", "SET", "LOCK", "REPLACE", "MERGE", "SAVEPOINT",
    "RELEASE"];

/// Whether a fragment of SQL compares against a time relative to now (`now() - interval '5
/// minutes'`), as in a raw piece of a query builder (`knex.raw(..)`, drizzle's `sql`).
pub fn mentions_window(fragment: &str) -> bool {
    // The fragment may be the host language's call around the SQL: its quotes are not SQL's.
    let unquoted = fragment.replace(['"', '`'], " ");
    let toks: Vec<Tok> = Lexer::new(&unquoted).collect();
    lex_window(&toks)
}

/// The filter a condition that defines rows states (a partial index's `WHERE status =
/// 'PENDING' AND deleted_at IS NULL`), from its text when it parses.
pub fn condition(text: &str) -> Option<Filter> {
    statement::parse_condition(text).map(|e| statement::condition_filter(&e))
}

/// The filter a parsed condition that defines rows states.
pub fn condition_filter(condition: &sqlparser::ast::Expr) -> Filter {
    statement::condition_filter(condition)
}

/// Classify one SQL text; None when it does not start like SQL at all.
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

/// A qualified name as one entry, unless a hole stands in any part (the name is then unknown).
fn push_parts(out: &mut Vec<String>, parts: &[&str]) {
    if !parts.is_empty() && !parts.iter().any(|p| p.starts_with(HOLE_PREFIX)) {
        push_unique(out, parts.join("."));
    }
}

/// Tables and columns are listed once each, in the order first seen.
fn push_unique(out: &mut Vec<String>, item: String) {
    if !item.is_empty() && !out.contains(&item) {
        out.push(item);
    }
}
