//! Helpers for interop tests against real third-party middlewares: an ES256 key and its JWKS
//! served over real HTTP on loopback, a Node resource server as a child process, and a plain
//! HTTP client. Every wait is bounded.

#![allow(dead_code)] // each test crate uses a different part

pub mod express;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tokio::net::TcpListener;

pub const WAIT: Duration = Duration::from_secs(20);

/// A signing key made in the test, and the JWKS that publishes it.
pub struct Signer {
    key: EncodingKey,
    pub kid: String,
    pub jwks: String,
}

impl Signer {
    pub fn es256(kid: &str) -> Signer {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("EC key");
        let key = EncodingKey::from_ec_der(&pair.serialize_der());
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).expect("jwk");
        jwk.common.key_id = Some(kid.to_string());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let jwks = serde_json::to_string(&JwkSet { keys: vec![jwk] }).expect("jwks json");
        Signer {
            key,
            kid: kid.to_string(),
            jwks,
        }
    }

    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, claims, &self.key).expect("sign")
    }
}

/// Serves `body` as JSON to every request, on 127.0.0.1, until the runtime ends.
pub async fn serve_json(body: String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let body = Bytes::from(body);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let body = body.clone();
            let svc = service_fn(move |_req| {
                let body = body.clone();
                async move {
                    http::Response::builder()
                        .header("content-type", "application/json")
                        .body(Full::new(body))
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc),
            );
        }
    });
    addr
}

/// A Node server run from `tests/interop/<dir>`, killed when dropped.
pub struct Node {
    child: Child,
    pub addr: SocketAddr,
}

pub fn interop_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

/// Whether the npm dependencies are installed; outside CI a missing install skips the test
/// with a message, under CI (CI=true) it is a failure.
pub fn npm_installed(dir: &std::path::Path) -> bool {
    if dir.join("node_modules").is_dir() {
        return true;
    }
    let msg = format!(
        "{}/node_modules is missing: run `npm ci` there to run this interop test",
        dir.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("SKIPPED: {msg}");
    false
}

impl Node {
    pub fn start(dir: &std::path::Path, env: &[(&str, String)]) -> Node {
        let mut child = Command::new("node")
            .arg("server.js")
            .current_dir(dir)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("PORT", "0")
            .env("NODE_ENV", "production")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // express logs every error with its stack; the answers are what matters here.
            .stderr(Stdio::null())
            .spawn()
            .expect("node is installed");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(WAIT)
            .expect("node server did not start in time");
        let port: u16 = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from node: {line:?}"));
        Node {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One GET over a fresh connection, with an optional bearer token.
pub async fn get(addr: SocketAddr, path: &str, bearer: Option<&str>) -> Answer {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut req = Request::get(path).header("host", addr.to_string());
    if let Some(token) = bearer {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let call = send.send_request(req.body(Empty::<Bytes>::new()).expect("request"));
    let resp = tokio::time::timeout(WAIT, call)
        .await
        .expect("answer in time")
        .expect("response");
    let (parts, body) = resp.into_parts();
    let body = tokio::time::timeout(WAIT, body.collect())
        .await
        .expect("body in time")
        .expect("body")
        .to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}
