//! Fingerprints that identify a finding across runs while unrelated lines move: built from
//! the rule, file, function and each site's code (its call, its resource, the helpers it is
//! reached through), never from line numbers or the labels' wording, which names lines.

use crate::diagnostic::Diagnostic;
use std::collections::HashMap;

/// One fingerprint per diagnostic, in order. Identical findings in one function are told
/// apart by their order of occurrence.
pub fn fingerprints(diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut seen: HashMap<u64, usize> = HashMap::new();
    diagnostics
        .iter()
        .map(|d| {
            let mut text = format!("{}\0{}\0{}", d.rule, d.file.display(), d.function);
            for label in d.labels() {
                text.push('\0');
                text.push_str(&label.code);
                for frame in &label.via {
                    text.push('\u{1}');
                    text.push_str(&frame.function);
                }
            }
            let base = fnv1a(text.as_bytes());
            let n = seen.entry(base).or_insert(0);
            *n += 1;
            format!("{base:016x}:{n}")
        })
        .collect()
}

/// FNV-1a: tiny, and stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
