//! Hostile clients against the real binary: heads at and past the limits, slowloris, malformed
//! bytes, huge and deeply nested tokens, non-UTF-8 header bytes, many idle keep-alive
//! connections and the connection limit. Each is refused with the right status and counted as
//! `request_rejected/<detail>` (or forwarded), no panic, and other clients are served meanwhile.

mod hostile;
mod support;

use hostile::{addr, exchange, jwt, rejected, rss, status};
use std::time::Duration;
use support::{Authlens, Upstream, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GOAWAY: u8 = 7;

/// The types of the HTTP/2 frames in `bytes`, in order.
fn frame_types(mut bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    while bytes.len() >= 9 {
        let len = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) as usize;
        types.push(bytes[3]);
        bytes = bytes.get(9 + len..).unwrap_or_default();
    }
    types
}

fn get_with(headers: &str) -> Vec<u8> {
    format!("GET /api HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_of_the_listener_is_counted_and_logged_with_its_detail() {
    let upstream = Upstream::fixed(200, &[], "fine").await;
    let authlens = Authlens::start(
        &upstream.url(),
        "downstream:\n  max_header_bytes: 16384\n  max_headers: 50\n  header_read_timeout: 400ms\n",
    );
    let proxy = addr(&authlens.proxy);

    // At the limits: 45 headers in a head of about 15 KiB are forwarded.
    let at_limit: String = (0..45)
        .map(|i| format!("X-F{i}: {}\r\n", "v".repeat(300)))
        .collect();
    assert_eq!(status(&exchange(&proxy, &get_with(&at_limit)).await), 200);

    let big = format!("X-Big: {}\r\n", "a".repeat(20 * 1024));
    assert_eq!(status(&exchange(&proxy, &get_with(&big)).await), 431);
    let many: String = (0..60).map(|i| format!("X-N{i}: 1\r\n")).collect();
    assert_eq!(status(&exchange(&proxy, &get_with(&many)).await), 431);
    let bad = b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n";
    assert_eq!(status(&exchange(&proxy, bad).await), 400);
    let tls_hello = [
        0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
    ];
    assert_eq!(status(&exchange(&proxy, &tls_hello).await), 400);
    // h2c: the preface, then a SETTINGS frame 5 bytes long (a multiple of 6 is required):
    // a protocol error, answered with GOAWAY. A client that ends cleanly after a good SETTINGS
    // is no rejection.
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let bad_settings = [PREFACE, &[0, 0, 5, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]].concat();
    assert!(frame_types(&exchange(&proxy, &bad_settings).await).contains(&GOAWAY));
    let good_settings = [PREFACE, &[0, 0, 0, 4, 0, 0, 0, 0, 0]].concat();
    let mut s = TcpStream::connect(&proxy).await.unwrap();
    s.write_all(&good_settings).await.unwrap();
    drop(s);

    // Slowloris: a byte at a time, never finishing the head; a normal client is served
    // meanwhile.
    let slow = tokio::spawn({
        let proxy = proxy.clone();
        async move {
            let mut s = TcpStream::connect(&proxy).await.unwrap();
            let started = std::time::Instant::now();
            for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa" {
                if s.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let mut rest = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest)).await;
            started.elapsed()
        }
    });
    let normal = send(support::client::get(&format!("{}/api", authlens.proxy))).await;
    assert_eq!(&normal.body[..], b"fine");
    let slow_for = slow.await.unwrap();
    assert!(
        slow_for < Duration::from_secs(5),
        "slowloris held on for {slow_for:?}"
    );

    // A connection that never sends a byte is closed by the same timeout but is no request:
    // not counted.
    let mut idle = TcpStream::connect(&proxy).await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut rest))
        .await
        .expect("idle connection closed")
        .unwrap();

    for (detail, n) in [
        ("head_too_large", 1.0),
        ("too_many_headers", 1.0),
        ("malformed", 3.0),
        ("head_timeout", 1.0),
    ] {
        assert_eq!(
            authlens.wait_metric(&rejected(detail), n).await,
            n,
            "{detail}"
        );
        let line = authlens.wait_log(|v| v["cause"] == "request_rejected" && v["detail"] == detail);
        assert_eq!(line["category"], "client");
        assert_eq!(line["client.address"], "127.0.0.1");
        assert!(line["hint"].as_str().is_some_and(|h| !h.is_empty()));
    }
    // Logs and metrics agree one for one: six lines for six rejections.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let lines = authlens
        .logs()
        .into_iter()
        .filter(|v| v["cause"] == "request_rejected")
        .count();
    assert_eq!(lines, 6, "{}", authlens.raw_output());
    assert!(!authlens.raw_output().contains("panicked"));
    // Only the two good requests reached the upstream.
    assert_eq!(upstream.seen().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tokens_and_header_bytes_are_forwarded_without_harm() {
    let upstream = Upstream::fixed(
        401,
        &[("www-authenticate", "Bearer error=\"invalid_token\"")],
        "no",
    )
    .await;
    let authlens = Authlens::start(
        &upstream.url(),
        "downstream:\n  max_header_bytes: 1048576\nauth:\n  issuers:\n    - name: idp\n      issuer: https://idp.example\n      jwks_uri: http://127.0.0.1:9/keys\n      audiences: [api]\n",
    );
    let proxy = addr(&authlens.proxy);
    let header = r#"{"alg":"RS256","kid":"k1"}"#;
    // A 64 KiB token.
    let big = jwt(
        header,
        &format!(
            r#"{{"iss":"https://idp.example","pad":"{}"}}"#,
            "x".repeat(48 * 1024)
        ),
    );
    assert!(big.len() >= 64 * 1024);
    // 10,000 scopes.
    let scopes: Vec<String> = (0..10_000).map(|i| format!("s{i}")).collect();
    let many = jwt(
        header,
        &format!(
            r#"{{"iss":"https://idp.example","scope":"{}"}}"#,
            scopes.join(" ")
        ),
    );
    // Claims nested 10,000 deep.
    let deep = jwt(
        header,
        &format!(
            r#"{{"iss":"https://idp.example","x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    for token in [&big, &many, &deep] {
        let req = get_with(&format!("Authorization: Bearer {token}\r\n"));
        assert_eq!(status(&exchange(&proxy, &req).await), 401);
    }
    // Non-UTF-8 bytes in header values (obs-text) pass through untouched, with 90 headers
    // (the test upstream, hyper, takes at most 100).
    let with_headers = |n: usize| {
        let mut raw = b"GET /api HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9 \xff\xfe\r\nAuthorization: Bearer \xc3\x28.\xa0\xa1.x\r\n".to_vec();
        for i in 0..n {
            raw.extend_from_slice(format!("X-H{i}: {i}\r\n").as_bytes());
        }
        raw.extend_from_slice(b"Connection: close\r\n\r\n");
        raw
    };
    assert_eq!(status(&exchange(&proxy, &with_headers(90)).await), 401);
    let seen = upstream.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(
        seen[3].headers.get("x-latin").unwrap().as_bytes(),
        b"caf\xe9 \xff\xfe"
    );
    // A thousand headers pass downstream.max_headers (200 by default): 431, counted.
    assert_eq!(status(&exchange(&proxy, &with_headers(1000)).await), 431);
    assert_eq!(
        authlens
            .wait_metric(&rejected("too_many_headers"), 1.0)
            .await,
        1.0
    );

    // Each was classified and counted once; no panic, and no token text in any output.
    authlens
        .wait_metric(
            "authlens_requests_total{method=\"GET\",route=\"unmatched\",status_class=\"4xx\"}",
            4.0,
        )
        .await;
    let out = authlens.raw_output();
    assert!(!out.contains("panicked"), "{out}");
    for token in [&big, &many, &deep] {
        assert!(!out.contains(&token[token.len() - 20..]), "a token's tail");
        assert!(!out.contains(&token[..64]), "a token's head");
    }
    // All three were read (bounded) and judged on their claims: none carries `aud`.
    assert_eq!(
        authlens.wait_metric("authlens_failures_total{category=\"authn\",cause=\"audience_mismatch\",detail=\"missing\",route=\"unmatched\"}", 3.0).await,
        3.0,
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surge_of_idle_keep_alive_connections_is_bounded_and_given_back() {
    const CONNECTIONS: usize = 2000;
    let upstream = Upstream::fixed(200, &[], "fine").await;
    let authlens = Authlens::start(
        &upstream.url(),
        "downstream:\n  max_connections: 2500\n  header_read_timeout: 60s\n",
    );
    let proxy = addr(&authlens.proxy);
    // Warm up, then measure.
    for _ in 0..20 {
        assert_eq!(status(&exchange(&proxy, &get_with("")).await), 200);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss(authlens.pid());

    let mut open = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let mut s = TcpStream::connect(&proxy).await.unwrap();
        s.write_all(b"GET /api HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        open.push(s);
    }
    // Every connection got its answer and stays open, idle.
    let mut buf = [0u8; 512];
    for s in &mut open {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("answered")
            .unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    }
    assert_eq!(
        authlens.metric("authlens_connections_open").await,
        CONNECTIONS as f64
    );
    let peak = rss(authlens.pid());
    // Another client is served while they are all open.
    assert_eq!(
        &send(support::client::get(&format!("{}/api", authlens.proxy)))
            .await
            .body[..],
        b"fine"
    );
    drop(open);
    let started = std::time::Instant::now();
    while authlens.metric("authlens_connections_open").await > 0.0 {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The allocator gives freed pages back after a short delay.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss(authlens.pid());
    let per_connection = peak.saturating_sub(before) / CONNECTIONS as u64;
    eprintln!(
        "rss before {before} peak {peak} after {after}; {per_connection} bytes per idle connection"
    );
    assert!(
        per_connection < 64 * 1024,
        "{per_connection} bytes per idle connection"
    );
    let grown = peak.saturating_sub(before);
    assert!(
        after <= before + grown / 2 + 4 * 1024 * 1024,
        "memory not given back: before {before}, peak {peak}, after {after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_closed_counted_and_logged() {
    let upstream = Upstream::fixed(200, &[], "fine").await;
    let authlens = Authlens::start(&upstream.url(), "downstream:\n  max_connections: 20\n");
    let proxy = addr(&authlens.proxy);
    let mut open = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&proxy).await.unwrap();
        s.write_all(b"GET /api HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        open.push(s);
    }
    for _ in 0..3 {
        let answer = exchange(&proxy, &get_with("")).await;
        assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    }
    assert_eq!(
        authlens
            .wait_metric("authlens_connections_refused_total", 3.0)
            .await,
        3.0
    );
    let line = authlens.wait_log(|v| v["event"] == "connection_limit");
    assert_eq!(line["limit"], 20);
    assert!(line.get("cause").is_none(), "not a failure cause: {line}");
    // A place freed is a place taken.
    drop(open.pop());
    let started = std::time::Instant::now();
    while authlens.metric("authlens_connections_open").await > 19.0 {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status(&exchange(&proxy, &get_with("")).await), 200);
}
