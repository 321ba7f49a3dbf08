//! Hostile upstreams against the real binary: many headers, a huge `WWW-Authenticate`, a head
//! past the limit, an endless header block, garbage, an endless body. Real answers pass
//! through; what is truly beyond the limits is `upstream_response_invalid`, never a TLS error;
//! time and memory stay bounded and the proxy keeps serving.

mod hostile;
mod support;

use hostile::{Answer, addr, exchange, raw_server, rss, status};
use std::time::Duration;
use support::Authlens;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn answer(path: &str) -> Answer {
    let head = |status: &str, headers: &str| {
        Answer::Bytes(
            format!(
                "HTTP/1.1 {status}\r\n{headers}Content-Length: 2\r\nConnection: close\r\n\r\nok"
            )
            .into_bytes(),
        )
    };
    match path {
        // 300 headers, as an API behind a few layers of middleware might send.
        "/many" => head(
            "200 OK",
            &(0..300)
                .map(|i| format!("X-H{i}: {i}\r\n"))
                .collect::<String>(),
        ),
        // A 500 KB challenge.
        "/huge-challenge" => head(
            "401 Unauthorized",
            &format!(
                "WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"{}\"\r\n",
                "d".repeat(500 * 1024)
            ),
        ),
        "/too-many" => head(
            "200 OK",
            &(0..1500)
                .map(|i| format!("X-H{i}: {i}\r\n"))
                .collect::<String>(),
        ),
        "/too-large" => head(
            "200 OK",
            &format!("X-Big: {}\r\n", "b".repeat(2 * 1024 * 1024)),
        ),
        "/garbage" => Answer::Bytes(b"HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n".to_vec()),
        "/endless-head" => Answer::Endless {
            head: b"HTTP/1.1 200 OK\r\n".to_vec(),
            chunk: b"X-More: 0123456789abcdef0123456789abcdef\r\n".to_vec(),
        },
        "/endless-body" => Answer::Endless {
            head: b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n".to_vec(),
            chunk: vec![b'x'; 64 * 1024],
        },
        _ => head("200 OK", ""),
    }
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()
}

fn invalid(detail: &str) -> String {
    format!(
        "authlens_failures_total{{category=\"upstream\",cause=\"upstream_response_invalid\",detail=\"{detail}\",route=\"unmatched\"}}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_answers_pass_and_impossible_heads_are_upstream_response_invalid() {
    let upstream = raw_server(answer).await;
    let authlens = Authlens::start(&upstream, "");
    let proxy = addr(&authlens.proxy);

    let many = exchange(&proxy, &get("/many")).await;
    assert_eq!(status(&many), 200);
    // Header names are case-insensitive; authlens sends them lowercase.
    let many_text = String::from_utf8_lossy(&many).to_ascii_lowercase();
    assert!(many_text.contains("x-h299: 299"), "all 300 fields passed");
    let huge = exchange(&proxy, &get("/huge-challenge")).await;
    assert_eq!(status(&huge), 401);
    assert!(huge.len() > 500 * 1024, "the challenge passed whole");

    let started = std::time::Instant::now();
    for (path, detail) in [
        ("/too-many", "head_too_large"),
        ("/too-large", "head_too_large"),
        ("/endless-head", "head_too_large"),
        ("/garbage", "malformed"),
    ] {
        let answer = exchange(&proxy, &get(path)).await;
        assert_eq!(status(&answer), 502, "{path}");
        assert!(
            String::from_utf8_lossy(&answer).contains("upstream_response_invalid"),
            "{path}: {}",
            String::from_utf8_lossy(&answer)
        );
        let line = authlens.wait_log(|v| {
            v["cause"] == "upstream_response_invalid"
                && v["detail"] == detail
                && v["url.path"] == path
        });
        assert!(!line["hint"].as_str().unwrap().contains("TLS"), "{line}");
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        authlens.wait_metric(&invalid("head_too_large"), 3.0).await,
        3.0
    );
    assert_eq!(authlens.metric(&invalid("malformed")).await, 1.0);
    assert_eq!(
        authlens.metric("authlens_failures_total{category=\"upstream\",cause=\"upstream_tls_error\",detail=\"protocol\",route=\"unmatched\"}").await,
        0.0
    );
    assert_eq!(status(&exchange(&proxy, &get("/fine")).await), 200);
    assert!(!authlens.raw_output().contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_streams_in_bounded_memory_and_ends_when_the_client_leaves() {
    let upstream = raw_server(answer).await;
    let authlens = Authlens::start(&upstream, "");
    let proxy = addr(&authlens.proxy);
    assert_eq!(status(&exchange(&proxy, &get("/fine")).await), 200);
    let before = rss(authlens.pid());

    // Read 64 MiB of the stream, slowly enough that the upstream outruns the client.
    let mut s = TcpStream::connect(&proxy).await.unwrap();
    s.write_all(&get("/endless-body")).await.unwrap();
    let mut got = 0usize;
    let mut buf = vec![0u8; 256 * 1024];
    let mut peak = before;
    while got < 64 * 1024 * 1024 {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("streaming")
            .unwrap();
        assert!(n > 0);
        got += n;
        if got % (8 * 1024 * 1024) < n {
            peak = peak.max(rss(authlens.pid()));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    eprintln!("rss before {before}, peak while streaming {peak}");
    assert!(
        peak < before + 32 * 1024 * 1024,
        "streaming buffered: {before} -> {peak}"
    );
    drop(s);
    // The client left: counted as such, and the proxy serves on.
    authlens.wait_log(|v| v["cause"] == "client_aborted" && v["url.path"] == "/endless-body");
    assert_eq!(status(&exchange(&proxy, &get("/fine")).await), 200);
}
