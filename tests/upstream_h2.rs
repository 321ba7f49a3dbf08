//! HTTP/2 to the upstream: h2c by config, h2 by ALPN on https; HTTP/1.1 clients served over an
//! h2 upstream connection and h2 clients over an HTTP/1.1 one. The upstream says what it got.

mod certs;
mod support;

use bytes::Bytes;
use certs::Ca;
use http::{Request, Version};
use http_body_util::{BodyExt, Empty};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::Arc;
use support::upstream::{Body, reply};
use support::{Authlens, Upstream};
use tokio::net::TcpListener;

/// What the upstream saw: its version and the Host header, as the body.
fn echo(req: &Request<hyper::body::Incoming>) -> http::Response<Body> {
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let text = format!("{:?} host={host}", req.version());
    reply(200, &[], Box::leak(text.into_boxed_str()))
}

/// Sends GET `path` to authlens as HTTP/1.1 or with h2 prior knowledge; returns the body.
async fn get(proxy: &str, path: &str, h2: bool) -> String {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(h2)
        .build_http::<Empty<Bytes>>();
    let req = Request::get(format!("{proxy}{path}"))
        .body(Empty::new())
        .unwrap();
    let resp = client.request(req).await.expect("answer");
    assert_eq!(resp.status(), 200);
    let expected = if h2 {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    assert_eq!(resp.version(), expected, "the client's own version back");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&body).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_upstream_serves_http1_and_h2_clients() {
    let upstream = Upstream::start(|req| async move { echo(&req) }).await;
    let authlens = Authlens::start(&upstream.url(), "  protocol: h2c\n");
    assert_eq!(get(&authlens.proxy, "/a", false).await, "HTTP/2.0 host=-");
    assert_eq!(get(&authlens.proxy, "/b", true).await, "HTTP/2.0 host=-");
    assert!(upstream.seen().iter().all(|s| s.version == Version::HTTP_2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_upstream_serves_h2_clients_with_a_host_header() {
    let upstream = Upstream::start(|req| async move { echo(&req) }).await;
    let authlens = Authlens::start(&upstream.url(), "  protocol: http1\n");
    let authority = authlens.proxy.trim_start_matches("http://").to_string();
    assert_eq!(
        get(&authlens.proxy, "/a", true).await,
        format!("HTTP/1.1 host={authority}")
    );
    assert_eq!(
        get(&authlens.proxy, "/b", false).await,
        format!("HTTP/1.1 host={authority}")
    );
}

/// An https upstream whose ALPN offers `alpn`; returns its address and the CA's PEM.
async fn tls_upstream(alpn: &[&[u8]]) -> (SocketAddr, String) {
    let ca = Ca::new("h2 test CA");
    let config = ca.server_config(alpn);
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service =
                    service_fn(|req| async move { Ok::<_, std::convert::Infallible>(echo(&req)) });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, ca.pem)
}

fn https_authlens(addr: SocketAddr, ca_pem: &str, dir: &tempfile::TempDir) -> Authlens {
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    Authlens::start(
        &format!("https://{addr}"),
        &format!("  ca_file: {}\n", ca.display()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_upstream_offering_h2_by_alpn_gets_h2_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, ca) = tls_upstream(&[b"h2", b"http/1.1"]).await;
    let authlens = https_authlens(addr, &ca, &dir);
    // Under `auto` the version is the connection's; on h2 the host is the URL's `:authority`
    // alone, as on h2c (a differing `Host` is not allowed there).
    assert_eq!(get(&authlens.proxy, "/a", false).await, "HTTP/2.0 host=-");
    assert_eq!(get(&authlens.proxy, "/b", true).await, "HTTP/2.0 host=-");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_upstream_without_h2_stays_on_http1() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, ca) = tls_upstream(&[b"http/1.1"]).await;
    let authlens = https_authlens(addr, &ca, &dir);
    let authority = authlens.proxy.trim_start_matches("http://").to_string();
    assert_eq!(
        get(&authlens.proxy, "/a", true).await,
        format!("HTTP/1.1 host={authority}")
    );
}
