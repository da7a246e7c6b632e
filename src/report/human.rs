//! Human output through miette: the act as the primary label, the check sites as secondary
//! labels, then the interleaving of two requests and the fix.

use super::Report;
use crate::diagnostic::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use std::fmt;

struct Rendered<'a> {
    d: &'a Diagnostic,
    source: NamedSource<String>,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.headline())
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.headline())
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.d.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let len = self.source.inner().len();
        let span = move |s: &crate::ir::Span| {
            (
                s.start.min(len),
                s.end.min(len).saturating_sub(s.start.min(len)),
            )
        };
        let primary = std::iter::once(LabeledSpan::new_primary_with_span(
            Some(self.d.primary.text()),
            span(&self.d.primary.span),
        ));
        // Sites in other files are listed after the snippet.
        let secondary = self
            .d
            .secondary
            .iter()
            .filter(|l| l.file.is_none())
            .map(move |l| LabeledSpan::new_with_span(Some(l.text()), span(&l.span)));
        Some(Box::new(primary.chain(secondary)))
    }
}

pub fn render(report: &Report) -> String {
    let theme = if report.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in report.diagnostics {
        let text = (report.source)(&d.file).unwrap_or_default();
        let name = d.file.to_string_lossy().replace('\\', "/");
        let rendered = Rendered {
            d,
            source: NamedSource::new(name, text),
        };
        let mut block = String::new();
        if handler.render_report(&mut block, &rendered).is_err() {
            block = format!("{}: {}\n", d.rule, d.headline());
        }
        out.push_str(block.trim_end());
        out.push('\n');
        if !d.steps.is_empty() {
            out.push_str("  = two requests can interleave:\n");
            for (i, step) in d.steps.iter().enumerate() {
                out.push_str(&format!("      {}. {}\n", i + 1, step.text));
            }
        }
        for l in &d.secondary {
            if let Some(file) = &l.file {
                let (file, line) = (file.display(), l.span.line);
                out.push_str(&format!("  = {file}:{line}: {}\n", l.text()));
            }
        }
        for note in &d.notes {
            out.push_str(&format!("  = note: {note}\n"));
        }
        out.push('\n');
    }
    for note in report.notes {
        let line = note.line.map(|l| format!(":{l}")).unwrap_or_default();
        out.push_str(&format!(
            "note: {}{line}: {}\n",
            note.file.display(),
            note.message
        ));
    }
    let errors = count(report, Severity::Error);
    let warnings = count(report, Severity::Warning);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let problems = match report.notes.len() {
        0 => String::new(),
        n => format!(" ({} noted above)", plural(n, "problem")),
    };
    out.push_str(&format!(
        "{} scanned{problems}: {}, {}, {}\n",
        plural(report.files_scanned, "file"),
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(report.diagnostics.len() - errors - warnings, "note")
    ));
    out
}

fn count(report: &Report, severity: Severity) -> usize {
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .count()
}
