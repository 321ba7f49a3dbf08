//! Every metric family of CONTRACT §3, registered on one registry that is created at start and
//! passed down. Label values are resolved into handles here, once, so the request path does an
//! index and an atomic add, never a label lookup.

use crate::cause::{Cause, Detail, Finding, known_pairs};
use crate::facts::METHOD_LABELS;
use crate::policy::{Policy, RouteId};
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry,
};
use std::collections::HashMap;

/// Latency buckets for a sidecar: sub-millisecond to 30 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Token lifetimes: a minute to a day.
const LIFETIME_BUCKETS: &[f64] = &[
    0.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0,
];
/// How far outside its window a rejected token was: a second to a day.
const SKEW_BUCKETS: &[f64] = &[1.0, 5.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 86400.0];

pub const STATUS_CLASSES: &[&str] = &["1xx", "2xx", "3xx", "4xx", "5xx", "none"];
pub const JWKS_RESULTS: &[&str] = &["ok", "http_error", "network_error", "invalid"];
pub const HEALTH_RESULTS: &[&str] = &["ok", "status", "not_found", "timeout", "refused", "error"];

/// Index into `STATUS_CLASSES`; `None` is "no response".
pub fn status_class(status: Option<http::StatusCode>) -> usize {
    match status.map(|s| s.as_u16() / 100) {
        Some(c @ 1..=5) => c as usize - 1,
        _ => 5,
    }
}

/// Handles for one route.
struct RouteHandles {
    /// `[method][status_class]`
    requests: Vec<[IntCounter; 6]>,
    /// Indexed like `Metrics::pairs`.
    failures: Vec<IntCounter>,
    findings: Vec<IntCounter>,
    duration: Vec<Histogram>,
    upstream_duration: Histogram,
    preflights_unfollowed: IntCounter,
}

pub struct Metrics {
    registry: Registry,
    routes: Vec<RouteHandles>,
    pairs: HashMap<(Cause, Detail), usize>,
    pub token_remaining_lifetime: Histogram,
    pub clock_skew: Histogram,
    jwks_fetches: IntCounterVec,
    jwks_keys: IntGaugeVec,
    jwks_last_success: prometheus::GaugeVec,
    pub token_cache_hit: IntCounter,
    pub token_cache_miss: IntCounter,
    pub upstream_up: IntGauge,
    health_checks: Vec<IntCounter>,
    config_loads: IntCounter,
    pub config_last_reload_success: Gauge,
    /// The last failures, for `/failures` and `authlens top` (fed beside the failure counter).
    pub recent: crate::recent::Recent,
}

// === impl Metrics ===

impl Metrics {
    /// Registers every family and starts every known label combination at 0.
    pub fn new(policy: &Policy) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();

        let requests = IntCounterVec::new(
            Opts::new(
                "authlens_requests_total",
                "Requests proxied, by route, method and status class.",
            ),
            &["route", "method", "status_class"],
        )?;
        let failures = IntCounterVec::new(
            Opts::new(
                "authlens_failures_total",
                "Failed exchanges by classified cause.",
            ),
            &["category", "cause", "detail", "route"],
        )?;
        let findings = IntCounterVec::new(
            Opts::new(
                "authlens_findings_total",
                "Things on-call should know that are not failures.",
            ),
            &["finding", "route"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "authlens_request_duration_seconds",
                "Time from request head to response head.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "status_class"],
        )?;
        let upstream_duration = HistogramVec::new(
            HistogramOpts::new(
                "authlens_upstream_duration_seconds",
                "Upstream round trip to the response head.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )?;
        let preflights_unfollowed = IntCounterVec::new(
            Opts::new(
                "authlens_cors_preflights_unfollowed_total",
                "Successful CORS preflights the browser never followed with the real request \
                 (evidence it blocked the call).",
            ),
            &["route"],
        )?;
        let token_remaining_lifetime = Histogram::with_opts(
            HistogramOpts::new(
                "authlens_token_remaining_lifetime_seconds",
                "Seconds a presented token had left.",
            )
            .buckets(LIFETIME_BUCKETS.to_vec()),
        )?;
        let clock_skew = Histogram::with_opts(
            HistogramOpts::new(
                "authlens_clock_skew_seconds",
                "How far outside its validity window a rejected token was.",
            )
            .buckets(SKEW_BUCKETS.to_vec()),
        )?;
        let jwks_fetches = IntCounterVec::new(
            Opts::new(
                "authlens_jwks_fetches_total",
                "Key set fetches by issuer and result.",
            ),
            &["issuer", "result"],
        )?;
        let jwks_keys = IntGaugeVec::new(
            Opts::new("authlens_jwks_keys", "Usable keys in the key set."),
            &["issuer"],
        )?;
        let jwks_last_success = prometheus::GaugeVec::new(
            Opts::new(
                "authlens_jwks_last_success_timestamp_seconds",
                "When the key set was last fetched.",
            ),
            &["issuer"],
        )?;
        let cache = IntCounterVec::new(
            Opts::new(
                "authlens_token_cache_lookups_total",
                "Verified-token cache lookups.",
            ),
            &["result"],
        )?;
        let upstream_up = IntGauge::new(
            "authlens_upstream_up",
            "1 when the last health probe succeeded.",
        )?;
        let health = IntCounterVec::new(
            Opts::new(
                "authlens_health_checks_total",
                "Upstream health probes by result.",
            ),
            &["result"],
        )?;
        let reloads_vec = IntCounterVec::new(
            Opts::new(
                "authlens_config_reloads_total",
                "Configuration loads by result.",
            ),
            &["result"],
        )?;
        let config_last_reload_success = Gauge::new(
            "authlens_config_last_reload_success_timestamp_seconds",
            "When the configuration was last loaded successfully.",
        )?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "authlens_build_info",
                "Always 1; labels say which build is running.",
            ),
            &["version", "revision"],
        )?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION"), env!("AUTHLENS_REVISION")])
            .set(1);

        let pair_list: Vec<(Cause, Detail)> = known_pairs().collect();
        let routes = policy
            .routes
            .labels()
            .map(|route| RouteHandles {
                requests: METHOD_LABELS
                    .iter()
                    .map(|m| {
                        std::array::from_fn(|c| {
                            requests.with_label_values(&[route, m, STATUS_CLASSES[c]])
                        })
                    })
                    .collect(),
                failures: pair_list
                    .iter()
                    .map(|(c, d)| {
                        failures.with_label_values(&[
                            c.category().label(),
                            c.label(),
                            d.label(),
                            route,
                        ])
                    })
                    .collect(),
                findings: Finding::ALL
                    .iter()
                    .map(|f| findings.with_label_values(&[f.label(), route]))
                    .collect(),
                duration: STATUS_CLASSES
                    .iter()
                    .map(|c| duration.with_label_values(&[route, c]))
                    .collect(),
                upstream_duration: upstream_duration.with_label_values(&[route]),
                preflights_unfollowed: preflights_unfollowed.with_label_values(&[route]),
            })
            .collect();
        for issuer in &policy.issuers {
            for result in JWKS_RESULTS {
                jwks_fetches.with_label_values(&[issuer.name.as_str(), result]);
            }
            jwks_keys.with_label_values(&[issuer.name.as_str()]);
            jwks_last_success.with_label_values(&[issuer.name.as_str()]);
        }

        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(failures.clone()),
            Box::new(findings.clone()),
            Box::new(duration.clone()),
            Box::new(upstream_duration.clone()),
            Box::new(preflights_unfollowed.clone()),
            Box::new(token_remaining_lifetime.clone()),
            Box::new(clock_skew.clone()),
            Box::new(jwks_fetches.clone()),
            Box::new(jwks_keys.clone()),
            Box::new(jwks_last_success.clone()),
            Box::new(cache.clone()),
            Box::new(upstream_up.clone()),
            Box::new(health.clone()),
            Box::new(reloads_vec.clone()),
            Box::new(config_last_reload_success.clone()),
            Box::new(build_info),
        ] {
            registry.register(collector)?;
        }
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;

