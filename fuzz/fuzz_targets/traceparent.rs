//! The W3C `traceparent` header; what goes upstream is always well formed.
#![no_main]
use authlens::facts::trace_context::TraceContext;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let v = http::HeaderValue::from_bytes(data).ok();
    let t = TraceContext::from_header(v.as_ref());
    assert_eq!(t.to_header().len(), 55);
    let _ = authlens::facts::trace_context::request_id(v.as_ref(), &t);
});
