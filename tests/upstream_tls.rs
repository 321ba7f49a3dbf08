//! TLS to the upstream: a plain-HTTP port, a self-signed certificate, a certificate for
//! another name and an expired one, all made in the test; and a good one, which must work.

mod support;
mod upstream_common;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, date_time_ymd};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::Arc;
use support::upstream::reply;
use support::{Authlens, Upstream, client, send};
use tokio::net::TcpListener;
use upstream_common::expect_failure;

/// A CA the test can tell authlens to trust through `upstream.ca_file`.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca() -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    Ca {
        issuer: Issuer::new(params, key),
        pem,
    }
}

struct Leaf {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn leaf(name: &str, ca: Option<&Ca>, expired: bool) -> Leaf {
    let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
    if expired {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = match ca {
        Some(ca) => params.signed_by(&key, &ca.issuer).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    Leaf {
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// An HTTPS upstream on 127.0.0.1 presenting `leaf`, answering 200 "secure".
async fn tls_upstream(leaf: Leaf) -> SocketAddr {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.cert], leaf.key)
        .expect("server config");
    serve_tls(config).await
}

async fn serve_tls(config: rustls::ServerConfig) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(reply(200, &[], "secure"))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

/// authlens in front of `https://{addr}`, trusting `ca` when given, logging its own debug lines.
fn authlens_for(addr: SocketAddr, ca: Option<&Ca>, dir: &tempfile::TempDir) -> Authlens {
    let ca_file = match ca {
        Some(ca) => {
            let path = dir.path().join("ca.pem");
            std::fs::write(&path, &ca.pem).unwrap();
            format!("  ca_file: {}\n", path.display())
        }
        None => String::new(),
    };
    Authlens::start(
        &format!("https://{addr}"),
        &format!("{ca_file}log:\n  level: info,authlens=debug\n"),
    )
}

async fn expect_tls_failure(authlens: &Authlens, detail: &str, hint: &str) {
    let got = send(client::get(&format!("{}/secure", authlens.proxy))).await;
    assert_eq!(got.status.as_u16(), 502);
    assert!(String::from_utf8_lossy(&got.body).contains("upstream_tls_error"));
    expect_failure(
        authlens,
        "exchange failed",
        "upstream_tls_error",
        detail,
        hint,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_certificate_for_the_right_name_works() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca();
    let addr = tls_upstream(leaf("127.0.0.1", Some(&ca), false)).await;
    let authlens = authlens_for(addr, Some(&ca), &dir);
    let got = send(client::get(&format!("{}/secure", authlens.proxy))).await;
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(&got.body[..], b"secure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_to_a_plain_http_port_is_a_protocol_error() {
    let upstream = Upstream::fixed(200, &[], "plain").await;
    let authlens = Authlens::start(&format!("https://{}", upstream.addr), "");
    expect_tls_failure(&authlens, "protocol", "http vs https").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_tls_port_is_a_protocol_error() {
    let ca = ca();
    let addr = tls_upstream(leaf("127.0.0.1", Some(&ca), false)).await;
    let authlens = Authlens::start(&format!("http://{addr}"), "");
    expect_tls_failure(&authlens, "protocol", "http vs https").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_is_untrusted() {
    let dir = tempfile::tempdir().unwrap();
    let addr = tls_upstream(leaf("127.0.0.1", None, false)).await;
    let authlens = authlens_for(addr, None, &dir);
    expect_tls_failure(&authlens, "untrusted", "upstream.ca_file").await;
    // The debug log names the TLS error itself, not just "client error (Connect)".
    let debug = authlens.wait_log(|v| v["message"] == "upstream request failed");
    let error = debug["error"].as_str().unwrap();
    assert!(error.contains("UnknownIssuer"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_is_a_name_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca();
    let addr = tls_upstream(leaf("orders.example", Some(&ca), false)).await;
    let authlens = authlens_for(addr, Some(&ca), &dir);
    expect_tls_failure(&authlens, "name_mismatch", "does not name the host").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca();
    let addr = tls_upstream(leaf("127.0.0.1", Some(&ca), true)).await;
    let authlens = authlens_for(addr, Some(&ca), &dir);
    expect_tls_failure(&authlens, "expired", "expired").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_requiring_a_client_certificate_is_not_called_a_protocol_error() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let ca = ca();
    let server = leaf("127.0.0.1", Some(&ca), false);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .unwrap();
    let config = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server.cert], server.key)
        .unwrap();
    let addr = serve_tls(config).await;
    let authlens = authlens_for(addr, Some(&ca), &dir);
    expect_tls_failure(&authlens, "", "client certificate").await;
}
