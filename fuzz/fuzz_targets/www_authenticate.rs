//! `WWW-Authenticate` challenges, several values at once.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let values: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let all = authlens::evidence::challenge::parse::challenges(values.iter().copied());
    assert!(all.len() <= authlens::evidence::challenge::parse::MAX_CHALLENGES);
});
