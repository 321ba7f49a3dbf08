//! A key-set document as a key server sends it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = tokio::time::Instant::now();
    if let Ok(first) = authlens::evidence::token::KeySet::parse(data, None, now) {
        let _ = authlens::evidence::token::KeySet::parse(data, Some(&first), now);
    }
});
