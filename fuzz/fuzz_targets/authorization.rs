//! The `Authorization` header (and the `access_token` query parameter) of a request.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_bytes(data) {
        headers.append(http::header::AUTHORIZATION, v.clone());
        let _ = authlens::evidence::token::extract(&headers, &http::Uri::from_static("/"));
        headers.append(http::header::AUTHORIZATION, v);
    }
    let _ =
        authlens::evidence::token::extract(&headers, &http::Uri::from_static("/?access_token=x"));
});
