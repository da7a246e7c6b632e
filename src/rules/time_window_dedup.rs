//! `time-window-dedup`: "anything in the last five minutes?" stands in for a key, and decides
//! an act.

use super::{declare_rule, race_report, Analysis, RuleContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::FunctionIr;

declare_rule! {
    /// ## What it does
    /// Finds a duplicate check that looks for recent rows instead of the operation's key
    /// (`created_at > NOW() - INTERVAL '5 minutes'`, `gte: new Date(Date.now() - 300_000)`,
    /// `Utc::now() - Duration::minutes(5)`) and whose result decides an act: a charge, an
    /// e-mail, an insert. It is reported instead of `check-then-act` at that site. A call out
    /// counts when it runs because nothing recent was found; one decided by a field of the row
    /// a window found (a login state within its expiry) is judged like any other check.
    ///
    /// ## Why is this bad?
    /// Two problems. The race: two requests 50 ms apart both ask "any charge in the last five
    /// minutes?", both hear no, both charge. The window: time is not identity. A legitimate
    /// second purchase inside the window is refused, and a retry that arrives after it (a
    /// queue's backoff, a phone waking up) is not a duplicate in the query's eyes and charges
    /// again.
    ///
    /// ## Example
    /// ```ts
    /// const recent = await db.query(
    ///   "SELECT 1 FROM charges WHERE customer_id = $1 AND created_at > NOW() - INTERVAL '5 minutes'",
    ///   [customerId]);
    /// if (recent.rowCount > 0) return;
    /// await stripe.charges.create({ amount, customer: customerId });
    /// ```
    ///
    /// ## Fix
    /// Identify the operation by a stable key (the order id, the client's idempotency key, the
    /// event id) and claim it atomically before acting: `INSERT ... ON CONFLICT DO NOTHING
    /// RETURNING`, a conditional status update whose count you test, or `SET key NX`; pass the
    /// same key to the provider.
    ///
    /// ## Related rules
    /// Reported instead of `check-then-act` at a race whose check looks for recent rows, and not at
    /// one whose check is a duplicate check in process memory (`process-local-dedup`'s); both are
    /// declared in one table (`RACE_OWNERS` in `src/rules/mod.rs`). `missing-idempotency-key`
    /// reports the act's missing key as well, at error level, and `side-effect-before-claim` may
    /// report a record written after the act too: unlike at a `check-then-act` race, it does not
    /// stay quiet here (as before the table; the two findings name different fixes).
    pub struct TimeWindowDedup {
        id: "time-window-dedup",
        level: Severity::Warning,
        languages: &["typescript", "javascript", "rust"],
        summary: "a look for recent rows stands in for an idempotency key and decides an act",
        links: super::Links::Linked,
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for mut d in race_report::findings(func, shared, cx, &TimeWindowDedup::META) {
        d.severity = d.severity.max(TimeWindowDedup::META.level);
        d.message = format!(
            "a time window stands in for an idempotency key: {}",
            d.message
        );
        d.notes.push(
            "the window is no key: a retry that arrives after it is not seen as a duplicate and acts again, and a genuine second request inside it is refused".into(),
        );
        d.help = format!(
            "identify the operation by a stable key (order id, the client's idempotency key, event id) and claim it atomically before acting; {}",
            d.help
        );
        out.push(d);
    }
}
