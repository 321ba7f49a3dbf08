//! Failures after the connection is open: an upstream that never answers, one that resets
//! before or during the body, and a client that hangs up first.

mod support;
mod upstream_common;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::{Duration, Instant};
use support::{Authlens, Upstream, client, send};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use upstream_common::{expect_failure, failure_series, resetting, silent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_never_answers_is_a_response_timeout() {
    let (addr, _task) = silent().await;
    let authlens = Authlens::start(&format!("http://{addr}"), "  response_timeout: 300ms\n");
    let got = send(client::get(&format!("{}/hang", authlens.proxy))).await;

    assert_eq!(got.status.as_u16(), 504);
    let body = String::from_utf8_lossy(&got.body);
    assert!(body.contains("upstream_response_timeout"), "{body}");
    expect_failure(
        &authlens,
        "exchange failed",
        "upstream_response_timeout",
        "",
        "hung handler",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_before_the_head_is_complete_answers_502() {
    let (addr, _task) = resetting(b"HTTP/1.1 200 OK\r\nContent-", Duration::from_millis(50)).await;
    let authlens = Authlens::start(&format!("http://{addr}"), "");
    let got = send(client::get(&format!("{}/crash", authlens.proxy))).await;

    assert_eq!(got.status.as_u16(), 502);
    assert!(String::from_utf8_lossy(&got.body).contains("upstream_reset"));
    expect_failure(
        &authlens,
        "exchange failed",
        "upstream_reset",
        "",
        "before answering",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mid_body_cuts_the_stream_without_a_fake_error() {
    let (addr, _task) = resetting(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial",
        Duration::from_millis(200),
    )
    .await;
    let authlens = Authlens::start(&format!("http://{addr}"), "");
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let resp = client
        .get(format!("{}/download", authlens.proxy).parse().unwrap())
        .await
        .expect("the head arrives");
    assert_eq!(
        resp.status().as_u16(),
        200,
        "the upstream's status, untouched"
    );

    // Read frame by frame: the bytes already sent are the upstream's, then the stream breaks.
    let mut body = resp.into_body();
    let mut received = Vec::new();
    let broke = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match body.frame().await {
                Some(Ok(frame)) => received.extend_from_slice(frame.data_ref().unwrap()),
                Some(Err(_)) => return true,
                None => return false,
            }
        }
    })
    .await
    .expect("the body ends in time");
    assert!(broke, "a cut body must not look complete");
    assert_eq!(received, b"partial");

    let line = expect_failure(
        &authlens,
        "exchange failed",
        "upstream_reset",
        "",
        "middle of the response body",
    )
    .await;
    assert_eq!(line["http.response.status_code"], 200);
}

/// Waits (bounded) until the upstream has seen `n` requests.
async fn wait_seen(upstream: &Upstream, n: usize) {
    let started = Instant::now();
    while upstream.seen().len() < n {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "upstream saw nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_while_waiting_is_client_aborted() {
    let upstream = Upstream::start(|_req| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        support::upstream::reply(200, &[], "late")
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let proxy = authlens.proxy.trim_start_matches("http://");
    let mut conn = TcpStream::connect(proxy).await.expect("connect");
    conn.write_all(b"GET /report HTTP/1.1\r\nHost: api\r\n\r\n")
        .await
        .unwrap();
    wait_seen(&upstream, 1).await;
    drop(conn); // the client's own timeout fired

    let line = expect_failure(
        &authlens,
        "exchange failed",
        "client_aborted",
        "",
        "client-side timeout",
    )
    .await;
    assert!(
        line.get("http.response.status_code").is_none(),
        "the client got no status: {line}"
    );
    authlens
        .wait_metric(
            "authlens_requests_total{method=\"GET\",route=\"unmatched\",status_class=\"none\"}",
            1.0,
        )
        .await;
    assert_eq!(
        authlens.metric(&failure_series("upstream_reset", "")).await,
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_mid_request_body_is_client_aborted() {
    let upstream = Upstream::start(|req| async move {
        // Reads the body, which never completes.
        let _ = req.into_body().collect().await;
        support::upstream::reply(200, &[], "done")
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let proxy = authlens.proxy.trim_start_matches("http://");
    let mut conn = TcpStream::connect(proxy).await.expect("connect");
    conn.write_all(b"POST /upload HTTP/1.1\r\nHost: api\r\nContent-Length: 1000\r\n\r\nfirst part")
        .await
        .unwrap();
    wait_seen(&upstream, 1).await;
    drop(conn);
    let line = expect_failure(
        &authlens,
        "exchange failed",
        "client_aborted",
        "",
        "client hung up",
    )
    .await;
    assert!(line.get("http.response.status_code").is_none(), "{line}");
    assert_eq!(
        authlens.metric(&failure_series("upstream_reset", "")).await,
        0.0,
        "the client's hang-up is not the upstream's fault"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_5xx_passes_untouched_and_is_not_an_auth_failure() {
    let upstream = Upstream::fixed(503, &[("retry-after", "5")], "maintenance").await;
    let authlens = Authlens::start(&upstream.url(), "");
    let got = send(client::get(&format!("{}/orders", authlens.proxy))).await;

    assert_eq!(
        got.status.as_u16(),
        503,
        "the upstream's answer, not a synthetic one"
    );
    assert_eq!(&got.body[..], b"maintenance");
    assert_eq!(got.headers["retry-after"], "5");
    let line = expect_failure(
        &authlens,
        "exchange failed",
        "upstream_server_error",
        "",
        "answered 503 unrelated to auth",
    )
    .await;
    assert_eq!(line["confidence"], "upstream");
}

/// A response body that sends one chunk and then nothing, like a stalled download.
struct Stalled(Option<Bytes>);

impl hyper::body::Body for Stalled {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        match self.0.take() {
            Some(chunk) => std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk)))),
            None => std::task::Poll::Pending,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_mid_response_body_is_client_aborted() {
    let upstream = Upstream::start(|_req| async {
        http::Response::new(Stalled(Some(Bytes::from_static(b"first chunk"))).boxed())
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let resp = client
        .get(format!("{}/export", authlens.proxy).parse().unwrap())
        .await
        .expect("the head arrives");
    assert_eq!(resp.status().as_u16(), 200);
    let mut body = resp.into_body();
    let first = tokio::time::timeout(Duration::from_secs(10), body.frame())
        .await
        .expect("the first chunk arrives")
        .expect("a frame")
        .expect("data");
    assert_eq!(first.data_ref().unwrap(), "first chunk");
    drop(body);
    drop(client);

    let line = expect_failure(
        &authlens,
        "exchange failed",
        "client_aborted",
        "",
        "client hung up",
    )
    .await;
    assert_eq!(
        line["http.response.status_code"], 200,
        "the status it had received"
    );
}
