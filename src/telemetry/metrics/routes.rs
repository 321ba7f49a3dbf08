//! The route-labelled families of CONTRACT §3 (requests, failures, findings, request and
//! upstream durations, unfollowed preflights), kept per route as plain atomics and written as
//! text only when scraped, straight into the page (not through `prometheus`'s per-series protos,
//! which cost a scrape of 100 routes several MiB for a moment).
//!
//! A series is shown once it has counted something, except those that must exist at 0 before
//! the first event: the failures that can happen on the route (CONTRACT §3, so `rate()` sees the
//! first one) and the findings (alerts read them with `increase()` and no `for`, which would miss
//! a first finding on a new series). Why: registered up front, a route cost about 280 series and
//! 110 KiB (docs/performance.md); as atomics it costs about 3 KiB, and the request path is still
//! an index and an atomic add, never a lock or an allocation.

use super::latency::Latency;
use crate::cause::{Cause, Detail, Finding, known_pairs};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The fixed method label set (CONTRACT §1.4); anything else is `_OTHER`.
pub const METHOD_LABELS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER",
];

pub fn method_label(m: &http::Method) -> usize {
    METHOD_LABELS[..9]
        .iter()
        .position(|l| *l == m.as_str())
        .unwrap_or(9)
}

pub const STATUS_CLASSES: &[&str] = &["1xx", "2xx", "3xx", "4xx", "5xx", "none"];

/// Index into `STATUS_CLASSES`; `None` is "no response".
pub fn status_class(status: Option<http::StatusCode>) -> usize {
    match status.map(|s| s.as_u16() / 100) {
        Some(c @ 1..=5) => c as usize - 1,
        _ => 5,
    }
}

const STATUSES: usize = STATUS_CLASSES.len();

/// One route's counts. They outlive generations (a route that stays keeps them) and are
/// dropped when a reload removes the route.
pub struct RouteSeries {
    pub label: String,
    /// `[method][status_class]`
    pub requests: [[AtomicU64; STATUSES]; METHOD_LABELS.len()],
    /// Indexed like `RouteFamilies::pairs`.
    pub failures: Box<[AtomicU64]>,
    /// Failure pairs shown at 0: the ones that can happen on the route.
    expected: Box<[AtomicBool]>,
    /// Indexed like `Finding::ALL`; shown at 0.
    pub findings: [AtomicU64; Finding::ALL.len()],
    /// `[status_class]`
    pub duration: [Latency; STATUSES],
    pub upstream_duration: Latency,
    pub preflights_unfollowed: AtomicU64,
}

impl RouteSeries {
    fn new(label: &str, pairs: usize) -> Self {
        RouteSeries {
            label: label.to_string(),
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            failures: (0..pairs).map(|_| AtomicU64::new(0)).collect(),
            expected: (0..pairs).map(|_| AtomicBool::new(false)).collect(),
            findings: std::array::from_fn(|_| AtomicU64::new(0)),
            duration: std::array::from_fn(|_| Latency::default()),
            upstream_duration: Latency::default(),
            preflights_unfollowed: AtomicU64::new(0),
        }
    }

    /// Shows failure pair `i` at 0 from now on.
    pub fn expect(&self, i: usize) {
        self.expected[i].store(true, Ordering::Relaxed);
    }
}

/// Every current route's counts, created once and passed down inside `Metrics`; a route's
/// counts are shared by the generations that have it.
pub struct RouteFamilies {
    /// Every known (cause, detail) pair, in catalogue order.
    pub pairs: Vec<(Cause, Detail)>,
    pair_index: HashMap<(Cause, Detail), usize>,
    routes: Mutex<HashMap<String, Arc<RouteSeries>>>,
}

/// One family's `# HELP` and `# TYPE` lines.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
}

const fn counter(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        help,
        kind: "counter",
    }
}

const fn histogram(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        help,
        kind: "histogram",
    }
}

const REQUESTS: Family = counter(
    "authlens_requests_total",
    "Requests proxied, by route, method and status class.",
);
const FAILURES: Family = counter(
    "authlens_failures_total",
    "Failed exchanges by classified cause.",
);
const FINDINGS: Family = counter(
    "authlens_findings_total",
    "Things on-call should know that are not failures.",
);
const DURATION: Family = histogram(
    "authlens_request_duration_seconds",
    "Time from request head to response head.",
);
const UPSTREAM_DURATION: Family = histogram(
    "authlens_upstream_duration_seconds",
    "Upstream round trip to the response head.",
);
const PREFLIGHTS_UNFOLLOWED: Family = counter(
    "authlens_cors_preflights_unfollowed_total",
    "Successful CORS preflights the browser never followed with the real request \
     (evidence it blocked the call).",
);

impl RouteFamilies {
    pub fn new() -> Self {
        let pairs: Vec<(Cause, Detail)> = known_pairs().collect();
        RouteFamilies {
            pair_index: pairs.iter().enumerate().map(|(i, p)| (*p, i)).collect(),
            pairs,
            routes: Mutex::new(HashMap::new()),
        }
    }

