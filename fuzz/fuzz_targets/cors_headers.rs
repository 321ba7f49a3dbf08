//! A response head's CORS headers and challenges, as `ResponseFacts` reads them.
#![no_main]
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = [
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "www-authenticate",
    "vary",
];

fuzz_target!(|data: &[u8]| {
    let mut headers = http::HeaderMap::new();
    for (i, part) in data.split(|b| *b == b'\n').enumerate() {
        if let Ok(v) = http::HeaderValue::from_bytes(part) {
            headers.append(http::HeaderName::from_static(NAMES[i % NAMES.len()]), v);
        }
    }
    let facts =
        authlens::facts::ResponseFacts::from_head(http::StatusCode::UNAUTHORIZED, &headers, true);
    let _ = facts.answer();
});
