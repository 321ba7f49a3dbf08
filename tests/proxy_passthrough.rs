//! The proxy is transparent: what the client sends reaches the upstream (minus hop-by-hop
//! headers, plus forwarding headers), and what the upstream answers reaches the client.

mod support;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use support::upstream::{Body, full, reply};
use support::{Authlens, Upstream, send};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_and_response_pass_unchanged_except_hop_by_hop() {
    let upstream = Upstream::start(|_req| async {
        let mut r = reply(
            203,
            &[
                ("x-multi", "one"),
                ("x-multi", "two"),
                ("connection", "close"),
                ("keep-alive", "timeout=5"),
            ],
            "payload",
        );
        r.headers_mut()
            .insert("x-latin1", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        r
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let req = Request::builder()
        .method("PURGE")
        .uri(format!(
            "{}/a%2Fb/c;p?q=%E2%9C%93&q=2&empty=&x=a+b",
            authlens.proxy
        ))
        .header("x-repeat", "1")
        .header("x-repeat", "2")
        .header("connection", "x-hop")
        .header("x-hop", "gone")
        .header("keep-alive", "timeout=1")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-odd", HeaderValue::from_bytes(b"\xff\xfe").unwrap())
        .body(Full::new(Bytes::from_static(b"hello")))
        .unwrap();
    let got = send(req).await;

    assert_eq!(got.status.as_u16(), 203);
    assert_eq!(&got.body[..], b"payload");
    let multi: Vec<_> = got.headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["one", "two"]);
    assert_eq!(got.headers["x-latin1"].as_bytes(), b"caf\xe9");
    assert!(got.headers.get("keep-alive").is_none());

    let seen = &upstream.seen()[0];
    assert_eq!(seen.method.as_str(), "PURGE");
    assert_eq!(
        seen.uri.to_string(),
        "/a%2Fb/c;p?q=%E2%9C%93&q=2&empty=&x=a+b"
    );
    let repeat: Vec<_> = seen.headers.get_all("x-repeat").iter().collect();
    assert_eq!(repeat, ["1", "2"]);
    assert!(
        seen.headers.get("x-hop").is_none(),
        "a header named in Connection is hop-by-hop"
    );
    assert!(seen.headers.get("keep-alive").is_none());
    assert!(seen.headers.get("connection").is_none_or(|c| c != "x-hop"));
    assert_eq!(seen.headers["x-odd"].as_bytes(), b"\xff\xfe");
    assert_eq!(seen.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert_eq!(seen.headers["x-forwarded-proto"], "http");
    assert_eq!(
        seen.headers["x-forwarded-host"],
        authlens.proxy.trim_start_matches("http://")
    );
    assert_eq!(seen.headers["traceparent"].len(), 55);
    assert!(seen.headers.contains_key("x-request-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_bodies_stream_both_ways() {
    let upstream = Upstream::start(|req| async move {
        // Echo the request body back, chunk by chunk.
        let body: Body = req.into_body().map_err(|e| e.into()).boxed();
        let mut r = http::Response::new(body);
        r.headers_mut()
            .insert("x-echo", HeaderValue::from_static("1"));
        r
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let chunks: Vec<Result<Frame<Bytes>, std::convert::Infallible>> = (0..50)
        .map(|i| Ok(Frame::data(Bytes::from(format!("chunk-{i};")))))
        .collect();
    let body = StreamBody::new(support::stream_of(chunks));
    let req = Request::post(format!("{}/echo", authlens.proxy))
        .body(body)
        .unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let resp = client.request(req).await.unwrap();
    assert!(resp.headers().get("content-length").is_none());
    let got = resp.into_body().collect().await.unwrap().to_bytes();
    let want: String = (0..50).map(|i| format!("chunk-{i};")).collect();
    assert_eq!(got, want.as_bytes());
    assert_eq!(upstream.seen()[0].headers["transfer-encoding"], "chunked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_clients_reach_an_http1_upstream() {
    let upstream = Upstream::fixed(200, &[("x-up", "yes")], "over h2").await;
    let authlens = Authlens::start(&upstream.url(), "");
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let resp = client
        .get(format!("{}/h2?x=1", authlens.proxy).parse().unwrap())
        .await
        .unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.headers()["x-up"], "yes");
    assert_eq!(
        resp.into_body().collect().await.unwrap().to_bytes(),
        "over h2"
    );
    let seen = &upstream.seen()[0];
    assert_eq!(seen.version, http::Version::HTTP_11);
    assert_eq!(seen.uri.to_string(), "/h2?x=1");
    assert_eq!(
        seen.headers["host"],
        authlens.proxy.trim_start_matches("http://")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailers_reach_an_h2_client() {
    let upstream = Upstream::start(|_req| async {
        let frames: Vec<Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>>> = vec![
            Ok(Frame::data(Bytes::from_static(b"data"))),
            Ok(Frame::trailers({
                let mut t = http::HeaderMap::new();
                t.insert("grpc-status", HeaderValue::from_static("0"));
                t
            })),
        ];
        let body: Body = StreamBody::new(support::stream_of(frames)).boxed();
        // HTTP/1.1 sends only the trailer fields the head declares.
        let mut r = http::Response::new(body);
        r.headers_mut()
            .insert("trailer", HeaderValue::from_static("grpc-status"));
        r
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let req = Request::get(format!("{}/t", authlens.proxy))
        .header("te", "trailers")
        .body(Full::default())
        .unwrap();
    let collected = client
        .request(req)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();
    assert_eq!(collected.trailers().expect("trailers")["grpc-status"], "0");
    assert_eq!(collected.to_bytes(), "data");
    assert_eq!(upstream.seen()[0].headers["te"], "trailers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_without_body_is_complete() {
    let upstream = Upstream::fixed(204, &[], "").await;
    let authlens = Authlens::start(&upstream.url(), "");
    let got = send(
        Request::head(format!("{}/x", authlens.proxy))
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(got.status.as_u16(), 204);
    authlens
        .wait_metric(
            "authlens_requests_total{method=\"HEAD\",route=\"unmatched\",status_class=\"2xx\"}",
            1.0,
        )
        .await;
    assert_eq!(authlens.metric("authlens_failures_total{category=\"client\",cause=\"client_aborted\",detail=\"\",route=\"unmatched\"}").await, 0.0);
    let _ = full("");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_reason_phrase_reaches_the_client() {
    let upstream = Upstream::start(|_req| async {
        let mut r = reply(299, &[], "odd");
        r.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(b"Mostly Fine"));
        r
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-i",
            "--max-time",
            "10",
            &format!("{}/r", authlens.proxy),
        ])
        .output()
        .expect("curl");
    let head = String::from_utf8_lossy(&out.stdout);
    assert!(head.starts_with("HTTP/1.1 299 Mostly Fine\r\n"), "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_order_is_kept_both_ways() {
    let order: &[(&str, &str)] = &[
        ("x-zeta", "1"),
        ("x-alpha", "2"),
        ("x-mid", "3"),
        ("x-alpha", "4"),
    ];
    let upstream = Upstream::start(|_req| async {
        reply(
            200,
            &[
                ("x-zeta", "1"),
                ("x-alpha", "2"),
                ("x-mid", "3"),
                ("x-alpha", "4"),
            ],
            "",
        )
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), "");
    let mut req = Request::get(format!("{}/o", authlens.proxy));
    for (k, v) in order {
        req = req.header(*k, *v);
    }
    let got = send(req.body(Full::default()).unwrap()).await;
    // Distinct names keep their order; a repeated name's values stay together, in order (the
    // `http` crate's map groups them; HTTP semantics allow it, RFC 9110 §5.3).
    let names = |h: &http::HeaderMap| -> Vec<String> {
        h.iter()
            .map(|(k, v)| format!("{k}={}", v.to_str().unwrap()))
            .filter(|s| s.starts_with("x-"))
            .collect()
    };
    let want = ["x-zeta=1", "x-alpha=2", "x-alpha=4", "x-mid=3"];
    assert_eq!(names(&got.headers), want);
    // The forwarding headers authlens adds come after the client's own.
    assert_eq!(names(&upstream.seen()[0].headers)[..4], want);
}
