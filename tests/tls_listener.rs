//! The TLS listener, against the real binary with certificates made in the test: curl --http2
//! and Rust clients (h2 and HTTP/1.1 by ALPN), client certificates, a certificate rotated on
//! disk while an HTTP/2 connection stays open, and unusable files refused at start and reload.

mod certs;
mod support;

use bytes::Bytes;
use certs::Ca;
use http::{Request, Version};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::upstream::reply;
use support::{Authlens, Upstream};
use tokio::net::TcpStream;

fn ca() -> Ca {
    Ca::new("authlens test CA")
}

/// A certificate for `localhost` and 127.0.0.1 signed by `ca`: (cert PEM, key PEM).
fn leaf(ca: &Ca) -> (String, String) {
    let leaf = ca.leaf();
    (leaf.cert_pem, leaf.key_pem)
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Writes by rename, as a certificate manager does, so no reader sees half a file.
    fn put(&self, name: &str, text: &str) -> PathBuf {
        let tmp = self.path(&format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.path(name)).unwrap();
        self.path(name)
    }
}

fn tls_config(files: &Files, extra: &str) -> String {
    format!(
        "downstream:\n  tls:\n    cert_file: {}\n    key_file: {}\n    check_interval: 100ms\n{extra}",
        files.path("cert.pem").display(),
        files.path("key.pem").display(),
    )
}

fn https(authlens: &Authlens) -> String {
    authlens.proxy.replace("http://", "https://")
}

/// An upstream that echoes the forwarding header it got.
async fn upstream() -> Upstream {
    Upstream::start(|req| async move {
        let proto = req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        let body: &'static str = Box::leak(format!("proto={proto}").into_boxed_str());
        reply(200, &[], body)
    })
    .await
}

fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is installed");
    eprintln!("curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn client_config(ca: &Ca, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
        .unwrap();
    let mut config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// One TLS connection to `addr`; returns the stream and the certificate the server showed.
async fn connect(
    ca: &Ca,
    addr: &str,
    alpn: &[&[u8]],
) -> (
    tokio_rustls::client::TlsStream<TcpStream>,
    CertificateDer<'static>,
) {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(ca, alpn)));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake");
    let cert = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    (tls, cert)
}

fn pem_der(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
}

type H2 = hyper::client::conn::http2::SendRequest<Empty<Bytes>>;

