//! `check-then-act`: a read decides, and a later act runs on that stale decision.

use super::{declare_rule, race_report, Analysis, RuleContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::FunctionIr;

declare_rule! {
    /// ## What it does
    /// Finds a read whose result a condition tests (is this order paid? does this user exist?)
    /// followed, on a path that condition controls, by an act the check was meant to
    /// prevent from happening twice: a call to an external system (a charge, an e-mail, an
    /// HTTP request, a published message) on a path that also records what the check looks
    /// for (inserts the row, sets the status), an insert into the table that was read, or an
    /// update computed from the value that was read. A check that nothing on the path
    /// changes (is this user banned? is this plan valid?) is a permission or validity test:
    /// a second request made after the first would pass it too, so it is not reported, and
    /// neither are inserts into audit logs or history tables, which record every action by
    /// design; nor an insert the database refuses the second time: of the key a lookup by a
    /// unique key did not find (`findUnique`, `findByPk`, a filter a unique or primary key of
    /// the project's schema covers), or of a row whose own values fill such a key; nor the
    /// acts after such an insert, which the loser never reaches. It stays quiet
    /// when the pair is made
    /// atomic: a row lock taken by the read inside the transaction that also acts, a
    /// SERIALIZABLE transaction around both writes, a lock held across both, a claim whose
    /// result is tested (`INSERT ... ON CONFLICT DO NOTHING`, a conditional `UPDATE` whose
    /// row count is checked, `SET key NX`), an upsert, or a stable idempotency key on the
    /// external call.
    ///
    /// What a repeat costs sets the level (`cost` in `rules/*.toml`): a call out that moves money,
    /// or one no model prices (an HTTP POST), is an error; a message, a publish, an insert or an
    /// update a warning; a call whose repeat is harmless (a disposable Checkout session or setup
    /// intent, a capture of a given payment intent) is no act. A single-use credential (a
    /// password reset, a magic link, an invite: `credential-words` in `rules/vocabulary.toml`)
    /// checked and then marked spent by a separate update (`spent-words`: `usedAt`, `revoked`)
    /// is reported at that update: every request that passed the check uses it. A race that
    /// moves money or uses a credential twice is an error and a security finding (SARIF
    /// `security-severity`, tags `security` and `CWE-362`). The help leads with the fix for the
    /// shape found: insert first under a unique key for "no row, then insert", a conditional
    /// update for a state or a credential, an atomic conditional update for a counter, a key
    /// derived from the checked row for a provider call.
    ///
    /// ## Why is this bad?
    /// Two requests for the same thing (a retry after a timeout, a double click, a queue
    /// redelivery, two pods) run the read before either of them acts. Both see "not paid",
    /// both pass the check, both charge. Plain reads take no locks under READ COMMITTED
    /// (PostgreSQL's default) or REPEATABLE READ (MySQL's default), and a unique constraint
    /// on the row written afterwards protects the row, never the side effects that ran
    /// before it.
    ///
    /// ## Example
    /// ```ts
    /// async function processPayment(orderId: string) {
    ///   const order = await db.query('SELECT * FROM orders WHERE id = $1', [orderId]);
    ///   if (order.status === 'paid') return { error: 'Already paid' };
    ///   const charge = await stripe.charges.create({ amount: order.total, currency: 'usd' });
    ///   await db.query('UPDATE orders SET status = $1 WHERE id = $2', ['paid', orderId]);
    /// }
    /// ```
    /// Request A reads the order (pending). Request B reads it before A updates it (still
    /// pending). Both pass the check, both call `charges.create`: the customer pays twice.
    ///
    /// ## Fix
    /// Make the decision and the act one atomic step:
    /// - claim first: `UPDATE orders SET status = 'processing' WHERE id = $1 AND status =
    ///   'pending' RETURNING id` (Prisma `updateMany` with its `count` tested, Mongo
    ///   `findOneAndUpdate` tested for null), or insert a claim row under a unique key with
    ///   `ON CONFLICT DO NOTHING RETURNING`, and act only when you won;
    /// - or lock: `SELECT ... FOR UPDATE` on one connection inside the transaction that also
    ///   acts (a row lock cannot lock a row that does not exist yet, so "no row, insert"
    ///   needs a claim or an advisory lock);
    /// - and give external calls an idempotency key that is the same on every retry
    ///   (`{ idempotencyKey: `charge:${order.id}` }`).
    ///
    /// ## Known limits
    /// Calls of the project's own functions are followed up to four deep; a call that cannot
    /// be resolved to one (a dynamic dispatch, a package) is not seen into. Unique keys come
    /// from the schema files the scan finds (`toctou dump-schema`); a key made by other means
    /// is not known, and an insert whose columns are not known (a Diesel `.values(&form)` of a
    /// value built in another function, an `ActiveModel { ..form.into() }`) is judged by the
    /// check's key only.
    ///
    /// ## Related rules
    /// Which rule reports a race is declared in one table (`RACE_OWNERS` in `src/rules/mod.rs`).
    /// A race whose check looks for recent rows is reported by `time-window-dedup`, and one whose
    /// check is a duplicate check in process memory by `process-local-dedup` (which stays quiet in a
    /// user-interface client, where such a race is then not reported at all); this rule reports the
    /// others. `side-effect-before-claim` stays quiet at an act this rule reports, whose explanation
    /// names the late record; `missing-idempotency-key` reports the act's missing key as well, at
    /// error level. An insert the database refuses the second time, with nothing to handle the
    /// refusal, is noted by `unhandled-unique-violation`.
    pub struct CheckThenAct {
        id: "check-then-act",
        level: Severity::Error,
        languages: &["typescript", "javascript", "rust"],
        summary: "a read decides, and an act on another path runs on the stale decision",
        links: super::Links::Linked,
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    out.extend(race_report::findings(func, shared, cx, &CheckThenAct::META));
}
