//! Fault isolation (CONTRACT §1.2, fail open): a panic in authlens's own work for one exchange
//! is caught, counted and logged, and the exchange goes on being proxied.

use crate::telemetry::events::InternalError;
use crate::telemetry::metrics::{Metrics, Stage};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A panic message is authlens's own text, but bound it like any log field.
const MAX_MESSAGE: usize = 256;

/// Runs `f`; a panic inside it becomes an `InternalError` event and `None`.
pub fn contained<R>(metrics: &Metrics, stage: Stage, f: impl FnOnce() -> R) -> Option<R> {
    // Unwind safety: a panicking stage's half-built values are dropped with it; the shared
    // state it touches (counters, memory behind locks that do not poison) stays usable.
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            let mut end = text.len().min(MAX_MESSAGE);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            InternalError {
                stage,
                panic: &text[..end],
            }
            .emit(metrics);
            None
        }
    }
}
