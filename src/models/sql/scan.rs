//! The statement kind and clause flags (locks, upserts, RETURNING, a time window), from tokens:
//! this decides what `sqlparser` rejects too (`FOR NO KEY UPDATE`, `LOCK IN SHARE MODE`).

use super::lexer::{find_seq, find_top, skip_words, Tk, Tok};
use super::{Conflict, SqlInfo, SqlKind, HOLE_PREFIX};
use crate::ir::Filter;
use crate::ir::Isolation;

/// The tokens of the statement proper: past leading parentheses and any CTE list.
pub(super) fn statement_body<'t, 'a>(toks: &'t [Tok<'a>]) -> &'t [Tok<'a>] {
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

pub(super) fn scan_clauses(body: &[Tok]) -> SqlInfo {
    let mut info = SqlInfo {
        kind: scan_kind(body),
        tables: Vec::new(),
        locking: false,
        on_conflict: None,
        returning: false,
        conditional: false,
        sets: Vec::new(),
        derived: Vec::new(),
        columns: Vec::new(),
        filter: Filter::default(),
        window: false,
        selected: Vec::new(),
        aggregate: false,
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
pub(super) const VERB_MODIFIERS: &[&str] = &["INTO", "IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY",
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
pub(super) fn upsert_set_start(body: &[Tok]) -> Option<usize> {
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
pub(super) fn lex_window(toks: &[Tok]) -> bool {
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
pub(super) fn where_part<'t, 'a>(toks: &'t [Tok<'a>]) -> &'t [Tok<'a>] {
    let Some(start) = find_top(toks, 0, |t| t.is("WHERE")).map(|i| i + 1) else {
        return &[];
    };
    &toks[start..find_top(toks, start, |t| t.is_any(WHERE_ENDS)).unwrap_or(toks.len())]
}

/// Conservative: any literal, non-equality operator, IS/BETWEEN test or assigned column counts.
pub(super) fn token_tests_state(t: &Tok, sets: &[String]) -> bool {
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
