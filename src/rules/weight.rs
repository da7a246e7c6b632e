//! What a finding weighs: what a second run of its act costs (from the provider model's
//! `cost`), and whether the race is a security bug (it moves money, or mints or reuses a
//! credential, by the vocabulary's `credential-words`).

use crate::diagnostic::{Security, Severity};
use crate::ir::{same_field, Effect, EffectKind, Resource, WriteKind};
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
/// marks a tested field spent (`usedAt`, `revoked`; not `lastUsedAt`, which every use sets).
/// A credential field set anew (`password`, `qrToken`) may be a new value, not a spent one.
pub(super) fn spends_credential(read: &Effect, fields: &[String], sets: &[String]) -> bool {
    let words = vocabulary();
    let spent = |f: &String| words.spent_words.any_word_of(f) && !words.latest_words.any_word_of(f);
    checks_credential(read, fields)
        && sets
            .iter()
            .any(|s| spent(s) && fields.iter().any(|f| same_field(s, f)))
}

/// Why a race is a security bug, if it is: its act moves money; or it gets a credential twice:
/// it mints one (an insert into a credential table), spends a single-use one (`spends`), or
/// makes something on a credential's check (a passkey registered, an invite mailed). An
/// update computed on a stale credential (a session's expiry slid forward) gets nothing twice.
pub(super) fn security(credential_check: bool, spends: bool, act: &Effect) -> Option<Security> {
    let makes = match &act.kind {
        EffectKind::External { .. } => true,
        EffectKind::Write { kind, .. } => {
            matches!(kind, WriteKind::Insert { .. } | WriteKind::Put { .. })
        }
        _ => false,
    };
    if cost(act) == Some(Cost::MovesMoney) {
        Some(Security::Money)
    } else if spends || (makes && (credential_check || holds_credential(act.kind.resource()))) {
        Some(Security::Credential)
    } else {
        None
    }
}
