//! Fault isolation and the drain deadline, through the real binary: a panic injected (by the
//! debug-build-only `AUTHLENS_TEST_FAULT` switch) into reading the response head, classifying,
//! or emitting telemetry is contained, counted in `authlens_internal_errors_total` and logged,
//! and the request is proxied all the same. Exchanges cut by the drain deadline are one drain
//! event with a count, not `client_aborted`.

mod support;

use std::time::Duration;
use support::{Authlens, Upstream, send};

fn internal(stage: &str) -> String {
    format!("authlens_internal_errors_total{{stage=\"{stage}\"}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_classification_or_telemetry_is_contained_and_the_request_proxied() {
    let upstream = Upstream::fixed(
        401,
        &[("www-authenticate", "Bearer error=\"invalid_token\"")],
        "denied",
    )
    .await;
    for (fault, stage) in [
        ("classify", "classify"),
        ("telemetry", "classify"),
        ("response_head", "response_head"),
    ] {
        let authlens = Authlens::with_config_env(
            &Authlens::config(&upstream.url(), ""),
            &[("AUTHLENS_TEST_FAULT", fault)],
        );
        for n in 1..=3 {
            let reply = send(support::client::get(&format!("{}/api", authlens.proxy))).await;
            assert_eq!(reply.status.as_u16(), 401, "{fault}");
            assert_eq!(&reply.body[..], b"denied", "{fault}");
            assert_eq!(
                authlens.wait_metric(&internal(stage), f64::from(n)).await,
                f64::from(n),
                "{fault}"
            );
        }
        let line = authlens.wait_log(|v| v["event"] == "internal_error");
        assert_eq!(line["stage"], stage);
        assert_eq!(line["level"], "ERROR");
        assert!(
            line["error"].as_str().unwrap().contains("injected fault"),
            "{line}"
        );
        assert!(line.get("cause").is_none());
        // No failure was counted for the exchanges whose verdict was lost.
        assert_eq!(
            authlens.metric("authlens_failures_total{category=\"authn\",cause=\"token_missing\",detail=\"\",route=\"unmatched\"}").await,
            0.0,
            "{fault}"
        );
    }
    // Without the switch the same traffic is classified and nothing is counted as internal.
    let authlens = Authlens::start(&upstream.url(), "");
    send(support::client::get(&format!("{}/api", authlens.proxy))).await;
    authlens
        .wait_metric("authlens_failures_total{category=\"authn\",cause=\"token_missing\",detail=\"\",route=\"unmatched\"}", 1.0)
        .await;
    assert_eq!(authlens.metric(&internal("classify")).await, 0.0);
    assert_eq!(authlens.metric(&internal("response_head")).await, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_deadline_cut_is_a_drain_event_not_client_aborted() {
    let upstream = Upstream::start(|_req| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        support::upstream::reply(200, &[], "late")
    })
    .await;
    let mut authlens = Authlens::start(&upstream.url(), "drain_timeout: 300ms\n");
    let url = format!("{}/slow", authlens.proxy);
    let requests: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let client = hyper_util::client::legacy::Client::builder(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .build_http::<http_body_util::Full<bytes::Bytes>>();
                let _ = client.request(support::client::get(&url)).await;
            })
        })
        .collect();
    let started = std::time::Instant::now();
    while upstream.seen().len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let authlens = tokio::task::spawn_blocking(move || {
        let status = authlens.terminate();
        assert!(status.success(), "{status:?}");
        authlens
    })
    .await
    .unwrap();
    let line = authlens.wait_log(|v| v["event"] == "drain" && v["result"] == "deadline");
    assert_eq!(line["connections"], 3, "{line}");
    authlens.wait_log(|v| v["message"] == "authlens stopped" && v["drained"] == false);
    assert!(
        !authlens
            .logs()
            .iter()
            .any(|v| v["cause"] == "client_aborted"),
        "{}",
        authlens.raw_output()
    );
    for r in requests {
        r.abort();
    }
}

/// Log lines are written in batches (`telemetry::log_writer`): a panic that ends the process
/// still leaves its one line on stdout.
#[test]
fn a_panic_that_ends_the_process_leaves_its_log_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("authlens.yaml");
    std::fs::write(&path, Authlens::config("http://127.0.0.1:9", "")).expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authlens"))
        .args(["run", "--config"])
        .arg(&path)
        .env_remove("AUTHLENS_LOG")
        .env_remove("AUTHLENS_LOG_FORMAT")
        .env("AUTHLENS_TEST_FAULT", "startup")
        .output()
        .expect("run authlens");
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let panic = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "panic")
        .unwrap_or_else(|| panic!("no panic line in {stdout:?}"));
    assert_eq!(panic["level"], "ERROR");
    assert!(
        panic["error"]
            .as_str()
            .is_some_and(|e| e.contains("injected fault at startup")),
        "{panic}"
    );
}
