//! Helpers for the hostile-input tests: raw bytes over TCP, unsigned JWTs of any shape, and the
//! resident memory of a process read from /proc.
#![allow(dead_code)] // each test binary uses a different part

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `host:port` of a `http://host:port` URL.
pub fn addr(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Writes `bytes` on a new connection and reads until authlens closes it or `Connection:
/// close` answers end (bounded in time); returns what came back.
pub async fn exchange(addr: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    // The server may answer (431) and close before everything is written.
    let _ = s.write_all(bytes).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .expect("answered or closed in time");
    answer
}

/// The status code of a raw HTTP/1.1 answer, 0 when there was none.
pub fn status(answer: &[u8]) -> u16 {
    answer
        .get(9..12)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A JWT-shaped token with `header` and `claims` JSON and a meaningless signature: enough for
/// authlens to decode, never to verify.
pub fn jwt(header: &str, claims: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode(b"not-a-signature")
    )
}

/// Resident set size of `pid` in bytes.
pub fn rss(pid: u32) -> u64 {
    status_bytes(pid, "VmRSS")
}

/// Anonymous resident memory (the heap, without the binary's file-backed pages) in bytes.
pub fn rss_anon(pid: u32) -> u64 {
    status_bytes(pid, "RssAnon")
}

fn status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
        * 1024
}

/// Open file descriptors of `pid`.
pub fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/PID/fd")
        .count()
}

/// The `request_rejected` series for `detail`.
pub fn rejected(detail: &str) -> String {
    format!(
        "authlens_failures_total{{category=\"client\",cause=\"request_rejected\",detail=\"{detail}\",route=\"unmatched\"}}"
    )
}

/// A raw HTTP/1.1 server on loopback: reads each request head, then writes `answer(path)` and
/// closes; `Endless` answers keep writing chunks until the peer goes away.
pub enum Answer {
    Bytes(Vec<u8>),
    /// A head prefix, then `chunk` forever.
    Endless {
        head: Vec<u8>,
        chunk: Vec<u8>,
    },
    /// A head prefix, then one byte a second.
    Drip {
        head: Vec<u8>,
    },
}

pub async fn raw_server(answer: fn(&str) -> Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head);
                let path = text.split(' ').nth(1).unwrap_or("/").to_string();
                match answer(&path) {
                    Answer::Bytes(b) => {
                        let _ = s.write_all(&b).await;
                    }
                    Answer::Endless { head, chunk } => {
                        if s.write_all(&head).await.is_err() {
                            return;
                        }
                        while s.write_all(&chunk).await.is_ok() {}
                    }
                    Answer::Drip { head } => {
                        if s.write_all(&head).await.is_err() {
                            return;
                        }
                        while s.write_all(b" ").await.is_ok() {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            });
        }
    });
    url
}
