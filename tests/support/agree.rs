//! Logs and metrics counted the same way, for the tests that check they agree one for one
//! (CONTRACT §2): failures by cause from `/metrics`, and log lines by `cause` and
//! `secondary_causes`.

use super::Authlens;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The log lines by cause equal the failure metric deltas since `before`, and there are at
/// least `min_causes` causes among them. A line and its count are written one after the other,
/// so a moment is allowed.
pub async fn assert_logs_agree(a: &Authlens, before: &BTreeMap<String, u64>, min_causes: usize) {
    let started = Instant::now();
    let (logged, counted) = loop {
        let counted = delta(before, &failures_by_cause(&a.metrics().await));
        let logged = logged_by_cause(&a.logs());
        if logged == counted || started.elapsed() > Duration::from_secs(5) {
            break (logged, counted);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        logged, counted,
        "log lines by cause vs failure metric deltas"
    );
    assert!(
        counted.len() >= min_causes,
        "too few causes to compare: {counted:?}"
    );
}

/// `authlens_failures_total` summed by cause.
pub fn failures_by_cause(metrics: &str) -> BTreeMap<String, u64> {
    let mut by = BTreeMap::new();
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("authlens_failures_total{"))
    {
        let Some(cause) = line
            .split("cause=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let n: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        *by.entry(cause.to_string()).or_default() += n as u64;
    }
    by
}

pub fn delta(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(c, n)| (c.clone(), n - before.get(c).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Log lines counted by `cause` and each of `secondary_causes`.
pub fn logged_by_cause(lines: &[Value]) -> BTreeMap<String, u64> {
    let mut by = BTreeMap::new();
    for v in lines {
        let secondary = v["secondary_causes"].as_str().unwrap_or("");
        let causes = v["cause"]
            .as_str()
            .into_iter()
            .chain(secondary.split(',').filter(|s| !s.is_empty()));
        for c in causes {
            *by.entry(c.to_string()).or_default() += 1;
        }
    }
    by
}
