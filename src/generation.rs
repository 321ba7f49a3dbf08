//! Generations: everything a reload may change (routes, issuers, audiences, scopes, CORS
//! expectations, timeouts, the metric handles of the current route set), built whole from
//! validated settings into one immutable `Generation` and swapped atomically. Each exchange
//! loads the current generation once and keeps it to its end, so a reload never changes the
//! rules under a request in flight.
//!
//! What outlives generations is `Durable`: the metrics registry and its counters, the key sets
//! (kept by issuer URL) and the verified-token cache.

mod memory;
mod preflights;

pub use memory::Memory;
pub use preflights::{Expired, PreflightKey, Preflights, Suspect};

use crate::config::{Live, UpstreamSettings};
use crate::inspect::{Inspector, Trust};
use crate::keys::KeyStore;
use crate::policy::Policy;
use crate::telemetry::metrics::{Metrics, RouteMetrics};
use arc_swap::ArcSwap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One configuration, compiled, with the handles and memory that belong to it.
pub struct Generation {
    /// Counts up from 1 with every swap.
    pub epoch: u64,
    pub policy: Arc<Policy>,
    pub trust: Arc<Trust>,
    pub metrics: RouteMetrics,
    pub upstream: UpstreamSettings,
    pub access_log: bool,
    pub diagnostic_header: bool,
    pub memory: Memory,
}

/// What every generation shares and no reload resets.
pub struct Durable {
    pub metrics: Arc<Metrics>,
    pub keys: KeyStore,
    pub inspector: Arc<Inspector>,
}

/// The current generation, and what outlives it.
pub struct Generations {
    current: ArcSwap<Generation>,
    epochs: AtomicU64,
    pub durable: Durable,
}

impl Generations {
    /// Builds the first generation; starts key refresh tasks, so needs a tokio runtime.
    pub fn new(live: Live, durable: Durable) -> Self {
        let first = Arc::new(build(live, &durable, 1));
        Generations {
            current: ArcSwap::new(first),
            epochs: AtomicU64::new(1),
            durable,
        }
    }

    /// The generation an exchange starting now runs under.
    pub fn current(&self) -> Arc<Generation> {
        self.current.load_full()
    }

    /// Builds a generation from `live` and makes it current. Exchanges under way finish under
    /// the one they started with; series of routes and issuers that are gone are removed.
    pub fn swap(&self, live: Live) -> Arc<Generation> {
        let epoch = self.epochs.fetch_add(1, Ordering::AcqRel) + 1;
        let next = Arc::new(build(live, &self.durable, epoch));
        let previous = self.current.swap(next.clone());
        self.durable.metrics.retire(&previous.policy, &next.policy);
        next
    }
}

fn build(live: Live, durable: &Durable, epoch: u64) -> Generation {
    let policy = Arc::new(live.policy);
    let trust = Arc::new(Trust {
        keys: durable.keys.resolve(&policy),
        policy: policy.clone(),
        epoch,
    });
    Generation {
        epoch,
        metrics: durable.metrics.routes(&policy),
        memory: Memory::new(&policy),
        trust,
        policy,
        upstream: live.upstream,
        access_log: live.access_log,
        diagnostic_header: live.diagnostic_header,
    }
}

#[cfg(test)]
mod tests;
