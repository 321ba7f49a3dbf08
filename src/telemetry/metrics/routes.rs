//! The route-labelled families of CONTRACT §3 (requests, failures, findings, request and
//! upstream durations, unfollowed preflights), kept per route as plain atomics and turned into
//! series only when scraped. A series is shown once it has counted something, except those that
//! must exist at 0 before the first event: the failures that can happen on the route (CONTRACT
//! §3, so `rate()` sees the first one) and the findings (alerts read them with `increase()` and no
//! `for`, so a first finding would be missed). Why: registered up front, a route cost about 280
//! series and 230 KiB (docs/performance.md); as atomics it costs about 3 KiB, and the request
//! path is still an index and an atomic add, never a lock or an allocation.

use super::latency::Latency;
use crate::cause::{Cause, Detail, Finding, known_pairs};
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, LabelPair, Metric, MetricFamily, MetricType};
use std::collections::HashMap;
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

/// The families' descriptors and every current route's counts; registered once, scraped
/// through `Collector`.
pub struct RouteFamilies {
    /// Every known (cause, detail) pair, in catalogue order.
    pub pairs: Vec<(Cause, Detail)>,
    pair_index: HashMap<(Cause, Detail), usize>,
    descs: Descs,
    routes: Mutex<HashMap<String, Arc<RouteSeries>>>,
}

struct Descs {
    requests: Desc,
    failures: Desc,
    findings: Desc,
    duration: Desc,
    upstream_duration: Desc,
    preflights_unfollowed: Desc,
}

fn desc(name: &str, help: &str, labels: &[&str]) -> Result<Desc, prometheus::Error> {
    let labels = labels.iter().map(|l| l.to_string()).collect();
    Desc::new(name.into(), help.into(), labels, HashMap::new())
}

