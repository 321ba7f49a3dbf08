//! The data path: accept, gather request facts, start token inspection, forward upstream,
//! then hand the exchange's ending to `classify` and one event.

mod body;
mod client;
mod errors;
mod handler;
mod headers;
mod listener;
mod record;
mod request_body;
mod tap;
mod upgrade;

pub use client::ClientError;
pub use client::{Resolver, UpstreamClient, build_client};
pub(crate) use client::{UpstreamConnector, connector};
pub(crate) use errors::transport_failure;
pub use listener::{ServeOptions, serve};

use crate::config::UpstreamSettings;
use crate::cors::Preflights;
use crate::inspect::Inspector;
use crate::metrics::Metrics;
use crate::policy::Policy;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// What every request handler shares. Built once at start.
pub struct Shared {
    pub policy: Arc<Policy>,
    pub metrics: Arc<Metrics>,
    pub inspector: Arc<Inspector>,
    pub client: UpstreamClient,
    pub upstream: UpstreamSettings,
    pub access_log: bool,
    pub diagnostic_header: bool,
    pub history: HistoryState,
}

/// The running memory that some rules need (see `facts::History`).
pub struct HistoryState {
    route_cors_on_success: Vec<AtomicBool>,
    upstream_accepted_a_token: AtomicBool,
    pub preflights: Preflights,
}

impl HistoryState {
    pub fn new(policy: &Policy) -> Self {
        HistoryState {
            route_cors_on_success: (0..policy.routes.len_with_unmatched())
                .map(|_| AtomicBool::new(false))
                .collect(),
            upstream_accepted_a_token: AtomicBool::new(false),
            preflights: Preflights::new(policy.preflight_window),
        }
    }
}

/// Counts preflights the browser never followed with their request (see `cors::Preflights`).
pub async fn sweep_preflights(shared: Arc<Shared>) {
    let period = (shared.history.preflights.window() / 2).max(Duration::from_millis(50));
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        for route in shared.history.preflights.sweep(std::time::Instant::now()) {
            shared.metrics.cors_preflight_unfollowed(route);
        }
    }
}
