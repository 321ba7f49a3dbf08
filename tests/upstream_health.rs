//! The health probe: a slow health endpoint, 404 and 503 answers, nothing listening, and a
//! recovery. Each failure is counted by result and by cause/detail, logged once per state
//! change, and (with `gate_readiness`) turns `/readyz` to 503.

mod support;
mod upstream_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use support::upstream::reply;
use support::{Authlens, Upstream, client, send};
use upstream_common::{config, expect_failure, free_port};

/// authlens probing `url`'s `/health` every 100 ms with `timeout`, `/readyz` following it.
fn probing(url: &str, timeout: &str) -> Authlens {
    Authlens::with_config(&config(&format!(
        "  url: {url}\n  health:\n    interval: 100ms\n    timeout: {timeout}\n    gate_readiness: true\n"
    )))
}

/// An upstream whose `/health` answers `status` (changeable) and anything else 200.
async fn health_answering(status: Arc<AtomicU16>) -> Upstream {
    Upstream::start(move |req| {
        let status = status.load(Ordering::Relaxed);
        async move {
            if req.uri().path() == "/health" {
                reply(status, &[], "health")
            } else {
                reply(200, &[], "api")
            }
        }
    })
    .await
}

async fn readyz(authlens: &Authlens) -> u16 {
    send(client::get(&format!("{}/readyz", authlens.admin)))
        .await
        .status
        .as_u16()
}

/// The probe failed with `detail`: counted under `result`, logged with `hint`, `/readyz` 503.
async fn expect_unhealthy(authlens: &Authlens, detail: &str, result: &str, hint: &str) {
    let line = expect_failure(
        authlens,
        "upstream health check failed",
        "health_check_failed",
        detail,
        hint,
    )
    .await;
    assert_eq!(line["url.path"], "/health");
    authlens
        .wait_metric(
            &format!("authlens_health_checks_total{{result=\"{result}\"}}"),
            1.0,
        )
        .await;
    assert_eq!(authlens.metric("authlens_upstream_up").await, 0.0);
    assert_eq!(readyz(authlens).await, 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_health_endpoint_times_out() {
    // The seed's 6 s endpoint against a 5 s budget, scaled down.
    let upstream = Upstream::start(|req| async move {
        if req.uri().path() == "/health" {
            tokio::time::sleep(Duration::from_millis(600)).await;
        }
        reply(200, &[], "ok")
    })
    .await;
    let authlens = probing(&upstream.url(), "500ms");
    expect_unhealthy(&authlens, "timeout", "timeout", "upstream.health.timeout").await;
    // The API itself still answers through the proxy: the probe never blocks traffic.
    let got = send(client::get(&format!("{}/api", authlens.proxy))).await;
    assert_eq!(got.status.as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_path_answering_404_is_not_found() {
    let upstream = health_answering(Arc::new(AtomicU16::new(404))).await;
    let authlens = probing(&upstream.url(), "1s");
    expect_unhealthy(&authlens, "not_found", "not_found", "upstream.health.path").await;
    let line = authlens.wait_log(|v| v["message"] == "upstream health check failed");
    assert_eq!(line["http.response.status_code"], 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_a_refused_probe() {
    let port = free_port().await;
    let authlens = probing(&format!("http://127.0.0.1:{port}"), "1s");
    expect_unhealthy(&authlens, "refused", "refused", "is the API running").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_is_logged_once_and_recovery_once() {
    let status = Arc::new(AtomicU16::new(503));
    let upstream = health_answering(status.clone()).await;
    let authlens = probing(&upstream.url(), "1s");
    expect_unhealthy(&authlens, "status", "status", "answered 503").await;

    // Several more failing probes, still one log line: logged on state changes only.
    authlens
        .wait_metric("authlens_health_checks_total{result=\"status\"}", 4.0)
        .await;
    let failed_lines = |a: &Authlens| {
        a.logs()
            .iter()
            .filter(|v| v["message"] == "upstream health check failed")
            .count()
    };
    assert_eq!(failed_lines(&authlens), 1);
    let counted = authlens
        .metric(&upstream_common::failure_series(
            "health_check_failed",
            "status",
        ))
        .await;
    assert!(counted >= 4.0, "every failing probe is counted: {counted}");

    status.store(200, Ordering::Relaxed);
    let healthy = authlens.wait_log(|v| v["message"] == "upstream healthy");
    assert_eq!(healthy["http.response.status_code"], 200);
    authlens.wait_metric("authlens_upstream_up", 1.0).await;
    authlens
        .wait_metric("authlens_health_checks_total{result=\"ok\"}", 3.0)
        .await;
    assert_eq!(readyz(&authlens).await, 200);
    assert_eq!(failed_lines(&authlens), 1);
    let recovered = authlens
        .logs()
        .iter()
        .filter(|v| v["message"] == "upstream healthy")
        .count();
    assert_eq!(recovered, 1);

    let probe = upstream
        .seen()
        .into_iter()
        .find(|s| s.uri.path() == "/health")
        .expect("probed");
    assert_eq!(probe.method, "GET");
    assert!(
        probe.headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("authlens-health/")
    );
}
