//! Key sets over HTTP/2: a key server that speaks only h2 (ALPN `h2`) behind a certificate from
//! the issuer's `ca_file`; the keys are fetched over h2 and the token verifies.

mod certs;
mod support;
mod token_kit;

use authlens::evidence::token::Verdict;
use authlens::inspect::{InspectorOptions, Standalone};
use authlens::policy::{IssuerPolicy, JwksSource, Policy};
use authlens::telemetry::metrics::Metrics;
use bytes::Bytes;
use certs::Ca;
use http::Version;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use jsonwebtoken::Algorithm;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use token_kit::{TestKey, claims, issuer_policy};

#[tokio::test]
async fn keys_are_fetched_over_h2_with_the_issuers_ca_file() {
    let key = TestKey::ec("k1");
    let ca = Ca::new("keys h2 CA");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(ca.server_config(&[b"h2"])));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let body = Bytes::from(json!({ "keys": [key.jwk] }).to_string());
    let versions = Arc::new(Mutex::new(Vec::new()));
    let seen = versions.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, body, seen) = (acceptor.clone(), body.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    seen.lock().unwrap().push(req.version());
                    let body = body.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(body)))
                    }
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let policy = Policy {
        issuers: vec![IssuerPolicy {
            ca_file: Some(ca_file),
            ..issuer_policy(
                "h2-as",
                &base,
                JwksSource::Uri(format!("{base}/keys").parse().unwrap()),
                &[Algorithm::ES256],
            )
        }],
        ..Policy::empty()
    };
    let metrics = Arc::new(Metrics::new().unwrap());
    let inspector = Standalone::start(Arc::new(policy), metrics, InspectorOptions::default());
    let token = key.sign(&claims(&base));
    let report = tokio::time::timeout(Duration::from_secs(10), inspector.verify(&token))
        .await
        .expect("in time");
    assert_eq!(report.verdict, Verdict::Valid);
    let versions = versions.lock().unwrap().clone();
    assert!(!versions.is_empty());
    assert!(
        versions.iter().all(|v| *v == Version::HTTP_2),
        "{versions:?}"
    );
}