    /// The index of `(cause, detail)`, or of `(cause, "")` for a detail the catalogue does
    /// not list with that cause.
    pub fn pair(&self, cause: Cause, detail: Detail) -> Option<usize> {
        let idx = self.pair_index.get(&(cause, detail));
        idx.or_else(|| self.pair_index.get(&(cause, Detail::None)))
            .copied()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<RouteSeries>>> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The counts of `route`, kept from an earlier generation or new.
    pub fn route(&self, route: &str) -> Arc<RouteSeries> {
        let mut routes = self.lock();
        if let Some(r) = routes.get(route) {
            return r.clone();
        }
        let r = Arc::new(RouteSeries::new(route, self.pairs.len()));
        routes.insert(route.to_string(), r.clone());
        r
    }

    /// Forgets every route `keep` says no to, with its series.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        self.lock().retain(|label, _| keep(label));
    }

    /// Appends the families' text exposition, routes in name order. Every family is declared
    /// (`# HELP`, `# TYPE`) even before its first series, so the page always names every
    /// contract family.
    pub fn render(&self, out: &mut String) {
        let mut routes: Vec<Arc<RouteSeries>> = self.lock().values().cloned().collect();
        routes.sort_by(|a, b| a.label.cmp(&b.label));
        let mut page = Page { out };
        page.header(&REQUESTS);
        for r in &routes {
            for (m, row) in METHOD_LABELS.iter().zip(&r.requests) {
                for (c, n) in STATUS_CLASSES.iter().zip(row) {
                    let labels =
                        format_args!("method=\"{m}\",route=\"{}\",status_class=\"{c}\"", r.label);
                    page.counter(&REQUESTS, labels, n, false);
                }
            }
        }
        page.header(&FAILURES);
        for r in &routes {
            for (i, (cause, detail)) in self.pairs.iter().enumerate() {
                let labels = format_args!(
                    "category=\"{}\",cause=\"{}\",detail=\"{}\",route=\"{}\"",
                    cause.category().label(),
                    cause.label(),
                    detail.label(),
                    r.label
                );
                let eager = r.expected[i].load(Ordering::Relaxed);
                page.counter(&FAILURES, labels, &r.failures[i], eager);
            }
        }
        page.header(&FINDINGS);
        for r in &routes {
            for (f, n) in Finding::ALL.iter().zip(&r.findings) {
                let labels = format_args!("finding=\"{}\",route=\"{}\"", f.label(), r.label);
                page.counter(&FINDINGS, labels, n, true);
            }
        }
        page.header(&DURATION);
        for r in &routes {
            for (c, h) in STATUS_CLASSES.iter().zip(&r.duration) {
                let labels = format!("route=\"{}\",status_class=\"{c}\"", r.label);
                page.histogram(&DURATION, &labels, h);
            }
        }
        page.header(&UPSTREAM_DURATION);
        for r in &routes {
            let labels = format!("route=\"{}\"", r.label);
            page.histogram(&UPSTREAM_DURATION, &labels, &r.upstream_duration);
        }
        page.header(&PREFLIGHTS_UNFOLLOWED);
        for r in &routes {
            let labels = format_args!("route=\"{}\"", r.label);
            page.counter(
                &PREFLIGHTS_UNFOLLOWED,
                labels,
                &r.preflights_unfollowed,
                false,
            );
        }
    }
}

/// The page being written. Label values are written as they are: route names are `a-z`,
/// `0-9`, `_` and `-` (config validation), and the rest come from the closed sets above.
struct Page<'a> {
    out: &'a mut String,
}

impl Page<'_> {
    fn header(&mut self, f: &Family) {
        let _ = writeln!(self.out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(self.out, "# TYPE {} {}", f.name, f.kind);
    }

    fn counter(&mut self, f: &Family, labels: std::fmt::Arguments<'_>, n: &AtomicU64, eager: bool) {
        let n = n.load(Ordering::Relaxed);
        if n > 0 || eager {
            let _ = writeln!(self.out, "{}{{{labels}}} {n}", f.name);
        }
    }

    fn histogram(&mut self, f: &Family, labels: &str, h: &Latency) {
        if h.count() > 0 {
            h.write(self.out, f.name, labels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::latency::LATENCY_BUCKETS;
    use super::*;

    #[test]
    fn series_show_once_used_or_expected() {
        let f = RouteFamilies::new();
        let r = f.route("files");
        assert!(
            Arc::ptr_eq(&r, &f.route("files")),
            "one route, one set of counts"
        );
        let page = || {
            let mut out = String::new();
            f.render(&mut out);
            out
        };
        let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
        let idle = page();
        assert_eq!(series(&idle), Finding::ALL.len(), "{idle}");
        assert!(
            idle.contains("# TYPE authlens_requests_total counter\n"),
            "{idle}"
        );
        assert!(!idle.contains("authlens_requests_total{"), "{idle}");

        let i = f.pair(Cause::TokenExpired, Detail::None).unwrap();
        r.expect(i);
        r.requests[0][1].fetch_add(1, Ordering::Relaxed);
        r.duration[1].observe(0.002);
        let used = page();
        for line in [
            "# TYPE authlens_requests_total counter",
            "authlens_requests_total{method=\"GET\",route=\"files\",status_class=\"2xx\"} 1",
            "authlens_failures_total{category=\"authn\",cause=\"token_expired\",detail=\"\",route=\"files\"} 0",
            "# TYPE authlens_request_duration_seconds histogram",
            "authlens_request_duration_seconds_count{route=\"files\",status_class=\"2xx\"} 1",
        ] {
            assert!(used.lines().any(|l| l == line), "{line} in\n{used}");
        }
        let histogram = LATENCY_BUCKETS.len() + 3;
        assert_eq!(series(&used), Finding::ALL.len() + 2 + histogram);

        f.retain(|l| l != "files");
        assert_eq!(series(&page()), 0);
    }
}
