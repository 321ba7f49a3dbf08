//! A test-only fault switch: `AUTHLENS_TEST_FAULT=<stage>` makes that stage panic, so tests
//! can prove a panic is contained. Compiled only into debug builds (the test suite's); a
//! release build has no switch to trip.

/// Panics when `AUTHLENS_TEST_FAULT` names `stage` (debug builds only).
#[cfg(debug_assertions)]
pub fn trip(stage: &str) {
    if std::env::var("AUTHLENS_TEST_FAULT").is_ok_and(|v| v == stage) {
        panic!("injected fault at {stage} (AUTHLENS_TEST_FAULT)");
    }
}

/// Release builds: nothing to trip.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn trip(_stage: &str) {}
