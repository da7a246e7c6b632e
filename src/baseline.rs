//! Baselines for adopting the tool in an existing codebase: record today's findings, then
//! report only new ones. Findings are matched by fingerprint, which survives line shifts.
//! Version 2: fingerprints hash each site's code; version 1 hashed the labels' wording, which
//! named a helper's `file:line`, so a version 1 baseline is refused, to be written again,
//! rather than silently matching nothing.

use crate::diagnostic::Diagnostic;
use crate::report::fingerprints;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The fingerprint scheme a baseline file was written with.
const VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Baseline {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    file: String,
    fingerprint: String,
    message: String,
}

/// Writes the findings as a baseline file, sorted, one entry per finding.
pub fn write(path: &Path, diagnostics: &[Diagnostic]) -> Result<(), String> {
    let findings = diagnostics
        .iter()
        .zip(fingerprints(diagnostics))
        .map(|(d, fingerprint)| Entry {
            rule: d.rule.to_string(),
            file: d.file.display().to_string(),
            fingerprint,
            message: d.headline(),
        })
        .collect();
    let text = serde_json::to_string_pretty(&Baseline {
        version: VERSION,
        findings,
    })
    .map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Drops the findings the baseline records; returns how many of its entries no longer occur.
pub fn filter(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Result<usize, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
    let baseline: Baseline = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a toctou baseline: {e}", path.display()))?;
    if baseline.version != VERSION {
        return Err(format!(
            "{} is a version {} baseline, written by an older toctou whose fingerprints do not match today's: rewrite it with --write-baseline",
            path.display(),
            baseline.version
        ));
    }
    let mut known: HashMap<String, usize> = HashMap::new();
    for entry in &baseline.findings {
        *known.entry(entry.fingerprint.clone()).or_insert(0) += 1;
    }
    let prints = fingerprints(diagnostics);
    let mut keep = prints.iter().map(|p| match known.get_mut(p) {
        Some(n) if *n > 0 => {
            *n -= 1;
            false
        }
        _ => true,
    });
    diagnostics.retain(|_| keep.next().unwrap_or(true));
    Ok(known.values().sum())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_version_1_baseline_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        std::fs::write(&path, r#"{ "version": 1, "findings": [] }"#).unwrap();
        let err = super::filter(&path, &mut Vec::new()).unwrap_err();
        assert!(err.contains("rewrite it with --write-baseline"), "{err}");
    }
}
