//! Upgrades, 100-continue, large bodies with bounded memory, graceful drain, and bad input.

mod support;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use std::time::Duration;
use support::upstream::{Body, reply};
use support::{Authlens, Upstream, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads from `stream` until `needle` has arrived (bounded in time and size).
async fn read_until(stream: &mut TcpStream, needle: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(Duration::from_secs(10), async {
        while !got.windows(needle.len()).any(|w| w == needle) {
            let n = stream.read(&mut buf).await.expect("read");
            assert!(
                n > 0,
                "closed early; got {:?}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
            assert!(got.len() < 1 << 20);
        }
    })
    .await
    .expect("in time");
    got
}

fn proxy_addr(a: &Authlens) -> String {
    a.proxy.trim_start_matches("http://").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upgrade_tunnels_frames_both_ways() {
    let upstream = Upstream::start(|mut req| async move {
        let on_upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(upgraded) = on_upgrade.await {
                let mut io = hyper_util::rt::TokioIo::new(upgraded);
                let mut buf = [0u8; 1024];
                while let Ok(n) = io.read(&mut buf).await {
                    if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        });
        reply(
            101,
            &[
                ("upgrade", "websocket"),
                ("connection", "Upgrade"),
                ("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            ],
            "",
        )
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let mut s = TcpStream::connect(proxy_addr(&authlens)).await.unwrap();
    s.write_all(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let head = read_until(&mut s, b"\r\n\r\n").await;
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket"), "{head}");
    // A masked text frame "hi": the upstream echoes the bytes it receives.
    let frame = [0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];
    s.write_all(&frame).await.unwrap();
    assert_eq!(read_until(&mut s, &frame).await, frame);
    let seen = &upstream.seen()[0];
    assert_eq!(seen.headers["upgrade"], "websocket");
    assert_eq!(
        seen.headers["sec-websocket-key"],
        "dGhlIHNhbXBsZSBub25jZQ=="
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_gets_a_continue_then_the_answer() {
    let upstream = Upstream::start(|req| async move {
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let mut r = reply(200, &[], "");
        *r.body_mut() = support::upstream::full(format!("got {} bytes", body.len()));
        r
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let mut s = TcpStream::connect(proxy_addr(&authlens)).await.unwrap();
    s.write_all(
        b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    .await
    .unwrap();
    let cont = read_until(&mut s, b"\r\n\r\n").await;
    assert!(
        cont.starts_with(b"HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&cont)
    );
    s.write_all(b"hello").await.unwrap();
    let answer = read_until(&mut s, b"got 5 bytes").await;
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

const MB: usize = 1 << 20;

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_megabyte_bodies_stream_with_bounded_memory() {
    // The upstream counts what it receives and answers with 100 MB of its own.
    let upstream = Upstream::start(|req| async move {
        let mut body = req.into_body();
        let mut n = 0usize;
        while let Some(frame) = body.frame().await {
            n += frame.unwrap().data_ref().map_or(0, |d| d.len());
        }
        let chunk = Bytes::from(vec![b'y'; MB]);
        let frames: Vec<Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>>> =
            (0..100).map(|_| Ok(Frame::data(chunk.clone()))).collect();
        let body: Body = StreamBody::new(support::stream_of(frames)).boxed();
        let mut r = http::Response::new(body);
        r.headers_mut()
            .insert("x-received", n.to_string().parse().unwrap());
        r
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let chunk = Bytes::from(vec![b'x'; MB]);
    let frames: Vec<Result<Frame<Bytes>, std::convert::Infallible>> =
        (0..100).map(|_| Ok(Frame::data(chunk.clone()))).collect();
    let req = Request::post(format!("{}/big", authlens.proxy))
        .body(StreamBody::new(support::stream_of(frames)))
        .unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let resp = tokio::time::timeout(Duration::from_secs(60), client.request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resp.headers()["x-received"], (100 * MB).to_string());
    let mut body = resp.into_body();
    let mut n = 0usize;
    while let Some(frame) = body.frame().await {
        n += frame.unwrap().data_ref().map_or(0, |d| d.len());
    }
    assert_eq!(n, 100 * MB);
    // 200 MB went through; a proxy that buffered either body would peak far above this.
    let peak = peak_rss_kib(authlens.pid());
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_fifty_in_flight_requests() {
    let upstream = Upstream::start(|_req| async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        reply(200, &[], "slow but sure")
    })
    .await;
    let mut authlens = Authlens::start(&upstream.url(), "drain_timeout: 20s\n");
    let url = format!("{}/slow", authlens.proxy);
    let requests: Vec<_> = (0..50)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                send(Request::get(url).body(Full::<Bytes>::default()).unwrap()).await
            })
        })
        .collect();
    let started = std::time::Instant::now();
    while upstream.seen().len() < 50 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "only {} arrived",
            upstream.seen().len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = tokio::task::spawn_blocking(move || {
        let status = authlens.terminate();
        (status, authlens)
    });
    for r in requests {
        let reply = r.await.unwrap();
        assert_eq!(reply.status.as_u16(), 200);
        assert_eq!(&reply.body[..], b"slow but sure");
    }
    let (status, authlens) = status.await.unwrap();
    assert!(status.success(), "{status:?}");
    authlens.wait_log(|v| v["message"] == "authlens stopped" && v["drained"] == true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_400_and_oversized_heads_431() {
    let upstream = Upstream::fixed(200, &[], "fine").await;
    let authlens = Authlens::start(&upstream.url(), "downstream:\n  max_header_bytes: 16384\n");
    let mut s = TcpStream::connect(proxy_addr(&authlens)).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    let mut s = TcpStream::connect(proxy_addr(&authlens)).await.unwrap();
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = s.write_all(big.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // The proxy still serves, and nothing reached the upstream.
    assert_eq!(
        &send(support::client::get(&format!("{}/", authlens.proxy)))
            .await
            .body[..],
        b"fine"
    );
    assert_eq!(upstream.seen().len(), 1);
}

#[test]
fn invalid_config_lists_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "listen: nowhere\nupstream:\n  url: ftp://x\nroutes:\n  - name: a\n    path: nope\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authlens"))
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:1:9: listen"), "{err}");
    assert!(err.contains("bad.yaml:3:8: upstream.url"), "{err}");
    assert!(err.contains("bad.yaml:6:11: routes[0].path"), "{err}");
    assert!(err.contains("3 problem(s)"), "{err}");

    // `run` refuses it too, before listening on anything.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authlens"))
        .args(["run", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("upstream.url"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_request_heads_are_cut_off() {
    let upstream = Upstream::fixed(200, &[], "fine").await;
    let authlens = Authlens::start(
        &upstream.url(),
        "downstream:\n  header_read_timeout: 300ms\n",
    );
    let mut s = TcpStream::connect(proxy_addr(&authlens)).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest))
        .await
        .expect("closed by authlens")
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(upstream.seen().is_empty());
}
