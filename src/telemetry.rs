//! Logging set-up and the W3C trace context.

pub mod logging;
pub mod trace_context;
