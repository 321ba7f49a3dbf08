//! JWT segments, header and claims (scope strings and arrays included).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = authlens::evidence::token::decode::decode(token);
    }
});