async fn h2_get(send: &mut H2, url: &str) -> (Version, String) {
    let req = Request::get(url).body(Empty::new()).unwrap();
    let resp = send.send_request(req).await.expect("h2 request");
    let version = resp.version();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (version, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http2_and_rust_clients_speak_h2_and_http1_over_tls() {
    let (ca, files, upstream) = (ca(), Files::new(), upstream().await);
    let (cert, key) = leaf(&ca);
    files.put("cert.pem", &cert);
    files.put("key.pem", &key);
    let ca_path = files.put("ca.pem", &ca.pem);
    let authlens = Authlens::start(&upstream.url(), &tls_config(&files, ""));
    let url = format!("{}/hello", https(&authlens));
    let cacert = ca_path.to_str().unwrap();

    let (ok, out) = curl(&[
        "--http2",
        "--cacert",
        cacert,
        "-w",
        " %{http_version}",
        &url,
    ]);
    assert!(ok, "curl --http2 failed");
    assert_eq!(out, "proto=https 2");
    let (ok, out) = curl(&[
        "--http1.1",
        "--cacert",
        cacert,
        "-w",
        " %{http_version}",
        &url,
    ]);
    assert!(ok, "curl --http1.1 failed");
    assert_eq!(out, "proto=https 1.1");
    // Without the CA the client refuses the certificate: authlens really served ours.
    assert!(!curl(&[&url]).0);

    let addr = authlens.proxy.trim_start_matches("http://").to_string();
    let (tls, _) = connect(&ca, &addr, &[b"h2"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    assert_eq!(
        h2_get(&mut send, &url).await,
        (Version::HTTP_2, "proto=https".into())
    );

    let (tls, _) = connect(&ca, &addr, &[b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/hello")
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.version(), Version::HTTP_11);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"proto=https");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_signed_by_the_client_ca_are_required() {
    let (ca, client_ca, files, upstream) = (ca(), ca(), Files::new(), upstream().await);
    let (cert, key) = leaf(&ca);
    files.put("cert.pem", &cert);
    files.put("key.pem", &key);
    let ca_path = files.put("ca.pem", &ca.pem);
    let client_ca_path = files.put("client-ca.pem", &client_ca.pem);
    let (client_cert, client_key) = leaf(&client_ca);
    let client_cert = files.put("client.pem", &client_cert);
    let client_key = files.put("client-key.pem", &client_key);
    let (stranger_cert, stranger_key) = leaf(&ca);
    let stranger_cert = files.put("stranger.pem", &stranger_cert);
    let stranger_key = files.put("stranger-key.pem", &stranger_key);
    let extra = format!("    client_ca_file: {}\n", client_ca_path.display());
    let authlens = Authlens::start(&upstream.url(), &tls_config(&files, &extra));
    let url = format!("{}/hello", https(&authlens));
    let cacert = ca_path.to_str().unwrap();
    let with = |cert: &Path, key: &Path| {
        curl(&[
            "--http2",
            "--cacert",
            cacert,
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            &url,
        ])
    };
    assert_eq!(
        with(&client_cert, &client_key),
        (true, "proto=https".into())
    );
    assert!(
        !with(&stranger_cert, &stranger_key).0,
        "a certificate from another CA"
    );
    assert!(
        !curl(&["--cacert", cacert, &url]).0,
        "no certificate at all"
    );
    assert!(
        upstream.seen().len() == 1,
        "only the verified client got through"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_served_to_new_connections_while_an_open_one_stays_up() {
    let (ca, files, upstream) = (ca(), Files::new(), upstream().await);
    let (first, key) = leaf(&ca);
    files.put("cert.pem", &first);
    files.put("key.pem", &key);
    let authlens = Authlens::start(&upstream.url(), &tls_config(&files, ""));
    let addr = authlens.proxy.trim_start_matches("http://").to_string();
    let url = format!("{}/hello", https(&authlens));

    let (tls, shown) = connect(&ca, &addr, &[b"h2"]).await;
    assert_eq!(shown, pem_der(&first));
    let (mut open, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    assert_eq!(h2_get(&mut open, &url).await.1, "proto=https");

    // Rotation as a certificate manager does it: key, then chain, each by rename.
    let (second, key) = leaf(&ca);
    files.put("key.pem", &key);
    files.put("cert.pem", &second);
    let started = Instant::now();
    loop {
        let (_, shown) = connect(&ca, &addr, &[b"h2"]).await;
        if shown == pem_der(&second) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never rotated");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    authlens.wait_log(|v| v["event"] == "tls_certificate_reload" && v["result"] == "ok");
    // The connection opened under the first certificate still carries requests.
    assert_eq!(h2_get(&mut open, &url).await.1, "proto=https");
    assert!(!conn.is_finished());

    // A broken file on disk: logged, the second certificate stays, and a reload that would
    // need it is refused with the key named.
    files.put(
        "cert.pem",
        "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n",
    );
    authlens.wait_log(|v| v["event"] == "tls_certificate_reload" && v["result"] == "error");
    let (_, shown) = connect(&ca, &addr, &[b"h2"]).await;
    assert_eq!(shown, pem_der(&second));
    authlens.signal("HUP");
    let line = authlens.reload_line(1);
    assert_eq!(line["result"], "error");
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains("downstream.tls.cert_file"),
        "{line}"
    );
    assert_eq!(h2_get(&mut open, &url).await.1, "proto=https");
}

#[test]
fn an_unusable_key_file_stops_the_start_with_exit_1() {
    let (ca, files) = (ca(), Files::new());
    let (cert, _) = leaf(&ca);
    files.put("cert.pem", &cert);
    files.put("key.pem", "not a key\n");
    let config = files.put(
        "authlens.yaml",
        &Authlens::config("http://127.0.0.1:9", &tls_config(&files, "")),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_authlens"))
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("downstream.tls.key_file"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_handshake_is_dropped() {
    use tokio::io::AsyncReadExt;
    let (ca, files, upstream) = (ca(), Files::new(), upstream().await);
    let (cert, key) = leaf(&ca);
    files.put("cert.pem", &cert);
    files.put("key.pem", &key);
    let config = tls_config(&files, "").replace(
        "downstream:\n",
        "downstream:\n  header_read_timeout: 300ms\n",
    );
    let authlens = Authlens::start(&upstream.url(), &config);
    let addr = authlens.proxy.trim_start_matches("http://").to_string();
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "closed by authlens, not left open: {read:?}"
    );
    // The listener itself kept serving.
    let (tls, _) = connect(&ca, &addr, &[b"h2"]).await;
    drop(tls);
}
