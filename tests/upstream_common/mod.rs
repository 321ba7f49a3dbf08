//! Helpers shared by the `upstream_*` tests: raw TCP upstreams that misbehave on purpose, and
//! the assertions every failure test makes (status, cause and detail counted, hint logged).
#![allow(dead_code)] // each test binary uses a different part

use crate::support::Authlens;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A config with the given `upstream:` body (indented two spaces).
pub fn config(upstream: &str) -> String {
    format!("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nupstream:\n{upstream}")
}

/// The cause's category: `client_aborted` is the client's side of the wire (CONTRACT §2), the
/// rest the upstream's.
pub fn category(cause: &str) -> &'static str {
    authlens::cause::known_pairs()
        .find(|(c, _)| c.label() == cause)
        .map_or("upstream", |(c, _)| c.category().label())
}

pub fn failure_series(cause: &str, detail: &str) -> String {
    let category = category(cause);
    format!(
        "authlens_failures_total{{category=\"{category}\",cause=\"{cause}\",detail=\"{detail}\",route=\"unmatched\"}}"
    )
}

/// Waits until `cause`/`detail` is counted once and logged; checks the log line's hint and
/// returns the line.
pub async fn expect_failure(
    authlens: &Authlens,
    message: &str,
    cause: &str,
    detail: &str,
    hint: &str,
) -> serde_json::Value {
    authlens
        .wait_metric(&failure_series(cause, detail), 1.0)
        .await;
    let line = authlens
        .wait_log(|v| v["message"] == message && v["cause"] == cause && v["detail"] == detail);
    assert_eq!(line["category"], category(cause));
    let logged = line["hint"].as_str().expect("a hint");
    assert!(logged.contains(hint), "hint {logged:?} lacks {hint:?}");
    line
}

/// A loopback port with nothing listening on it.
pub async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    l.local_addr().expect("addr").port()
}

/// Reads one request head (bounded), so what follows is a reply to it.
pub async fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
}

/// An upstream that reads each request head, writes `reply`, waits `pause`, then resets the
/// connection (RST, via `SO_LINGER` 0).
pub async fn resetting(
    reply: &'static [u8],
    pause: Duration,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                read_head(&mut stream).await;
                let _ = stream.write_all(reply).await;
                let _ = stream.flush().await;
                tokio::time::sleep(pause).await;
                stream.set_zero_linger().expect("SO_LINGER 0");
                drop(stream);
            });
        }
    });
    (addr, task)
}

/// An upstream that accepts, reads, and never answers.
pub async fn silent() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            read_head(&mut stream).await;
            held.push(stream);
        }
    });
    (addr, task)
}
