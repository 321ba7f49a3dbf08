//! Every metric family of CONTRACT §3, registered on one registry that is created at start and
//! passed down. The registry and its families outlive configuration generations, so counters
//! never reset on reload; each generation resolves its route set into its routes' counts once
//! (`RouteMetrics`), so the request path does an index and an atomic add, never a label lookup.
//! The route-labelled families are plain atomics per route, shown once used (`routes`).

use crate::cause::{Category, Cause, Detail, Finding};
use crate::classify::HealthResult;
use crate::keys::FetchResult;
use crate::policy::{Policy, RouteId, UNMATCHED};
use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;

mod latency;
mod protection;
mod routes;
pub use protection::{Protection, Stage};
pub use routes::{METHOD_LABELS, STATUS_CLASSES, method_label, status_class};
use routes::{RouteFamilies, RouteSeries};

/// Token lifetimes: a minute to a day.
const LIFETIME_BUCKETS: &[f64] = &[
    0.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0,
];
/// How far outside its window a rejected token was: a second to a day. Dense around the hour
/// (a token used an hour past `exp` is common), so a quantile never interpolates across
/// 3600..86400 s and reads an hour as most of a day.
const SKEW_BUCKETS: &[f64] = &[
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 2700.0, 3600.0, 4500.0, 5400.0,
    7200.0, 10800.0, 21600.0, 43200.0, 86400.0,
];

/// One generation's routes' counts, indexed by its `RouteId`s; `unmatched` is last.
pub struct RouteMetrics {
    metrics: Arc<Metrics>,
    routes: Vec<Arc<RouteSeries>>,
}

pub struct Metrics {
    registry: Registry,
    families: RouteFamilies,
    pub token_remaining_lifetime: Histogram,
    pub clock_skew: Histogram,
    jwks_fetches: IntCounterVec,
    jwks_keys: IntGaugeVec,
    jwks_last_success: prometheus::GaugeVec,
    pub token_cache_hit: IntCounter,
    pub token_cache_miss: IntCounter,
    pub upstream_up: IntGauge,
    health_checks: IntCounterVec,
    config_loads: IntCounter,
    config_load_errors: IntCounter,
    pub config_last_reload_success: Gauge,
    /// The last failures, for `/failures` and `authlens top` (fed beside the failure counter).
    pub recent: crate::recent::Recent,
    pub protection: Protection,
}

// === impl Metrics ===

impl Metrics {
    /// Registers every family and starts every label combination that does not depend on the
    /// configuration at 0; `routes` does the rest for each generation.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();

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

