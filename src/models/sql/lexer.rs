//! SQL tokens: a lexer that never fails, and searches over token slices that respect
//! parentheses.

#[rustfmt::skip]
const INFIX_WORDS: &[&str] = &["AND", "OR", "XOR", "NOT", "IS", "IN", "LIKE", "ILIKE", "SIMILAR",
    "REGEXP", "RLIKE", "GLOB", "MATCH", "BETWEEN", "AT", "COLLATE", "DIV", "MOD", "OPERATOR",
    "OVERLAPS", "ESCAPE", "ISNULL", "NOTNULL", "UNION", "EXCEPT", "INTERSECT", "MINUS"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tk {
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
pub(super) struct Tok<'a> {
    pub(super) kind: Tk,
    pub(super) text: &'a str,
}

#[rustfmt::skip]
const NOT_NAMES: &[&str] = &["WHERE", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS",
    "NATURAL", "ON", "USING", "GROUP", "ORDER", "LIMIT", "OFFSET", "FETCH", "FOR", "LOCK", "UNION",
    "EXCEPT", "INTERSECT", "HAVING", "WINDOW", "SET", "RETURNING", "VALUES", "SELECT", "FROM", "IN",
    "LATERAL", "AS", "WHEN", "USE", "FORCE", "IGNORE", "STRAIGHT_JOIN", "DEFAULT", "OUTPUT"];

impl Tok<'_> {
    pub(super) fn is(&self, keyword: &str) -> bool {
        self.kind == Tk::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    pub(super) fn is_any(&self, keywords: &[&str]) -> bool {
        keywords.iter().any(|k| self.is(k))
    }

    pub(super) fn is_punct(&self, p: &str) -> bool {
        self.kind == Tk::Punct && self.text == p
    }

    pub(super) fn is_op(&self, op: &str) -> bool {
        self.kind == Tk::Op && self.text == op
    }

    /// Anything that may nest the expression tree one level deeper.
    pub(super) fn is_operator(&self) -> bool {
        let bracket = matches!(self.text, "(" | ")" | "," | "." | ";" | "[" | "]");
        self.kind == Tk::Op || (self.kind == Tk::Punct && !bracket) || self.is_any(INFIX_WORDS)
    }

    /// Could name a table or column (clause keywords cannot).
    pub(super) fn is_name(&self) -> bool {
        self.kind == Tk::Ident || (self.kind == Tk::Word && !self.is_any(NOT_NAMES))
    }
}

/// Splits SQL into tokens and never fails: unterminated quotes and comments run to the end.
pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(src: &'a str) -> Self {
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

/// Index of the first token from `from` on, outside parentheses, that matches `pred`.
pub(super) fn find_top(toks: &[Tok], from: usize, pred: impl Fn(&Tok) -> bool) -> Option<usize> {
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
pub(super) fn find_seq(toks: &[Tok], words: &[&str]) -> Option<usize> {
    toks.windows(words.len().max(1))
        .position(|w| w.iter().zip(words).all(|(t, k)| t.is(k)))
}

pub(super) fn skip_words(toks: &[Tok], mut i: usize, words: &[&str]) -> usize {
    while toks.get(i).is_some_and(|t| t.is_any(words)) {
        i += 1;
    }
    i
}
