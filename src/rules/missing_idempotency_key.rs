//! `missing-idempotency-key`: a call that moves money or bills, made without the key the
//! provider would deduplicate on.

use super::{declare_rule, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{EffectKind, FunctionIr};

declare_rule! {
    /// ## What it does
    /// Finds provider calls that move money or create something billable and accept an
    /// idempotency key, made without one: Stripe `paymentIntents.create/confirm/capture`,
    /// `charges.create`, `refunds.create`, `transfers.create`, `payouts.create`,
    /// `subscriptions.create`, `invoices.pay`, `checkout.sessions.create`, `customers.create`;
    /// async-stripe's `PaymentIntent::create`, `Refund::create`, ... on a client without
    /// `RequestStrategy::Idempotent`; Square and Adyen calls that take a key. Level warning;
    /// error when the call also runs after a check that concurrent requests can both pass.
    ///
    /// ## Why is this bad?
    /// An SDK's own retry key lives for one call. The request that made the call can itself
    /// be retried: a phone times out at 10 s while the provider finished at 11 s, the user
    /// taps again, the server calls again with no key, and the provider makes a second
    /// charge.
    ///
    /// ## Example
    /// ```ts
    /// await stripe.refunds.create({ payment_intent: order.paymentIntentId });
    /// ```
    ///
    /// ## Fix
    /// Pass a key that is the same on every retry of the operation, derived from it:
    /// `stripe.refunds.create(params, { idempotencyKey: `refund:${order.id}` })`, or in Rust
    /// `client.clone().with_strategy(RequestStrategy::Idempotent(format!("refund:{}", order.id)))`.
    ///
    /// ## Related rules
    /// A call that also runs on a race (reported by `check-then-act`, `time-window-dedup` or
    /// `process-local-dedup`, by the table `RACE_OWNERS` in `src/rules/mod.rs`) is reported here as
    /// well, at error level, with a note: the key and the race are two fixes. Only calls written in
    /// the function itself are reported; a helper's call is reported in the helper.
    pub struct MissingIdempotencyKey {
        id: "missing-idempotency-key",
        level: Severity::Warning,
        languages: &["typescript", "javascript", "rust"],
        summary: "a call that moves money or bills is made without an idempotency key",
        links: super::Links::AsWritten,
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let raced = shared.raced_acts(|o| o.raises, MissingIdempotencyKey::META.id);
    for (id, e) in func.effects.iter().enumerate() {
        let EffectKind::External {
            provider,
            operation,
            key_required: true,
            key: None,
            ..
        } = &e.kind
        else {
            continue;
        };
        let line = e.span.line;
        let after_check = raced.contains(&id);
        let mut notes = Vec::new();
        if after_check {
            notes.push("the call also runs after a check that two requests can pass together (see check-then-act), so even without retries it can happen twice".into());
        }
        out.push(Diagnostic {
            severity: if after_check {
                Severity::Error
            } else {
                MissingIdempotencyKey::META.level
            },
            steps: vec![
                Step::new(Actor::A, e.span, format!("request A calls `{operation}` at line {line}; {provider} does it, but the response is lost (a timeout, a deploy)")),
                Step::new(Actor::Both, e.span, "the client or the queue retries the request"),
                Step::new(Actor::Both, e.span, format!("the retry calls `{operation}` at line {line} again with no key: {provider} cannot tell it is the same operation and does it twice")),
            ],
            notes,
            help: cx
                .models
                .help(&e.library, MissingIdempotencyKey::META.id)
                .unwrap_or("pass a key that is the same on every retry, derived from the operation (the order id, the client's idempotency key)")
                .to_string(),
            ..cx.diagnostic(&MissingIdempotencyKey::META, func, format!(
                "`{operation}` ({provider}) is called without an idempotency key: a retried request makes a second one"
            ), Label::at(e, "no idempotency key"))
        });
    }
}
