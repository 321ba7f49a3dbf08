//! An error answer's words: JSON (or other) error bodies with their content type.
#![no_main]
use authlens::evidence::challenge::{Answer, MAX_WORDS, words};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ct, body) = data.split_at(data.len().min(1));
    let ct = match ct.first().map(|b| b % 3) {
        Some(0) => Some(http::HeaderValue::from_static("application/json")),
        Some(1) => Some(http::HeaderValue::from_static("application/problem+json")),
        _ => None,
    };
    let w = words(&Answer {
        www_authenticate: &[],
        content_type: ct.as_ref(),
        body: Some(body),
    });
    for f in [&w.error, &w.error_description] {
        assert!(f.as_ref().is_none_or(|f| f.len() <= MAX_WORDS * 4));
    }
});
