//! The families that say how authlens protects itself: connections open and refused at the
//! limit, internal errors contained, and exchanges cut by the drain deadline. Not in CONTRACT
//! §3's table; named like it.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Where a contained internal error happened (the `stage` label, a closed set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading the upstream's response head into facts.
    ResponseHead,
    /// Classifying a finished exchange and emitting its event.
    Classify,
}

impl Stage {
    pub const ALL: [Stage; 2] = [Stage::ResponseHead, Stage::Classify];

    pub fn label(self) -> &'static str {
        match self {
            Stage::ResponseHead => "response_head",
            Stage::Classify => "classify",
        }
    }
}

pub struct Protection {
    pub connections_open: IntGauge,
    pub connections_refused: IntCounter,
    pub drain_cut: IntCounter,
    internal_errors: IntCounterVec,
}

impl Protection {
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let connections_open = IntGauge::new(
            "authlens_connections_open",
            "Client connections open on the proxy listener.",
        )?;
        let connections_refused = IntCounter::new(
            "authlens_connections_refused_total",
            "Client connections closed at once because downstream.max_connections were open.",
        )?;
        let drain_cut = IntCounter::new(
            "authlens_drain_cut_total",
            "Exchanges still in flight when the drain deadline passed at shutdown.",
        )?;
        let internal_errors = IntCounterVec::new(
            Opts::new(
                "authlens_internal_errors_total",
                "Panics inside authlens's own classification or telemetry, contained; the \
                 request was proxied regardless.",
            ),
            &["stage"],
        )?;
        for s in Stage::ALL {
            internal_errors.with_label_values(&[s.label()]);
        }
        registry.register(Box::new(connections_open.clone()))?;
        registry.register(Box::new(connections_refused.clone()))?;
        registry.register(Box::new(drain_cut.clone()))?;
        registry.register(Box::new(internal_errors.clone()))?;
        Ok(Protection {
            connections_open,
            connections_refused,
            drain_cut,
            internal_errors,
        })
    }

    pub fn internal_error(&self, stage: Stage) {
        self.internal_errors
            .with_label_values(&[stage.label()])
            .inc();
    }
}
