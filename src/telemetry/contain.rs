//! Fault isolation (CONTRACT §1.2, fail open): a panic in authlens's own work for one exchange
//! is caught, counted and logged, and the exchange goes on being proxied.

use crate::telemetry::events::InternalError;
use crate::telemetry::metrics::{Metrics, Stage};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A panic message is authlens's own text, but bound it like any log field.
const MAX_MESSAGE: usize = 256;

thread_local! {
    /// Inside `contained`, whose own event says what panicked.
    static CONTAINING: Cell<bool> = const { Cell::new(false) };
}

/// Replaces the default panic output (the whole message on stderr, which may quote data an
/// exchange carried) with one bounded log line; panics inside `contained` are left to its event.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if CONTAINING.get() {
            return;
        }
        tracing::error!(
            message = "panic",
            event = "panic",
            error = crate::base::text::prefix(&payload_text(info.payload()), MAX_MESSAGE),
            location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line())),
        );
        // The process may end with this panic: its line must not wait in the batch.
        crate::telemetry::log_writer::flush_stdout();
    }));
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Runs `f`; a panic inside it becomes an `InternalError` event and `None`.
pub fn contained<R>(metrics: &Metrics, stage: Stage, f: impl FnOnce() -> R) -> Option<R> {
    // Unwind safety: a panicking stage's half-built values are dropped with it; the shared
    // state it touches (counters, memory behind locks that do not poison) stays usable.
    let outer = CONTAINING.replace(true);
    let result = catch_unwind(AssertUnwindSafe(f));
    CONTAINING.set(outer);
    match result {
        Ok(r) => Some(r),
        Err(payload) => {
            let text = payload_text(&*payload);
            InternalError {
                stage,
                panic: crate::base::text::prefix(&text, MAX_MESSAGE),
            }
            .emit(metrics);
            None
        }
    }
}
