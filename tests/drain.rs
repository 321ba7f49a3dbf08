//! SIGTERM with 300 requests in flight: every one is answered in full before authlens exits,
//! over HTTP/1.1 (one connection each) and over HTTP/2 (streams on a few connections).

mod support;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::time::{Duration, Instant};
use support::upstream::reply;
use support::{Authlens, Upstream};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const IN_FLIGHT: usize = 300;
const H2_CONNECTIONS: usize = 3;

/// An upstream that holds every request until released, and authlens in front of it.
async fn start() -> (Authlens, Upstream, watch::Sender<bool>) {
    let (release, held) = watch::channel(false);
    let upstream = Upstream::start(move |_req| {
        let mut held = held.clone();
        async move {
            let _ = held.wait_for(|go| *go).await;
            reply(200, &[], "done")
        }
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "drain_timeout: 20s\n");
    (authlens, upstream, release)
}

/// Waits (bounded) until the upstream holds all the requests, sends SIGTERM, then lets the
/// upstream answer; returns the exit status.
async fn terminate_with_all_in_flight(
    mut authlens: Authlens,
    upstream: &Upstream,
    release: watch::Sender<bool>,
) -> std::process::ExitStatus {
    let started = Instant::now();
    while upstream.seen().len() < IN_FLIGHT {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "only {} requests reached the upstream",
            upstream.seen().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    authlens.signal("TERM");
    authlens.wait_log(|v| v["message"] == "shutting down: draining in-flight requests");
    release.send_replace(true);
    tokio::task::spawn_blocking(move || authlens.terminate())
        .await
        .unwrap()
}

async fn read(resp: http::Response<hyper::body::Incoming>) -> (StatusCode, Bytes) {
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("whole body")
        .to_bytes();
    (status, body)
}

/// Every call answered 200 "done", none lost.
async fn assert_all_done(calls: Vec<JoinHandle<(StatusCode, Bytes)>>) {
    assert_eq!(calls.len(), IN_FLIGHT);
    let mut failed = Vec::new();
    for call in calls {
        let (status, body) = tokio::time::timeout(Duration::from_secs(20), call)
            .await
            .expect("answered in time")
            .expect("the call ran");
        if status != StatusCode::OK || &body[..] != b"done" {
            failed.push((status, body));
        }
    }
    assert!(
        failed.is_empty(),
        "{} lost: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_loses_none_of_300_http1_requests() {
    let (authlens, upstream, release) = start().await;
    let addr = authlens.proxy.trim_start_matches("http://").to_string();
    let mut calls = Vec::new();
    for i in 0..IN_FLIGHT {
        let addr = addr.clone();
        calls.push(tokio::spawn(async move {
            let tcp = TcpStream::connect(&addr).await.expect("connect");
            let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            let req = Request::get(format!("/item/{i}"))
                .header("host", &addr)
                .body(Empty::<Bytes>::new())
                .unwrap();
            read(send.send_request(req).await.expect("answer")).await
        }));
    }
    let status = terminate_with_all_in_flight(authlens, &upstream, release).await;
    assert_all_done(calls).await;
    assert!(status.success(), "drained in time: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_loses_none_of_300_h2_streams() {
    let (authlens, upstream, release) = start().await;
    let addr = authlens.proxy.trim_start_matches("http://").to_string();
    let mut calls = Vec::new();
    for _ in 0..H2_CONNECTIONS {
        let tcp = TcpStream::connect(&addr).await.expect("connect");
        let (send, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .expect("h2 handshake");
        tokio::spawn(conn);
        for i in 0..IN_FLIGHT / H2_CONNECTIONS {
            let mut send = send.clone();
            let url = format!("http://{addr}/item/{i}");
            calls.push(tokio::spawn(async move {
                let req = Request::get(url).body(Empty::<Bytes>::new()).unwrap();
                read(send.send_request(req).await.expect("answer")).await
            }));
        }
    }
    let status = terminate_with_all_in_flight(authlens, &upstream, release).await;
    assert_all_done(calls).await;
    assert!(status.success(), "drained in time: {status}");
}
