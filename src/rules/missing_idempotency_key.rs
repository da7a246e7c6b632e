//! `missing-idempotency-key`: a call that moves money or bills, made without the key the
//! provider would deduplicate on.

use super::{declare_rule, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Security, Severity, Step};
use crate::ir::{EffectKind, FunctionIr};
use crate::models::Cost;

declare_rule! {
    /// ## What it does
    /// Finds provider calls that accept an idempotency key and are made without one, when a
    /// duplicate costs something: money moves (`cost = "moves-money"` in the model: Stripe
    /// `paymentIntents.create/confirm`, `charges.create`, `refunds.create`,
    /// `transfers.create`, `payouts.create`, `subscriptions.create`, `invoices.pay`; Square,
    /// Adyen and PayPal payments and refunds; async-stripe's `PaymentIntent::create`, ... on a
    /// client without `RequestStrategy::Idempotent`), an error; or a duplicate record is made at
    /// the provider (`creates-record`: `customers.create`), a warning, an error when the call
    /// also runs after a check that concurrent requests can both pass. A call whose duplicate
    /// is harmless is left alone: a disposable object (a Checkout session, a setup intent, a
    /// billing-portal session, an ephemeral key) or one refused by its state (capturing or
    /// cancelling a given payment intent).
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
        summary: "a call that moves money or makes a provider record is made without an idempotency key",
        links: super::Links::AsWritten,
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let raced = shared.raced_acts(|o| o.raises, MissingIdempotencyKey::META.id);
    for (id, e) in func.effects.iter().enumerate() {
        let EffectKind::External {
            provider,
            operation,
            accepts_key: true,
            cost: Some(cost),
            key: None,
        } = &e.kind
        else {
            continue;
        };
        if !cost.expects_key() {
            continue;
        }
        let line = e.span.line;
        let after_check = raced.contains(&id);
        let mut notes = Vec::new();
        if after_check {
            notes.push("the call also runs after a check that two requests can pass together (see check-then-act), so even without retries it can happen twice".into());
        }
        let money = *cost == Cost::MovesMoney;
        // Two requests racing past a check can be sent on purpose; a retry cannot.
        let security = (money && after_check).then_some(Security::Money);
        let mut message = format!(
            "`{operation}` ({provider}) is called without an idempotency key: on a retried request {}",
            cost.twice()
        );
        if let Some(s) = security {
            message = format!("{message}; {}", s.sentence());
        }
        out.push(Diagnostic {
            severity: if money || after_check {
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
            security,
            ..cx.diagnostic(&MissingIdempotencyKey::META, func, message, Label::at(e, "no idempotency key"))
        });
    }
}
