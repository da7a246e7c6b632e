//! Where in its file a table declares a column, for findings that sit on the schema.

use super::Table;
use crate::ir::Span;

/// Longest declaration searched for a column's line: a table's block or statement.
const MAX_DECLARATION_LINES: usize = 200;

impl Table {
    /// The span of the line that declares `column` (a Prisma field, a column of `CREATE
    /// TABLE`), else of the table's own line; none when the file no longer reads.
    pub fn site_of(&self, column: &str) -> Option<Span> {
        let text = std::fs::read_to_string(&self.file).ok()?;
        let start = self.line.max(1) as usize - 1;
        let declares = |line: &str| {
            let first = line
                .trim_start()
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"' || c == '`'))
                .next()
                .unwrap_or("")
                .trim_matches(['"', '`']);
            !first.is_empty() && self.same_column(first, column)
        };
        let line = text
            .lines()
            .enumerate()
            .skip(start)
            .take(MAX_DECLARATION_LINES)
            .find(|(_, l)| declares(l))
            .map_or(start, |(i, _)| i);
        line_span(&text, line)
    }
}

/// The span of a line's text without its indentation; `index` counts from 0.
fn line_span(text: &str, index: usize) -> Option<Span> {
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == index {
            let body = line.trim_end();
            let indent = body.len() - body.trim_start().len();
            let number = i as u32 + 1;
            return Some(Span {
                start: offset + indent,
                end: offset + body.len(),
                line: number,
                col: body[..indent].chars().count() as u32 + 1,
                end_line: number,
                end_col: body.chars().count() as u32 + 1,
            });
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_without_its_indentation() {
        let text = "model A {\n  key String\n}\n";
        let span = line_span(text, 1).unwrap();
        assert_eq!(&text[span.start..span.end], "key String");
        assert_eq!((span.line, span.col, span.end_col), (2, 3, 13));
        assert!(line_span(text, 9).is_none());
    }
}
