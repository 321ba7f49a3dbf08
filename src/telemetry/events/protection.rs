//! Events of authlens protecting itself: requests its own listener turned away, connections
//! refused at the limit, internal errors contained, and the drain deadline's cut.

use crate::cause::Detail;
use crate::classify::request_rejected;
use crate::telemetry::metrics::{Metrics, Stage};
use std::net::SocketAddr;

/// authlens answered 431/400 itself, or closed a connection whose head did not arrive in time.
/// Counted under `unmatched` (no route is known before the head is read).
pub struct RequestRejected {
    pub detail: Detail,
    pub client: SocketAddr,
}

impl RequestRejected {
    pub fn emit(&self, metrics: &Metrics) {
        let f = request_rejected(self.detail);
        metrics.failure_unrouted(f.cause, f.detail);
        tracing::warn!(
            message = "request rejected",
            cause = f.cause.label(),
            category = f.cause.category().label(),
            detail = f.detail.label(),
            hint = f.hint.as_str(),
            confidence = f.confidence.label(),
            client.address = %self.client.ip(),
        );
    }
}

/// Connections closed at once because `downstream.max_connections` were open. Always counted;
/// logged for the first refusal of a burst and then at most once a second, with the count.
pub struct ConnectionsRefused {
    pub limit: usize,
    /// Refusals since the last line (this one included).
    pub refused: u64,
}

impl ConnectionsRefused {
    pub fn count(metrics: &Metrics) {
        metrics.protection.connections_refused.inc();
    }

    pub fn log(&self) {
        tracing::warn!(
            message = "connection limit reached: new connections closed",
            event = "connection_limit",
            result = "refused",
            limit = self.limit,
            refused = self.refused,
        );
    }
}

/// A panic inside authlens's own machinery for one exchange, caught; the exchange was proxied.
pub struct InternalError<'a> {
    pub stage: Stage,
    pub panic: &'a str,
}

impl InternalError<'_> {
    pub fn emit(&self, metrics: &Metrics) {
        metrics.protection.internal_error(self.stage);
        tracing::error!(
            message = "internal error contained; the request was proxied",
            event = "internal_error",
            stage = self.stage.label(),
            error = self.panic,
        );
    }
}

/// The drain deadline passed at shutdown with connections still serving exchanges.
pub struct DrainCut {
    pub connections: usize,
}

impl DrainCut {
    pub fn emit(&self, metrics: &Metrics) {
        metrics.protection.drain_cut.inc_by(self.connections as u64);
        tracing::warn!(
            message = "drain deadline passed: in-flight exchanges cut",
            event = "drain",
            result = "deadline",
            connections = self.connections,
        );
    }
}
