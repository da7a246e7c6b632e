//! Tables, assigned columns and predicate shape from tokens, when no dialect parses the text:
//! conservative, so an unparsed UPDATE counts as re-checking row state when in doubt.

use super::lexer::{find_top, skip_words, Tk, Tok};
use super::scan::{token_tests_state, upsert_set_start, where_part, VERB_MODIFIERS};
use super::{push_parts, push_unique, SqlInfo, SqlKind};

pub(super) fn token_structure(info: &mut SqlInfo, body: &[Tok]) {
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
