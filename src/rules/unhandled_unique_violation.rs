//! `unhandled-unique-violation`: a check-then-insert the database keeps safe by a unique key,
//! whose losing request fails with the key's violation because nothing handles it.

use super::unique_keys::refuses_copy;
use super::{declare_rule, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::FunctionIr;

declare_rule! {
    /// ## What it does
    /// Finds an insert that a check decides (no row with this key yet, so create it) and that
    /// a unique key refuses the second time (the key the check looked up, declared in the
    /// project's schema or taken by `findUnique`, or a unique key the row's own values fill),
    /// where nothing handles the refusal: no `catch` of the driver's duplicate-key error
    /// around it, no `ON CONFLICT`, no upsert. The race is harmless for the data, which
    /// `check-then-act` therefore leaves alone; this note is about the request that loses it.
    ///
    /// ## Why is this bad?
    /// Two requests for the same key (a double click, a client retry after a timeout, two
    /// deliveries of one webhook) both find no row and both insert. The database keeps one
    /// row and refuses the other with a unique violation (`P2002`, `23505`, `ER_DUP_ENTRY`,
    /// `11000`), which reaches the second caller as a server error for a request that should
    /// have succeeded, or makes a queue redeliver a message forever.
    ///
    /// ## Example
    /// ```ts
    /// const existing = await prisma.user.findUnique({ where: { email } });
    /// if (existing) return existing;
    /// return prisma.user.create({ data: { email } });
    /// ```
    /// Requests A and B both find no user, both create one: A's row is kept, B's `create`
    /// throws `P2002` and B's caller gets a 500.
    ///
    /// ## Fix
    /// Turn the pair into create-or-get: insert first and treat the duplicate-key error as
    /// "it exists", returning the existing row (catch `P2002` and read it again; `INSERT ...
    /// ON CONFLICT DO NOTHING` and read when no row came back), or let the database do both
    /// (`upsert`, `ON CONFLICT DO UPDATE`).
    ///
    /// ## Known limits
    /// A duplicate-key error handled further up (a framework's error filter that answers 409)
    /// is not seen; suppress the note with the reason where that is the design. Only inserts
    /// a key is known to refuse are judged: see `check-then-act` for where keys come from.
    ///
    /// ## Related rules
    /// `check-then-act` reports the same shape when the key is missing, or when an act runs
    /// before the insert the key refuses (the key stops the second row, not the act); then
    /// this note does not appear.
    pub struct UnhandledUniqueViolation {
        id: "unhandled-unique-violation",
        level: Severity::Note,
        languages: &["typescript", "javascript", "rust"],
        summary: "the request that loses a check-then-insert race fails with an unhandled unique violation",
        links: super::Links::Linked,
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let mut reported = Vec::new();
    for &(read_id, insert_id) in &shared.refused {
        if reported.contains(&insert_id) {
            continue;
        }
        let (read, insert) = (&func.effects[read_id], &func.effects[insert_id]);
        let Some(by) = refuses_copy(read, insert, cx.schema) else {
            continue;
        };
        reported.push(insert_id);
        let key = by.describe(read);
        let table = format!("`{}`", read.subject());
        let (rl, il) = (read.span.line, insert.span.line);
        let help = cx
            .models
            .help(&insert.library, UnhandledUniqueViolation::META.id)
            .unwrap_or("insert first and treat the duplicate-key error as \"it exists\": catch it and read the row the other request made, or use the database's upsert (`ON CONFLICT DO NOTHING`, then read)");
        out.push(Diagnostic {
            secondary: vec![Label::at(read, format!("reads {table} here"))],
            steps: vec![
                Step::new(Actor::Both, read.span, format!("requests A and B both read {table} at line {rl} and find nothing")),
                Step::new(Actor::A, insert.span, format!("A inserts at line {il}")),
                Step::new(Actor::B, insert.span, format!("B inserts at line {il} too: the key refuses its row, and B fails with the duplicate-key error")),
            ],
            help: help.to_string(),
            ..cx.diagnostic(
                &UnhandledUniqueViolation::META,
                func,
                format!("the request that loses this check-then-insert fails: {key} refuses its row, and nothing handles the duplicate-key error"),
                Label::at(insert, "the second request's insert fails here"),
            )
        });
    }
}
