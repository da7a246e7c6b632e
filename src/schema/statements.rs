//! A migration's statements that may make, drop, rename or key a table, found without parsing:
//! tokenizing is most of the cost of reading migrations, and most statements (data changes,
//! functions, triggers, grants) change no key, so only the others are handed to sqlparser.

/// The statements of `text` that may change a table's keys, each with the line it starts on;
/// None for a script that changes its statement delimiter (MySQL `DELIMITER //`), which
/// cannot be split at semicolons.
pub fn keying(text: &str) -> Option<Vec<(&str, u32)>> {
    let delimiter = text.lines().any(|l| {
        l.trim_start()
            .get(..10)
            .is_some_and(|w| w.eq_ignore_ascii_case("delimiter "))
    });
    if delimiter {
        return None;
    }
    Some(
        split(text)
            .into_iter()
            .filter(|(sql, _)| may_change_keys(sql))
            .collect(),
    )
}

/// Whether a statement's leading words make, drop or alter a table, or make a unique index.
fn may_change_keys(sql: &str) -> bool {
    let head = sql.split(['(', ';']).next().unwrap_or("");
    let words: Vec<String> = head
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_ascii_lowercase)
        .collect();
    let word = |i: usize| words.get(i).map_or("", String::as_str);
    match word(0) {
        "create" => words
            .iter()
            .take_while(|w| *w != "on" && *w != "as")
            .any(|w| w == "table" || w == "unique"),
        "alter" => word(1) == "table",
        "drop" => matches!(word(1), "table" | "index"),
        _ => false,
    }
}

/// The statements of a script, from their first word (comments before it skipped) to the
/// semicolon that ends them, outside strings, quoted names, dollar-quoted bodies and
/// comments; each with the line it starts on.
fn split(text: &str) -> Vec<(&str, u32)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1u32);
    // Where the current statement's first word is, once seen.
    let mut start: Option<(usize, u32)> = None;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let skipped = if rest.starts_with(b"--") {
            until(text, i, "\n")
        } else if rest.starts_with(b"/*") {
            until(text, i + 2, "*/")
        } else {
            match bytes[i] {
                b'\'' | b'"' | b'`' => {
                    start.get_or_insert((i, line));
                    quoted(bytes, i)
                }
                b'$' => {
                    start.get_or_insert((i, line));
                    dollar_quoted(text, i).unwrap_or(i + 1)
                }
                b';' => {
                    if let Some((from, at)) = start.take() {
                        out.push((&text[from..i], at));
                    }
                    i + 1
                }
                c => {
                    if !c.is_ascii_whitespace() {
                        start.get_or_insert((i, line));
                    }
                    i + 1
                }
            }
        };
        line += newlines(&bytes[i..skipped]);
        i = skipped;
    }
    if let Some((from, at)) = start {
        out.push((&text[from..], at));
    }
    out
}

fn newlines(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.iter().filter(|&&b| b == b'\n').count()).unwrap_or(u32::MAX)
}

/// The index past the first `end` at or after `from`, or the text's end.
fn until(text: &str, from: usize, end: &str) -> usize {
    text.get(from..)
        .and_then(|rest| rest.find(end))
        .map_or(text.len(), |at| from + at + end.len())
}

/// The index past a quoted string or name opened at `open` (a doubled quote stays inside).
fn quoted(bytes: &[u8], open: usize) -> usize {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The index past a PostgreSQL dollar-quoted body (`$$ .. $$`, `$fn$ .. $fn$`) opened at
/// `open`; None when the `$` opens none (a parameter, `$1`).
fn dollar_quoted(text: &str, open: usize) -> Option<usize> {
    let rest = &text[open + 1..];
    let tag_len = rest.find('$')?;
    let tag = &rest[..tag_len];
    let valid = !tag.starts_with(|c: char| c.is_ascii_digit())
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return None;
    }
    let delimiter = &text[open..open + tag_len + 2];
    Some(until(text, open + delimiter.len(), delimiter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_statements_that_may_change_keys_are_kept_with_their_lines() {
        let script = "-- data; not a statement\nINSERT INTO t VALUES ('a;b');\n\
            CREATE TABLE t (id INT PRIMARY KEY);\n\
            CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN DROP TABLE x; END $body$ LANGUAGE plpgsql;\n\
            /* a\n comment */ CREATE UNIQUE INDEX t_a ON t (a);\n\
            CREATE INDEX t_b ON t (b);\n\
            ALTER TABLE \"t;\" ADD CONSTRAINT u UNIQUE (b);\n\
            UPDATE t SET a = $1;\n\
            DROP INDEX t_a";
        let kept = keying(script).unwrap();
        assert_eq!(
            kept,
            [
                ("CREATE TABLE t (id INT PRIMARY KEY)", 3),
                ("CREATE UNIQUE INDEX t_a ON t (a)", 6),
                ("ALTER TABLE \"t;\" ADD CONSTRAINT u UNIQUE (b)", 8),
                ("DROP INDEX t_a", 10),
            ]
        );
    }

    #[test]
    fn a_script_that_changes_its_delimiter_is_not_split() {
        let script = "DELIMITER //\nCREATE PROCEDURE p() BEGIN DROP TABLE t; END //\n";
        assert_eq!(keying(script), None);
    }
}
