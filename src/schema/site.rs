//! Where in its file a table declares a column, for findings that sit on the schema.

use super::Table;
use crate::ir::Span;

/// Longest declaration searched for a column's line: a table's block or statement.
const MAX_DECLARATION_LINES: usize = 200;

/// Reads each table's file once and keeps the lines of its declaration, so that findings
/// can point at a column without reading files again.
pub(super) fn locate(tables: &mut [Table]) {
    let mut files: std::collections::HashMap<std::path::PathBuf, Vec<(String, Span)>> =
        Default::default();
    for table in tables {
        let lines = files
            .entry(table.file.clone())
            .or_insert_with(|| super::read(&table.file).map_or_else(Vec::new, |t| line_words(&t)));
        let start = (table.line.max(1) as usize - 1).min(lines.len());
        let end = (start + MAX_DECLARATION_LINES).min(lines.len());
        table.lines = lines[start..end].to_vec();
    }
}

/// Every line's first word and its span without indentation.
fn line_words(text: &str) -> Vec<(String, Span)> {
    let index = crate::frontend::LineIndex::new(text);
    let mut offset = 0;
    text.split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end();
            let indent = body.len() - body.trim_start().len();
            let span = index.span(offset + indent, offset + body.len());
            offset += line.len();
            (first_word(body).to_string(), span)
        })
        .collect()
}

/// The name a declaration line starts with: `eventId` of `eventId String`, `event_id` of
/// `"event_id" TEXT NOT NULL,`.
fn first_word(line: &str) -> &str {
    line.trim_start()
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"' || c == '`'))
        .next()
        .unwrap_or("")
        .trim_matches(['"', '`'])
}

impl Table {
    /// The span of the line that declares `column` (a Prisma field, a column of `CREATE
    /// TABLE`), else of the table's own line.
    pub fn site_of(&self, column: &str) -> Option<Span> {
        self.lines
            .iter()
            .find(|(word, _)| !word.is_empty() && self.same_column(word, column))
            .or(self.lines.first())
            .map(|(_, span)| *span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_without_their_indentation() {
        let text = "model A {\n  key String\n}\n";
        let lines = line_words(text);
        let (word, span) = &lines[1];
        assert_eq!(
            (word.as_str(), &text[span.start..span.end]),
            ("key", "key String")
        );
        assert_eq!((span.line, span.col, span.end_col), (2, 3, 13));
        assert_eq!(lines.len(), 3);
    }
}
