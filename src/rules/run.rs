//! The run loop: every rule over every function of one file, each function linked once, and
//! what rules share ([`Analysis`]: its control facts, races and in-process dedups) derived
//! once for all rules; the link policy of each rule ([`Links`]) applied to what it found.

use super::links::Links;
use super::{Analysis, RuleContext, RULES};
use crate::budget::Deadline;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, FunctionIr};
use crate::link;
use crate::schema::Schema;

/// Every rule over every function of one file, calls linked into the project, and notes on
/// what could not be analysed whole. Past the deadline the file has no findings, only a note.
pub fn run(
    project: &link::Project,
    schema: &Schema,
    u: usize,
    config: &Config,
    deadline: Deadline,
) -> (Vec<Diagnostic>, Vec<ir::FileNote>) {
    let unit = &project.units[u];
    let cx = RuleContext {
        models: &config.models,
        settings: &config.settings,
        file: &unit.path,
        client: unit.client,
        schema,
    };
    let mut diagnostics = Vec::new();
    // Functions whose linked body hit the size bound: one note for the file, at the first.
    let mut cut: Vec<&FunctionIr> = Vec::new();
    for f in 0..unit.ir.functions.len() {
        if deadline.passed() {
            let note = ir::FileNote {
                span: None,
                message: deadline.note(),
            };
            return (Vec::new(), vec![note]);
        }
        let at = link::FnRef { unit: u, index: f };
        if project.runs_under_lock(at) {
            continue;
        }
        let (func, partly) = project.link(at);
        if partly {
            cut.push(project.function(at));
        }
        let shared = Analysis::new(&func, schema);
        for rule in RULES {
            let mut found = Vec::new();
            (rule.check)(&func, &shared, &cx, &mut found);
            if rule.meta.links == Links::AsWritten {
                found.retain(|d| d.primary.via.is_empty());
            }
            diagnostics.extend(found);
        }
    }
    let notes = cut.first().map(|first| ir::FileNote {
        span: Some(first.span),
        message: format!(
            "{} function(s), `{}` first, call more than the analysis follows: helpers past {} \
             effects were left unresolved",
            cut.len(),
            first.name,
            link::MAX_LINKED_EFFECTS
        ),
    });
    // One finding per rule and site: a helper's act reached along several paths of calls,
    // or decided by several checks, is one thing to fix.
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|d| seen.insert((d.rule, d.primary.span)));
    (diagnostics, notes.into_iter().collect())
}
