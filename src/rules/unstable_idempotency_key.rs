//! `unstable-idempotency-key`: a deduplication key made from the clock or randomness, so every
//! retry sends a new one.

use super::{declare_rule, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{EffectKind, FunctionIr, Source};

declare_rule! {
    /// ## What it does
    /// Finds a key handed to something that deduplicates on it (Stripe's `idempotencyKey`,
    /// an `Idempotency-Key` or `PayPal-Request-Id` header, BullMQ `jobId`, SQS
    /// `MessageDeduplicationId`, async-stripe `RequestStrategy::Idempotent`) that is built,
    /// inside the function, from the clock (`Date.now()`, `new Date()`, `Utc::now()`,
    /// `SystemTime::now()`) or from randomness (`randomUUID()`, uuid `v4`, `nanoid`,
    /// `Uuid::new_v4()`, `rand`). Keys from the request, entity ids, hashes of the payload and
    /// values loaded from storage are stable and stay quiet.
    ///
    /// ## Why is this bad?
    /// A key exists so that a retry of the same operation is recognised. The provider charges
    /// the card, the response is lost, the job retries 30 s later: a key built from the clock
    /// or a fresh UUID is different on the retry, so the provider sees a new request and
    /// charges again. The key is unique per attempt, and a retry is a new attempt.
    ///
    /// ## Example
    /// ```ts
    /// await stripe.paymentIntents.create(
    ///   { amount, currency: 'usd', customer },
    ///   { idempotencyKey: `pi-${customer}-${Date.now()}` },
    /// );
    /// ```
    ///
    /// ## Fix
    /// Derive the key from what identifies the operation and stays the same on every retry:
    /// the order or payment id, the webhook event id, the client's `Idempotency-Key` header,
    /// or a random key generated once and stored with the order before the first attempt.
    pub struct UnstableIdempotencyKey {
        id: "unstable-idempotency-key",
        level: Severity::Error,
        languages: &["typescript", "javascript", "rust"],
        summary: "an idempotency key built from the clock or randomness changes on every retry",
        links: super::Links::AsWritten,
    }
}

pub fn check(func: &FunctionIr, _shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for e in &func.effects {
        let EffectKind::External {
            provider,
            operation,
            key: Some(key),
            ..
        } = &e.kind
        else {
            continue;
        };
        let Some(source) = key.sources.iter().find_map(|s| match s {
            Source::Clock(name) => Some((name, "the clock")),
            Source::Random(name) => Some((name, "randomness")),
            _ => None,
        }) else {
            continue;
        };
        let (name, what) = source;
        let line = e.span.line;
        out.push(Diagnostic {
            secondary: vec![Label::new(key.span, format!("built from {what} (`{name}`)"))],
            steps: vec![
                // Attempts are numbered, not lettered: each step is shown in both requests' threads.
                Step::new(Actor::Both, e.span, format!("attempt 1 calls `{operation}` at line {line} with a key built from `{name}`; {provider} does it, but the response is lost")),
                Step::new(Actor::Both, e.span, "the client or the queue retries"),
                Step::new(Actor::Both, e.span, format!("attempt 2 builds the key again from `{name}` and gets a different one")),
                Step::new(Actor::Both, e.span, format!("{provider} sees a new key, takes it for a new request and does the operation again")),
            ],
            help: "derive the key from what identifies the operation and stays the same on every retry: the order or payment id, the webhook event id, the client's Idempotency-Key header, or a random key stored with the order before the first attempt".into(),
            ..cx.diagnostic(&UnstableIdempotencyKey::META, func, format!(
                "the idempotency key of `{operation}` ({provider}) is built from `{name}`: every retry sends a new key, so {provider} repeats the operation"
            ), Label::at(e, "the provider deduplicates on this call's key"))
        });
    }
}
