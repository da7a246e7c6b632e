//! Any text through SQL classification, parser and fallback alike.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sql) = std::str::from_utf8(data) {
        let _ = toctou::sql::classify(sql);
        let _ = toctou::sql::mentions_window(sql);
    }
});
