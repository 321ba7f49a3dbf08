//! Telemetry: the metrics registry, the events that log and count together, and log set-up.

pub mod contain;
pub mod events;
pub mod log_writer;
pub mod logging;
pub mod metrics;
pub mod reload_events;
