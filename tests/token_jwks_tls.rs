//! Keys over https: trusted through the issuer's `ca_file`, refused without it.

mod support;
mod token_kit;

use authlens::evidence::token::Verdict;
use authlens::inspect::{InspectorOptions, Standalone};
use authlens::policy::{IssuerPolicy, JwksSource, Policy};
use authlens::telemetry::metrics::Metrics;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::Algorithm;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::authlens::find_series;
use token_kit::{TestKey, claims, issuer_policy};

/// An https key server on 127.0.0.1 whose certificate a fresh CA signed; returns its base URL
/// and the CA's PEM.
async fn https_jwks(keys: serde_json::Value) -> (String, String) {
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("leaf params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf cert");
    let key_der =
        rustls_pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).expect("key der");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key_der)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let body = json!({ "keys": keys }).to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, body) = (acceptor.clone(), body.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let svc = service_fn(move |_req| {
                    let b = body.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from(b),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (format!("https://{addr}"), ca_cert.pem())
}

fn policy(base: &str, ca_file: Option<PathBuf>) -> Policy {
    Policy {
        issuers: vec![IssuerPolicy {
            ca_file,
            ..issuer_policy(
                "tls-as",
                base,
                JwksSource::Uri(format!("{base}/keys").parse().expect("uri")),
                &[Algorithm::ES256],
            )
        }],
        ..Policy::empty()
    }
}

#[tokio::test]
async fn https_keys_need_the_configured_ca() {
    let key = TestKey::ec("k1");
    let (base, ca_pem) = https_jwks(json!([key.jwk])).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca_pem).expect("write ca");
    let token = key.sign(&claims(&base));
    for (ca, want, result) in [
        (Some(ca_path), Verdict::Valid, "ok"),
        (None, Verdict::Unverified, "network_error"),
    ] {
        let policy = Arc::new(policy(&base, ca));
        let metrics = Arc::new(Metrics::new().expect("metrics"));
        let inspector = Standalone::start(policy, metrics.clone(), InspectorOptions::default());
        let report = tokio::time::timeout(Duration::from_secs(10), inspector.verify(&token))
            .await
            .expect("in time");
        assert_eq!(report.verdict, want);
        let series =
            format!("authlens_jwks_fetches_total{{issuer=\"tls-as\",result=\"{result}\"}}");
        assert!(find_series(&metrics.render(), &series) >= 1.0, "{series}");
    }
}