impl RouteFamilies {
    pub fn new() -> Result<Arc<Self>, prometheus::Error> {
        let pairs: Vec<(Cause, Detail)> = known_pairs().collect();
        Ok(Arc::new(RouteFamilies {
            pair_index: pairs.iter().enumerate().map(|(i, p)| (*p, i)).collect(),
            pairs,
            descs: Descs {
                requests: desc(
                    "authlens_requests_total",
                    "Requests proxied, by route, method and status class.",
                    &["route", "method", "status_class"],
                )?,
                failures: desc(
                    "authlens_failures_total",
                    "Failed exchanges by classified cause.",
                    &["category", "cause", "detail", "route"],
                )?,
                findings: desc(
                    "authlens_findings_total",
                    "Things on-call should know that are not failures.",
                    &["finding", "route"],
                )?,
                duration: desc(
                    "authlens_request_duration_seconds",
                    "Time from request head to response head.",
                    &["route", "status_class"],
                )?,
                upstream_duration: desc(
                    "authlens_upstream_duration_seconds",
                    "Upstream round trip to the response head.",
                    &["route"],
                )?,
                preflights_unfollowed: desc(
                    "authlens_cors_preflights_unfollowed_total",
                    "Successful CORS preflights the browser never followed with the real \
                     request (evidence it blocked the call).",
                    &["route"],
                )?,
            },
            routes: Mutex::new(HashMap::new()),
        }))
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

    fn families(&self) -> [MetricFamily; 6] {
        let d = &self.descs;
        let mut out = [
            family(&d.requests, MetricType::COUNTER),
            family(&d.failures, MetricType::COUNTER),
            family(&d.findings, MetricType::COUNTER),
            family(&d.duration, MetricType::HISTOGRAM),
            family(&d.upstream_duration, MetricType::HISTOGRAM),
            family(&d.preflights_unfollowed, MetricType::COUNTER),
        ];
        for r in self.lock().values() {
            let route = r.label.as_str();
            for (m, row) in METHOD_LABELS.iter().zip(&r.requests) {
                for (c, n) in STATUS_CLASSES.iter().zip(row) {
                    let labels = [("method", *m), ("route", route), ("status_class", *c)];
                    push_counter(&mut out[0], &labels, n, false);
                }
            }
            for (i, (cause, detail)) in self.pairs.iter().enumerate() {
                let labels = [
                    ("category", cause.category().label()),
                    ("cause", cause.label()),
                    ("detail", detail.label()),
                    ("route", route),
                ];
                let eager = r.expected[i].load(Ordering::Relaxed);
                push_counter(&mut out[1], &labels, &r.failures[i], eager);
            }
            for (f, n) in Finding::ALL.iter().zip(&r.findings) {
                push_counter(
                    &mut out[2],
                    &[("finding", f.label()), ("route", route)],
                    n,
                    true,
                );
            }
            for (c, h) in STATUS_CLASSES.iter().zip(&r.duration) {
                push_histogram(&mut out[3], &[("route", route), ("status_class", *c)], h);
            }
            push_histogram(&mut out[4], &[("route", route)], &r.upstream_duration);
            push_counter(
                &mut out[5],
                &[("route", route)],
                &r.preflights_unfollowed,
                false,
            );
        }
        out
    }
}

/// Labels in name order, as `prometheus`'s own vectors write them.
fn metric(labels: &[(&str, &str)]) -> Metric {
    Metric::from_label(
        labels
            .iter()
            .map(|(name, value)| {
                let mut l = LabelPair::default();
                l.set_name(name.to_string());
                l.set_value(value.to_string());
                l
            })
            .collect(),
    )
}

fn family(d: &Desc, kind: MetricType) -> MetricFamily {
    let mut f = MetricFamily::default();
    f.set_name(d.fq_name.clone());
    f.set_help(d.help.clone());
    f.set_field_type(kind);
    f
}

fn push_counter(f: &mut MetricFamily, labels: &[(&str, &str)], n: &AtomicU64, eager: bool) {
    let n = n.load(Ordering::Relaxed);
    if n > 0 || eager {
        let mut c = Counter::default();
        c.set_value(n as f64);
        let mut m = metric(labels);
        m.set_counter(c);
        f.mut_metric().push(m);
    }
}

fn push_histogram(f: &mut MetricFamily, labels: &[(&str, &str)], h: &Latency) {
    if h.count() > 0 {
        let mut m = metric(labels);
        m.set_histogram(h.proto());
        f.mut_metric().push(m);
    }
}

/// Registered with the registry; shares the families with `Metrics`.
pub struct Collected(pub Arc<RouteFamilies>);

impl Collector for Collected {
    fn desc(&self) -> Vec<&Desc> {
        let d = &self.0.descs;
        vec![
            &d.requests,
            &d.failures,
            &d.findings,
            &d.duration,
            &d.upstream_duration,
            &d.preflights_unfollowed,
        ]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.0.families().into()
    }
}

#[cfg(test)]
mod tests {
    use super::super::latency::LATENCY_BUCKETS;
    use super::*;

    #[test]
    fn series_show_once_used_or_expected_and_bounds_match_the_buckets() {
        let f = RouteFamilies::new().unwrap();
        let r = f.route("files");
        assert!(
            Arc::ptr_eq(&r, &f.route("files")),
            "one route, one set of counts"
        );
        let count = |fam: &MetricFamily| fam.get_metric().len();
        let idle = f.families();
        assert_eq!(idle.iter().map(count).sum::<usize>(), Finding::ALL.len());

        let i = f.pair(Cause::TokenExpired, Detail::None).unwrap();
        r.expect(i);
        r.requests[0][1].fetch_add(1, Ordering::Relaxed);
        r.duration[1].observe(0.002);
        let used = f.families();
        assert_eq!(
            used.iter().map(count).sum::<usize>(),
            Finding::ALL.len() + 3
        );
        let buckets = used[3].get_metric()[0].get_histogram().get_bucket();
        assert_eq!(buckets.len(), LATENCY_BUCKETS.len());

        f.retain(|l| l != "files");
        assert_eq!(f.families().iter().map(count).sum::<usize>(), 0);
    }
}
