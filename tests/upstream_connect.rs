//! Failures before a connection to the upstream exists: nothing listening, a full accept
//! queue, and an API bound to 127.0.0.1 only. Each answer is a short 502/504 naming the cause.

mod support;
mod upstream_common;

use std::time::Duration;
use support::{Authlens, Upstream, client, send};
use tokio::net::{TcpSocket, TcpStream};
use upstream_common::{expect_failure, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_a_refused_connection() {
    let port = free_port().await;
    let authlens = Authlens::start(&format!("http://127.0.0.1:{port}"), "");
    let got = send(client::get(&format!("{}/orders", authlens.proxy))).await;

    assert_eq!(got.status.as_u16(), 502);
    assert_eq!(got.headers["content-type"], "text/plain; charset=utf-8");
    let body = String::from_utf8_lossy(&got.body);
    assert!(body.contains("upstream_connection_refused"), "{body}");
    let line = expect_failure(
        &authlens,
        "exchange failed",
        "upstream_connection_refused",
        "",
        "is the API running",
    )
    .await;
    assert_eq!(line["http.response.status_code"], 502);
    assert_eq!(line["url.path"], "/orders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_bound_to_loopback_only_is_named() {
    // The API listens on 127.0.0.1; authlens is pointed at 127.0.0.2, another loopback address
    // on the same machine, as a pod sidecar would be pointed at the pod address.
    let upstream = Upstream::fixed(200, &[], "ok").await;
    let port = upstream.addr.port();
    let authlens = Authlens::start(&format!("http://127.0.0.2:{port}"), "");
    let got = send(client::get(&format!("{}/x", authlens.proxy))).await;

    assert_eq!(got.status.as_u16(), 502);
    assert!(String::from_utf8_lossy(&got.body).contains("upstream_connection_refused"));
    expect_failure(
        &authlens,
        "exchange failed",
        "upstream_connection_refused",
        "bound_to_loopback",
        "0.0.0.0",
    )
    .await;
    assert!(
        upstream.seen().is_empty(),
        "the request never reached the API"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_accept_queue_is_a_connect_timeout() {
    // Linux drops a SYN when the listener's accept queue is full, so a connect that gets no
    // SYN-ACK is what a filtered port looks like. Fill the queue of a listener that never
    // accepts until one more connect hangs.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    let listener = socket.listen(1).expect("listen");
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    let mut full = false;
    for _ in 0..16 {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => queued.push(stream),
            Ok(Err(e)) => panic!("connect failed: {e}"),
            Err(_) => {
                full = true;
                break;
            }
        }
    }
    assert!(
        full,
        "the accept queue never filled after {} connections",
        queued.len()
    );

    let authlens = Authlens::start(
        &format!("http://{addr}"),
        "  connect_timeout: 300ms\n  response_timeout: 5s\n",
    );
    let got = send(client::get(&format!("{}/slow-net", authlens.proxy))).await;

    assert_eq!(got.status.as_u16(), 504);
    assert!(String::from_utf8_lossy(&got.body).contains("upstream_connect_timeout"));
    expect_failure(
        &authlens,
        "exchange failed",
        "upstream_connect_timeout",
        "",
        "firewall",
    )
    .await;
    drop(listener);
}
