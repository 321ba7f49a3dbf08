//! A host name that does not resolve. authlens runs in-process here so the test can hand it a
//! resolver (a fixed table): no DNS query leaves the machine, whatever the host's resolver is.

mod support;

use authlens::config::{Overrides, load_str};
use authlens::upstream::Resolver;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use support::authlens::find_series;
use support::{Upstream, client, send};
use tokio::sync::oneshot;

/// JSON log lines of this test binary, as the real binary would print them.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Lines {
    static LINES: OnceLock<Lines> = OnceLock::new();
    LINES.get_or_init(|| {
        let lines = Lines::default();
        let writer = lines.clone();
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_writer(move || writer.clone())
            .init();
        lines
    })
}

/// Waits (bounded) for a log line matching `pred`.
fn wait_log(pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let text = String::from_utf8_lossy(&logs().0.lock().unwrap()).to_string();
        if let Some(v) = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| pred(v))
        {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no such line in:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// authlens in this process, in front of `url`, resolving names with `resolver`.
struct InProcess {
    proxy: String,
    admin: String,
    _stop: oneshot::Sender<()>,
}

async fn start(url: &str, resolver: Resolver) -> InProcess {
    logs();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let yaml = format!(
        "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nupstream:\n  url: {url}\n  health:\n    interval: 100ms\n    timeout: 1s\n"
    );
    let settings = load_str(&yaml, &Overrides::default()).expect("valid config");
    let (stop, stopped) = oneshot::channel::<()>();
    let (bound_tx, bound) = oneshot::channel::<(SocketAddr, SocketAddr)>();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        let on_bound = move |p, a| {
            let _ = bound_tx.send((p, a));
        };
        authlens::app::run_with(settings, resolver, shutdown, on_bound)
            .await
            .expect("authlens runs");
    });
    let (proxy, admin) = tokio::time::timeout(Duration::from_secs(10), bound)
        .await
        .expect("bound in time")
        .expect("bound");
    InProcess {
        proxy: format!("http://{proxy}"),
        admin: format!("http://{admin}"),
        _stop: stop,
    }
}

impl InProcess {
    async fn wait_metric(&self, series: &str, min: f64) {
        let started = Instant::now();
        loop {
            let text = send(client::get(&format!("{}/metrics", self.admin))).await;
            let v = find_series(&String::from_utf8_lossy(&text.body), series);
            if v >= min {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{series} stayed at {v}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_does_not_resolve_is_a_dns_failure() {
    let authlens = start(
        "http://orders-api.invalid:8080",
        Resolver::fixed::<&str>([]),
    )
    .await;
    let got = send(client::get(&format!("{}/orders", authlens.proxy))).await;

    assert_eq!(got.status.as_u16(), 502);
    assert!(String::from_utf8_lossy(&got.body).contains("upstream_dns_failure"));
    authlens
        .wait_metric(
            "authlens_failures_total{category=\"upstream\",cause=\"upstream_dns_failure\",detail=\"\",route=\"unmatched\"}",
            1.0,
        )
        .await;
    let line = wait_log(|v| v["message"] == "exchange failed" && v["url.path"] == "/orders");
    assert_eq!(line["cause"], "upstream_dns_failure");
    assert_eq!(line["detail"], "");
    assert!(line["hint"].as_str().unwrap().contains("does not resolve"));

    // The health probe goes through the same resolver and fails the same way.
    authlens
        .wait_metric("authlens_health_checks_total{result=\"error\"}", 1.0)
        .await;
    let probe = wait_log(|v| v["message"] == "upstream health check failed");
    assert_eq!(probe["cause"], "health_check_failed");
    assert!(probe["hint"].as_str().unwrap().contains("does not resolve"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_in_the_table_reaches_the_upstream() {
    let upstream = Upstream::fixed(200, &[], "found").await;
    let resolver = Resolver::fixed([("Orders-API.test", IpAddr::V4(Ipv4Addr::LOCALHOST))]);
    let url = format!("http://orders-api.test:{}", upstream.addr.port());
    let authlens = start(&url, resolver).await;
    let got = send(client::get(&format!("{}/found", authlens.proxy))).await;
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(&got.body[..], b"found");
    assert!(upstream.seen().iter().any(|s| s.uri.path() == "/found"));
    authlens.wait_metric("authlens_upstream_up", 1.0).await;
}
