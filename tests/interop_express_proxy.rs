//! Interop through the real authlens binary: client → authlens → express-oauth2-jwt-bearer
//! (npm), which verifies real ES256 tokens against a loopback JWKS that authlens's own issuer
//! config also points at. Each of the middleware's 403s must be named in authlens's log line
//! and failure counter, and pass through untouched.
//!
//! Without `node_modules` the test is skipped with a message, unless CI=true.

mod interop;
mod support;

use authlens::evidence::token::Fingerprint;
use http::Request;
use http_body_util::Full;
use interop::Signer;
use interop::express::{AUDIENCE, ISSUER, ROUTES_YAML, ROWS, claims, start};
use support::{Authlens, send};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_403s_are_named_through_authlens() {
    let signer = Signer::es256("k1");
    let Some((node, jwks)) = start(&signer).await else {
        return;
    };
    let authlens = Authlens::start(
        &format!("http://{}", node.addr),
        &format!(
            "{ROUTES_YAML}auth:\n  issuers:\n    - name: resource-as\n      issuer: {ISSUER}\n      \
             jwks_uri: http://{jwks}/jwks\n      audiences: [{AUDIENCE}]\n      algorithms: [ES256]\n"
        ),
    );
    let mut wrong = Vec::new();
    for (what, path, scopes, cause, detail, confidence, hint) in ROWS {
        let token = signer.sign(&claims(serde_json::from_str(scopes).expect("row JSON")));
        let req = Request::get(format!("{}{path}", authlens.proxy))
            .header("authorization", format!("Bearer {token}"))
            .body(Full::default())
            .expect("request");
        let reply = send(req).await;
        assert_eq!(
            reply.status, 403,
            "{what}: the middleware's 403 passes through"
        );
        // Several rows share a path; the token's fingerprint picks this row's line.
        let fingerprint = Fingerprint::of(&token).to_string();
        let line = authlens.wait_log(|v| {
            v["message"] == "exchange failed" && v["token.fingerprint"] == fingerprint.as_str()
        });
        let got = (
            line["cause"].as_str().unwrap_or(""),
            line["detail"].as_str().unwrap_or(""),
            line["confidence"].as_str().unwrap_or(""),
        );
        let text = line["hint"].as_str().unwrap_or("");
        if got != (*cause, *detail, *confidence) || !text.contains(hint) {
            wrong.push(format!("{what}: got {got:?}: {line}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    let scope_missing = "authlens_failures_total{category=\"authz\",cause=\"scope_missing\",detail=\"\",route=\"files\"}";
    assert!(authlens.wait_metric(scope_missing, 1.0).await >= 1.0);
}