        Ok(Metrics {
            registry,
            token_cache_hit: cache.with_label_values(&["hit"]),
            token_cache_miss: cache.with_label_values(&["miss"]),
            health_checks: HEALTH_RESULTS
                .iter()
                .map(|r| health.with_label_values(&[r]))
                .collect(),
            // `error` starts at 0 beside `ok`, so a rule on it sees the first failed reload.
            config_loads: {
                reloads_vec.with_label_values(&["error"]);
                reloads_vec.with_label_values(&["ok"])
            },
            pairs: pair_list
                .into_iter()
                .enumerate()
                .map(|(i, p)| (p, i))
                .collect(),
            routes,
            token_remaining_lifetime,
            clock_skew,
            jwks_fetches,
            jwks_keys,
            jwks_last_success,
            upstream_up,
            config_last_reload_success,
            recent: crate::recent::Recent::default(),
        })
    }

    /// The Prometheus text exposition of everything registered.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let families = self.registry.gather();
        if let Err(e) = prometheus::TextEncoder::new().encode_utf8(&families, &mut out) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        out
    }

    fn route(&self, route: RouteId) -> &RouteHandles {
        // An id from an older policy falls back to `unmatched` rather than panicking.
        self.routes
            .get(route.0 as usize)
            .unwrap_or_else(|| self.routes.last().expect("unmatched always exists"))
    }

    pub fn request(&self, route: RouteId, method: usize, status_class: usize, seconds: f64) {
        let r = self.route(route);
        r.requests[method][status_class].inc();
        r.duration[status_class].observe(seconds);
    }

    pub fn upstream_duration(&self, route: RouteId, seconds: f64) {
        self.route(route).upstream_duration.observe(seconds);
    }

    pub fn failure(&self, route: RouteId, cause: Cause, detail: Detail) {
        let idx = self
            .pairs
            .get(&(cause, detail))
            .or_else(|| self.pairs.get(&(cause, Detail::None)));
        if let Some(&i) = idx {
            self.route(route).failures[i].inc();
        }
    }

    /// A preflight `cors::Preflights::sweep` found unfollowed.
    pub fn cors_preflight_unfollowed(&self, route: RouteId) {
        self.route(route).preflights_unfollowed.inc();
    }

    pub fn finding(&self, route: RouteId, finding: Finding) {
        let i = Finding::ALL.iter().position(|f| *f == finding).unwrap_or(0);
        self.route(route).findings[i].inc();
    }

    pub fn jwks_fetch(&self, issuer: &str, result: &'static str) {
        self.jwks_fetches.with_label_values(&[issuer, result]).inc();
    }

    pub fn jwks_loaded(&self, issuer: &str, keys: usize, at_unix_secs: f64) {
        self.jwks_keys.with_label_values(&[issuer]).set(keys as i64);
        self.jwks_last_success
            .with_label_values(&[issuer])
            .set(at_unix_secs);
    }

    /// `result` is an index into `HEALTH_RESULTS`.
    pub fn health_check(&self, result: usize) {
        self.health_checks[result].inc();
    }

    pub fn config_loaded(&self, at_unix_secs: f64) {
        self.config_loads.inc();
        self.config_last_reload_success.set(at_unix_secs);
    }
}
