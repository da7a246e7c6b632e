//! `short-idempotency-ttl`: a dedup key that expires before the retries it should stop.

use super::{declare_rule, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{EffectKind, FunctionIr};
use crate::vocabulary::vocabulary;

declare_rule! {
    /// ## What it does
    /// Finds an idempotency or dedup key stored with an expiry shorter than 24 hours (the
    /// `min-ttl` option): Redis
    /// `SET key v NX EX 60`, `PX 30000`, `setex`, `set_ex`, `{ NX: true, EX: 300 }`. A key
    /// counts as a dedup key when its name says so (`idem:`, `idempotency:`, `dedup:`,
    /// `processed:`, `seen:`); keys named as locks, leases, rate limits or caches are left
    /// alone, as are expiries that do not evaluate to a number.
    ///
    /// ## Why is this bad?
    /// A payment job claims `pay:order-17` for 60 seconds and calls the provider, which hangs
    /// for 90 seconds, or the job crashes and the queue retries after 2 minutes, 10 minutes,
    /// an hour. By then the key has expired: the retry claims it again and charges again. The
    /// key must outlive every retry that can carry it.
    ///
    /// ## Example
    /// ```ts
    /// const won = await redis.set(`idem:${orderId}`, '1', 'EX', 60, 'NX');
    /// if (!won) return;
    /// await stripe.charges.create(params, { idempotencyKey: orderId });
    /// ```
    ///
    /// ## Fix
    /// Keep dedup keys at least as long as the longest retry: 24 hours or more
    /// (`'EX', 60 * 60 * 24`), or record the operation durably in a table under a unique key.
    ///
    /// ## Options
    /// `min-ttl`: the shortest expiry a dedup key may have, as a duration (`"24h"`, `"2d"`,
    /// `"90m"`); default `"24h"`. Raise it when retries can come later (a queue that retries
    /// for days):
    /// ```toml
    /// [rules]
    /// short-idempotency-ttl = { level = "warning", min-ttl = "72h" }
    /// ```
    pub struct ShortIdempotencyTtl {
        id: "short-idempotency-ttl",
        level: Severity::Warning,
        languages: &["typescript", "javascript", "rust"],
        summary: "an idempotency or dedup key expires before the retries it should stop",
        links: super::Links::AsWritten,
    }
}

pub fn check(func: &FunctionIr, _shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for e in &func.effects {
        let (key, ttl) = match &e.kind {
            EffectKind::Claim {
                key,
                ttl_ms: Some(t),
                ..
            }
            | EffectKind::KvPut {
                key,
                ttl_ms: Some(t),
            } => (key.as_deref(), *t),
            _ => continue,
        };
        let name = key.unwrap_or("");
        let min_ttl = u64::try_from(cx.settings.min_ttl.as_millis()).unwrap_or(u64::MAX);
        let words = vocabulary();
        // Whole words of the key: `account` holds no `count`, `nonce` no `once`.
        if ttl >= min_ttl
            || words.non_dedup_keys.any_word_of(name)
            || !words.dedup_keys.any_word_of(name)
        {
            continue;
        }
        let shown = key.map_or_else(|| "the key".to_string(), readable);
        let human = duration(ttl);
        out.push(Diagnostic {
            steps: vec![
                Step::new(Actor::A, e.span, format!("attempt A stores `{shown}` at line {} and starts the operation", e.span.line)),
                // What the lost response and the late retry share is shown in both requests' threads.
                Step::new(Actor::Both, e.span, format!("A's response is lost or it crashes; the retry comes after {human} or later")),
                Step::new(Actor::Both, e.span, "the key has expired, so the retry stores it again and repeats the operation"),
            ],
            help: format!(
                "keep the key for at least {} (`'EX', {}`), longer than any retry can come, or record the operation in a table under a unique key",
                duration(min_ttl),
                min_ttl / 1000
            ),
            ..cx.diagnostic(&ShortIdempotencyTtl::META, func, format!(
                "`{shown}` expires after {human}: a retry that comes later finds no record and repeats the operation"
            ), Label::at(e, format!("stored for {human}")))
        });
    }
}

/// `dedup:__hole0` -> `dedup:{..}`: the parts of a template that vary, as a placeholder.
fn readable(key: &str) -> String {
    let mut out = String::new();
    let mut rest = key;
    while let Some(at) = rest.find(crate::models::sql::HOLE_PREFIX) {
        out.push_str(&rest[..at]);
        out.push_str("{..}");
        rest = rest[at + crate::models::sql::HOLE_PREFIX.len()..]
            .trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// `60000` ms -> `1 minute`.
fn duration(ms: u64) -> String {
    let s = ms / 1000;
    let (n, unit) = match s {
        0 => return format!("{ms} ms"),
        s if s % 3600 == 0 => (s / 3600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}
