//! What a finding weighs: what a second run of its act costs (from the provider model's
//! `cost`), and whether the race is a security bug (it moves money, or mints or reuses a
//! credential, by the vocabulary's `credential-words`).

use crate::diagnostic::{Security, Severity};
use crate::ir::{same_field, Effect, EffectKind, Resource};
use crate::models::Cost;
use crate::vocabulary::vocabulary;

/// What a second run of a call out costs, when its model says.
pub(super) fn cost(e: &Effect) -> Option<Cost> {
    match &e.kind {
        EffectKind::External { cost, .. } => *cost,
        _ => None,
    }
}

/// A call out whose repeat does no harm: a disposable object, or one refused by its state.
pub(super) fn harmless(e: &Effect) -> bool {
    cost(e).is_some_and(Cost::harmless)
}

/// The level of a call out done twice: money is an error, a message, a publish or a record
/// at the provider a warning; a call whose cost no model gives (an HTTP POST) may be anything,
/// so an error.
pub(super) fn external_level(e: &Effect) -> Severity {
    match cost(e) {
        Some(Cost::MovesMoney) | None => Severity::Error,
        Some(_) => Severity::Warning,
    }
}

/// A resource or field named as holding a credential (`password_resets`, `magicLinks`).
pub(super) fn names_credential(name: &str) -> bool {
    vocabulary().credential_words.any_word_of(name)
}

fn holds_credential(r: Option<&Resource>) -> bool {
    r.is_some_and(|r| names_credential(r.name()))
}

/// A check of a credential: the table read is named so, or a field the check tests
/// (`user.resetToken`).
pub(super) fn checks_credential(read: &Effect, fields: &[String]) -> bool {
    holds_credential(read.kind.resource()) || fields.iter().any(|f| names_credential(f))
}

/// A single-use credential spent by a write of `sets` after a check of `fields`: the write
/// marks a tested field spent (`usedAt`, `revoked`) or clears the credential itself
/// (`resetToken = null`).
pub(super) fn spends_credential(read: &Effect, fields: &[String], sets: &[String]) -> bool {
    let spends = |f: &String| vocabulary().spent_words.any_word_of(f) || names_credential(f);
    checks_credential(read, fields)
        && sets
            .iter()
            .any(|s| spends(s) && fields.iter().any(|f| same_field(s, f)))
}

/// Why a race between `read` and `act` is a security bug, if it is: the act moves money, or
/// the check guards a credential, or the act writes one.
pub(super) fn security(credential_read: bool, act: &Effect) -> Option<Security> {
    if cost(act) == Some(Cost::MovesMoney) {
        Some(Security::Money)
    } else if credential_read || holds_credential(act.kind.resource()) {
        Some(Security::Credential)
    } else {
        None
    }
}
