//! What authlens remembers between exchanges of one generation, for the rules that need it
//! (`facts::History` is the snapshot a classification reads).

use super::Preflights;
use crate::policy::{Policy, RouteId};
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Memory {
    route_cors_on_success: Vec<AtomicBool>,
    upstream_accepted_a_token: AtomicBool,
    pub preflights: Preflights,
}

impl Memory {
    pub fn new(policy: &Policy) -> Self {
        Memory {
            route_cors_on_success: (0..policy.routes.len_with_unmatched())
                .map(|_| AtomicBool::new(false))
                .collect(),
            upstream_accepted_a_token: AtomicBool::new(false),
            preflights: Preflights::new(policy.preflight_window),
        }
    }

    /// Successful responses on this route carried `Access-Control-Allow-Origin`.
    pub fn route_cors_on_success(&self, route: RouteId) -> bool {
        self.route_cors_on_success
            .get(route.0 as usize)
            .is_some_and(|b| b.load(Ordering::Relaxed))
    }

    pub fn saw_cors_on_success(&self, route: RouteId) {
        if let Some(flag) = self.route_cors_on_success.get(route.0 as usize) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// The upstream has accepted at least one token authlens found valid.
    pub fn upstream_accepted_a_token(&self) -> bool {
        self.upstream_accepted_a_token.load(Ordering::Relaxed)
    }

    pub fn saw_upstream_accept_a_token(&self) {
        // Checked first so the steady state is a shared read, not a write to a shared line.
        if !self.upstream_accepted_a_token() {
            self.upstream_accepted_a_token
                .store(true, Ordering::Relaxed);
        }
    }
}
