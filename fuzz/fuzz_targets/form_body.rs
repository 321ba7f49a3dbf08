//! A form-encoded body's `access_token` (resource and token-endpoint requests).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = authlens::evidence::token::form_token(data);
});