        for collector in [
            Box::new(token_remaining_lifetime.clone()) as Box<dyn prometheus::core::Collector>,
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

        let protection = Protection::register(&registry)?;

        Ok(Metrics {
            protection,
            registry,
            token_cache_hit: cache.with_label_values(&["hit"]),
            token_cache_miss: cache.with_label_values(&["miss"]),
            health_checks: {
                for r in HealthResult::ALL {
                    health.with_label_values(&[r.label()]);
                }
                health
            },
            // `error` starts at 0 beside `ok`, so a rule on it sees the first failed reload.
            config_load_errors: reloads_vec.with_label_values(&["error"]),
            config_loads: reloads_vec.with_label_values(&["ok"]),
            families: RouteFamilies::new(),
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

    /// The Prometheus text exposition of everything registered, then the route families.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let families = self.registry.gather();
        if let Err(e) = prometheus::TextEncoder::new().encode_utf8(&families, &mut out) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        self.families.render(&mut out);
        out
    }

    /// The counts of `policy`'s routes, each showing at 0 the failures that can happen on it;
    /// and the issuers' key-set series, all at 0 (alerts read a key set never fetched as a
    /// timestamp of 0, and failed fetches with `increase()`).
    pub fn routes(self: &Arc<Self>, policy: &Policy) -> RouteMetrics {
        let f = &self.families;
        let routes = policy
            .routes
            .labels()
            .enumerate()
            .map(|(i, route)| {
                let r = f.route(route);
                for (p, &(cause, _)) in f.pairs.iter().enumerate() {
                    if expected_on(policy, RouteId(i as u16), route, cause) {
                        r.expect(p);
                    }
                }
                r
            })
            .collect();
        for issuer in policy.key_issuers() {
            let name = issuer.name.as_str();
            for result in FetchResult::ALL {
                self.jwks_fetches.with_label_values(&[name, result.label()]);
            }
            self.jwks_keys.with_label_values(&[name]);
            self.jwks_last_success.with_label_values(&[name]);
        }
        RouteMetrics {
            metrics: self.clone(),
            routes,
        }
    }

    /// Removes the series of routes and issuers `old` had and `new` has not, so a reload does
    /// not leave dead rows behind. Counters of what stays are untouched.
    pub fn retire(&self, old: &Policy, new: &Policy) {
        self.families
            .retain(|route| new.routes.labels().any(|n| n == route));
        let kept = |name: &str| new.key_issuers().any(|i| i.name == name);
        for issuer in old.key_issuers().filter(|i| !kept(&i.name)) {
            let name = issuer.name.as_str();
            for result in FetchResult::ALL {
                let _ = self
                    .jwks_fetches
                    .remove_label_values(&[name, result.label()]);
            }
            let _ = self.jwks_keys.remove_label_values(&[name]);
            let _ = self.jwks_last_success.remove_label_values(&[name]);
        }
    }

    /// A failure that belongs to no request (the health probe), counted under `unmatched`.
    pub fn failure_unrouted(&self, cause: Cause, detail: Detail) {
        if let Some(i) = self.families.pair(cause, detail) {
            let unmatched = self.families.route(UNMATCHED);
            unmatched.failures[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn jwks_fetch(&self, issuer: &str, result: FetchResult) {
        self.jwks_fetches
            .with_label_values(&[issuer, result.label()])
            .inc();
    }

    pub fn jwks_loaded(&self, issuer: &str, keys: usize, at_unix_secs: f64) {
        self.jwks_keys.with_label_values(&[issuer]).set(keys as i64);
        self.jwks_last_success
            .with_label_values(&[issuer])
            .set(at_unix_secs);
    }

    pub fn health_check(&self, result: HealthResult) {
        self.health_checks
            .with_label_values(&[result.label()])
            .inc();
    }

    pub fn config_loaded(&self, at_unix_secs: f64) {
        self.config_loads.inc();
        self.config_last_reload_success.set(at_unix_secs);
    }

    pub fn config_refused(&self) {
        self.config_load_errors.inc();
    }
}

// === impl RouteMetrics ===

impl RouteMetrics {
    /// The process-wide families and handles.
    pub fn global(&self) -> &Metrics {
        &self.metrics
    }

    fn route(&self, route: RouteId) -> &RouteSeries {
        // An id from another generation falls back to `unmatched` rather than panicking.
        self.routes
            .get(route.0 as usize)
            .unwrap_or_else(|| self.routes.last().expect("unmatched always exists"))
    }

    pub fn request(&self, route: RouteId, method: usize, status_class: usize, seconds: f64) {
        let r = self.route(route);
        r.requests[method][status_class].fetch_add(1, Ordering::Relaxed);
        r.duration[status_class].observe(seconds);
    }

    pub fn upstream_duration(&self, route: RouteId, seconds: f64) {
        self.route(route).upstream_duration.observe(seconds);
    }

    pub fn failure(&self, route: RouteId, cause: Cause, detail: Detail) {
        if let Some(i) = self.metrics.families.pair(cause, detail) {
            self.route(route).failures[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A preflight `Preflights::sweep` found unfollowed.
    pub fn cors_preflight_unfollowed(&self, route: RouteId) {
        let r = self.route(route);
        r.preflights_unfollowed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn finding(&self, route: RouteId, finding: Finding) {
        let i = Finding::ALL.iter().position(|f| *f == finding).unwrap_or(0);
        self.route(route).findings[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether `cause` can be counted on the route, so its series start at 0 there: the health probe
/// and the listener's refusals count under `unmatched` only, token-endpoint causes on
/// token-endpoint routes only, and the resource server's own on the others.
fn expected_on(policy: &Policy, id: RouteId, label: &str, cause: Cause) -> bool {
    if label == UNMATCHED {
        return true;
    }
    let token_endpoint = policy.token_endpoints.of(id).is_some();
    match cause.category() {
        Category::TokenEndpoint => token_endpoint,
        Category::Authn | Category::Authz | Category::Cors => !token_endpoint,
        Category::Upstream | Category::Client => {
            !matches!(cause, Cause::HealthCheckFailed | Cause::RequestRejected)
        }
    }
}
