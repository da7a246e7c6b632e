//! Any bytes through the TypeScript front-end and every rule, with both grammars.
#![no_main]

use libfuzzer_sys::fuzz_target;
use toctou::budget::Deadline;
use std::path::Path;
use toctou::config::Config;
use toctou::frontend::Grammar;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = Config::builtin();
    for kind in [Grammar::TypeScript, Grammar::Tsx] {
        let _ = toctou::check_source(Path::new("fuzz.ts"), kind, text, &config, budget());
    }
});

/// As the command line does, a file past its budget is abandoned, so a slow input shows as a
/// note rather than a hang; the budget is kept under libFuzzer's timeout.
fn budget() -> Deadline {
    Deadline::after(std::time::Duration::from_secs(2))
}
