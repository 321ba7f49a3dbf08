//! Issue #17, "flat in configuration", for memory: before any traffic a route costs only the
//! series that must exist at 0 (CONTRACT §3: the failures that can happen on it; the findings,
//! which alerts read with `increase()`), not its request counters and duration histograms; a
//! request makes its own series appear, with the contract's labels.

mod hostile;
mod support;

use hostile::rss_anon;
use http::Request;
use http_body_util::Full;
use std::collections::HashSet;
use support::{Authlens, Upstream, send};

/// `n` public routes `r0`…; a request without a token is an ordinary success on them.
fn routes(n: usize) -> String {
    let mut yaml = String::from("routes:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - name: r{i}\n    path_prefix: /r{i}/\n    protected: false\n"
        ));
    }
    yaml
}

fn series(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_routes_cost_only_their_zero_series_and_a_request_adds_its_own() {
    const MANY: usize = 200;
    let upstream = Upstream::fixed(200, &[], "ok").await;
    let one = Authlens::start(&upstream.url(), &routes(1));
    let many = Authlens::start(&upstream.url(), &routes(MANY));
    // Read before the first scrape, which builds the whole page and holds it for a moment.
    // Registered up front, a route took about 125 KiB (release build); as counts shown on demand,
    // well under 20 KiB.
    let (small, large) = (rss_anon(one.pid()), rss_anon(many.pid()));
    assert!(
        large.saturating_sub(small) < MANY as u64 * 20 * 1024,
        "{MANY} idle routes took {} KiB more than one",
        large.saturating_sub(small) / 1024
    );
    let (one_text, many_text) = (one.metrics().await, many.metrics().await);

    // What a route shows before traffic: its zero failures and findings, nothing else.
    let per_route: Vec<&str> = series(&one_text)
        .into_iter()
        .filter(|l| l.contains("route=\"r0\""))
        .collect();
    assert!(!per_route.is_empty());
    for l in &per_route {
        assert!(
            l.starts_with("authlens_failures_total{") || l.starts_with("authlens_findings_total{"),
            "shown before traffic: {l}"
        );
        assert!(l.ends_with(" 0"), "{l}");
    }
    for family in [
        "authlens_requests_total",
        "authlens_request_duration_seconds",
        "authlens_upstream_duration_seconds",
        "authlens_cors_preflights_unfollowed_total",
    ] {
        assert!(
            !series(&many_text).iter().any(|l| l.starts_with(family)),
            "{family} before traffic"
        );
    }
    // Every other route adds exactly that, and the rest of the page does not grow.
    assert_eq!(
        series(&many_text).len(),
        series(&one_text).len() + (MANY - 1) * per_route.len(),
    );

    // One request on one route: its counter and its two histograms appear, nothing else.
    let request = Request::get(format!("{}/r7/x", many.proxy))
        .body(Full::default())
        .unwrap();
    assert_eq!(send(request).await.status, 200);
    let counter = "authlens_requests_total{method=\"GET\",route=\"r7\",status_class=\"2xx\"}";
    assert_eq!(many.wait_metric(counter, 1.0).await, 1.0);
    let after = many.metrics().await;
    let before: HashSet<&str> = series(&many_text).into_iter().collect();
    // Gauges such as open connections move too; what is labelled by route must not.
    let added: Vec<&str> = series(&after)
        .into_iter()
        .filter(|l| l.contains("route=\"") && !before.contains(l))
        .collect();
    assert!(
        added.iter().all(|l| l.contains("route=\"r7\"")),
        "{added:#?}"
    );
    for expected in [
        "authlens_request_duration_seconds_count{route=\"r7\",status_class=\"2xx\"} 1",
        "authlens_request_duration_seconds_bucket{route=\"r7\",status_class=\"2xx\",le=\"+Inf\"} 1",
        "authlens_upstream_duration_seconds_count{route=\"r7\"} 1",
        "authlens_upstream_duration_seconds_bucket{route=\"r7\",le=\"+Inf\"} 1",
    ] {
        assert!(added.contains(&expected), "{expected} in {added:#?}");
    }
    // One counter and two histograms of 15 buckets, +Inf, sum and count.
    assert_eq!(added.len(), 1 + 2 * 18, "{added:#?}");
}
