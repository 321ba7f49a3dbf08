//! Soak: a bounded run (30 s by default; `AUTHLENS_SOAK_SECS` for longer by hand) of mixed
//! good and failing traffic at a steady rate through the real binary — keep-alive and fresh
//! connections, 200s, 401s with challenges, server errors, heads authlens refuses itself.
//! After warm-up, resident memory and open file descriptors stay flat; no request is lost.

mod hostile;
mod support;

use bytes::Bytes;
use hostile::{addr, exchange, fds, jwt, rss, status};
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::upstream::reply;
use support::{Authlens, Upstream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_traffic_keeps_memory_and_descriptors_flat_and_loses_nothing() {
    let secs: u64 = std::env::var("AUTHLENS_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let upstream = Upstream::start(|req| async move {
        match req.uri().path() {
            "/ok" => reply(200, &[], "fine"),
            "/deny" => reply(
                401,
                &[(
                    "www-authenticate",
                    "Bearer error=\"invalid_token\", error_description=\"expired\"",
                )],
                r#"{"error":"invalid_token"}"#,
            ),
            _ => reply(503, &[], "busy"),
        }
    })
    .await;
    let authlens = Authlens::start(
        &upstream.url(),
        "auth:\n  issuers:\n    - name: idp\n      issuer: https://idp.example\n      jwks_uri: http://127.0.0.1:9/keys\n      audiences: [api]\n",
    );
    let pid = authlens.pid();
    let proxy = addr(&authlens.proxy);
    let token = jwt(
        r#"{"alg":"RS256","kid":"k1"}"#,
        r#"{"iss":"https://idp.example","aud":"api","exp":4102444800,"scope":"read"}"#,
    );

    let sent = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut loops = Vec::new();
    // Three keep-alive clients, one per kind of answer, 25 requests a second each.
    for (path, want) in [("/ok", 200), ("/deny", 401), ("/busy", 503)] {
        let (sent, answered) = (sent.clone(), answered.clone());
        let (url, token) = (format!("{}{path}", authlens.proxy), token.clone());
        loops.push(tokio::spawn(async move {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            let mut tick = tokio::time::interval(Duration::from_millis(40));
            while Instant::now() < deadline {
                tick.tick().await;
                let req = Request::get(&url)
                    .header("authorization", format!("Bearer {token}"))
                    .body(Full::default())
                    .unwrap();
                sent.fetch_add(1, Ordering::Relaxed);
                let resp = tokio::time::timeout(Duration::from_secs(10), client.request(req))
                    .await
                    .expect("answered in time")
                    .expect("answered");
                // The upstream's own answer, not one of authlens's 502s.
                let got = resp.status().as_u16();
                resp.into_body().collect().await.expect("whole body");
                if got == want {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Fresh connections: a good request and, now and then, a head authlens refuses itself.
    {
        let (sent, answered, rejected) = (sent.clone(), answered.clone(), rejected.clone());
        let proxy = proxy.clone();
        loops.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let mut n = 0u64;
            while Instant::now() < deadline {
                tick.tick().await;
                n += 1;
                if n.is_multiple_of(5) {
                    let bad = b"GET /ok HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n";
                    assert_eq!(status(&exchange(&proxy, bad).await), 400);
                    rejected.fetch_add(1, Ordering::Relaxed);
                } else {
                    sent.fetch_add(1, Ordering::Relaxed);
                    let get = b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
                    assert_eq!(status(&exchange(&proxy, get).await), 200);
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    // Warm-up is the first fifth of the run; then sample every second.
    tokio::time::sleep(Duration::from_secs(secs / 5)).await;
    let (warm_rss, warm_fds) = (rss(pid), fds(pid));
    let (mut max_rss, mut max_fds) = (warm_rss, warm_fds);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        max_rss = max_rss.max(rss(pid));
        max_fds = max_fds.max(fds(pid));
    }
    for l in loops {
        l.await.expect("traffic loop");
    }
    let (sent, answered, rejected) = (
        sent.load(Ordering::Relaxed),
        answered.load(Ordering::Relaxed),
        rejected.load(Ordering::Relaxed),
    );
    eprintln!(
        "soak {secs}s: {sent} sent, {answered} answered, {rejected} refused; rss warm {warm_rss} max {max_rss}; fds warm {warm_fds} max {max_fds}"
    );
    assert!(sent > secs * 50, "the traffic ran: {sent}");
    assert_eq!(answered, sent, "every request got the upstream's answer");
    assert_eq!(
        upstream.seen().len() as u64,
        sent,
        "every request reached the upstream"
    );
    // Every exchange was counted, and every refusal.
    let total: f64 = authlens
        .metrics()
        .await
        .lines()
        .filter(|l| l.starts_with("authlens_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(total, sent as f64);
    assert_eq!(
        authlens.metric(&hostile::rejected("malformed")).await,
        rejected as f64
    );
    assert!(
        max_rss <= warm_rss + 8 * 1024 * 1024,
        "resident memory grew after warm-up: {warm_rss} -> {max_rss}"
    );
    assert!(
        max_fds <= warm_fds + 16,
        "descriptors grew: {warm_fds} -> {max_fds}"
    );
    assert!(!authlens.raw_output().contains("panicked"));
}
