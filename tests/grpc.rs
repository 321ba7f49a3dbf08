//! gRPC through authlens over h2c, with a real grpcio server and client (Python, installed by
//! scripts/test.sh): trailers pass through untouched, and UNAUTHENTICATED / PERMISSION_DENIED
//! (trailers-only and in trailers) are classified like 401 / 403 with `grpc-message` as the
//! API's words.

mod interop;
mod support;

use authlens::evidence::token::Fingerprint;
use interop::{Signer, serve_json};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};
use support::Authlens;

const ISSUER: &str = "https://auth.resource.example";
const AUDIENCE: &str = "https://api.example/";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/grpc/pair.py");

/// Whether grpcio can be imported; under CI its absence is a failure, not a skip.
fn grpcio() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import grpc"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok || std::env::var("CI").is_err(),
        "python3 with grpcio is required (scripts/test.sh installs it)"
    );
    if !ok {
        eprintln!("skipped: python3 with grpcio is not installed");
    }
    ok
}

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server() -> Server {
    let mut child = Command::new("python3")
        .args([SCRIPT, "server"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the port");
    let port = line.trim().parse().expect("a port number");
    Server(child, port)
}

fn call(target: &str, method: &str, token: &str) -> Value {
    let out = Command::new("python3")
        .args([SCRIPT, "client", target, method, token])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON line")
}

fn token(signer: &Signer, jti: &str, exp_from_now: i64, scope: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    signer.sign(&json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "client_id": "app",
        "iat": now - 3600, "exp": now + exp_from_now, "jti": jti, "scope": scope,
    }))
}

fn line_of(authlens: &Authlens, token: &str) -> Value {
    let fingerprint = Fingerprint::of(token).to_string();
    authlens.wait_log(|v| {
        v["message"] == "exchange failed" && v["token.fingerprint"] == fingerprint.as_str()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_statuses_are_classified_and_trailers_pass_through() {
    if !grpcio() {
        return;
    }
    let server = server();
    let signer = Signer::es256("k1");
    let jwks = serve_json(signer.jwks.clone()).await;
    let authlens = Authlens::start(
        &format!("http://127.0.0.1:{}", server.1),
        &format!(
            "  protocol: h2c\nroutes:\n  - name: files\n    path_prefix: /demo.Files/\n    required_scopes: [files.write]\nauth:\n  issuers:\n    - name: resource-as\n      issuer: {ISSUER}\n      jwks_uri: http://{jwks}/jwks\n      audiences: [{AUDIENCE}]\n      algorithms: [ES256]\n"
        ),
    );
    let target = authlens.proxy.trim_start_matches("http://").to_string();

    // Trailers-only UNAUTHENTICATED for an expired token: the client gets the server's status
    // untouched; authlens names the cause, with the server's words.
    let expired = token(&signer, "expired", -120, "files.write");
    let got = call(&target, "Read", &expired);
    assert_eq!(got["code"], "UNAUTHENTICATED", "{got}");
    assert_eq!(got["details"], "Token expired");
    let line = line_of(&authlens, &expired);
    assert_eq!(line["cause"], "token_expired", "{line}");
    assert_eq!(line["route"], "files");
    assert_eq!(
        line["upstream.error_description"], "Token expired",
        "{line}"
    );

    // PERMISSION_DENIED in the trailers after a head: a 403 to authlens.
    let narrow = token(&signer, "narrow", 600, "files.read");
    let got = call(&target, "Write", &narrow);
    assert_eq!(got["code"], "PERMISSION_DENIED", "{got}");
    assert_eq!(got["details"], "missing scope files.write");
    let line = line_of(&authlens, &narrow);
    assert_eq!(line["cause"], "scope_missing", "{line}");
    assert_eq!(
        line["upstream.error_description"], "missing scope files.write",
        "{line}"
    );

    // A success keeps its trailers, and is not a failure.
    let good = token(&signer, "good", 600, "files.write");
    let got = call(&target, "Ok", &good);
    assert_eq!(got["code"], "OK", "{got}");
    assert_eq!(got["trailers"]["x-trailer"], "kept", "{got}");
    let expired_series = "authlens_failures_total{category=\"authn\",cause=\"token_expired\",detail=\"\",route=\"files\"}";
    assert_eq!(authlens.metric(expired_series).await, 1.0);
    // All three calls counted (gRPC answers are HTTP 200), only two of them as failures.
    let calls = "authlens_requests_total{method=\"POST\",route=\"files\",status_class=\"2xx\"}";
    authlens.wait_metric(calls, 3.0).await;
    let good = Fingerprint::of(&good).to_string();
    assert!(
        !authlens
            .logs()
            .iter()
            .any(|v| v["message"] == "exchange failed" && v["token.fingerprint"] == good.as_str()),
        "the good call is no failure"
    );
}
