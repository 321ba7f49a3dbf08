//! Interop through the real authlens binary: client → authlens → express-oauth2-jwt-bearer
//! (npm), which verifies real ES256 tokens against a loopback JWKS that authlens's own issuer
//! config also points at. Each of the middleware's 403s must be named in authlens's log line
//! and failure counter, and pass through untouched.
//!
//! Without `node_modules` the test is skipped with a message, unless CI=true.

mod interop;
#[path = "interop/shapes.rs"]
mod shapes;
mod support;

use authlens::evidence::token::Fingerprint;
use http::Request;
use http_body_util::Full;
use interop::Signer;
use interop::express::{AUDIENCE, ISSUER, ROUTES_YAML, ROWS, claims, start};
use serde_json::json;
use shapes::{Row, Shape};
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

/// Every request shape express-oauth2-jwt-bearer tells apart, through authlens: its 400s with a
/// bare `Bearer realm="api"` for a malformed header, its 401s with the error in the challenge,
/// and its `invalid_request` 400 for two methods. The words column is what the middleware says
/// (found in its challenge); authlens names the cause from the request and its own checks.
#[rustfmt::skip]
const SHAPES: &[Row] = &[
    Row { shape: Shape::NoHeader, status: 401, words: "Bearer realm=\"api\", DPoP", named: ("token_missing", "") },
    Row { shape: Shape::BearerNoToken, status: 400, words: "Bearer realm=\"api\", DPoP", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::TwoSpaces, status: 400, words: "Bearer realm=\"api\", DPoP", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::Basic, status: 400, words: "Bearer realm=\"api\", DPoP", named: ("auth_scheme_not_bearer", "basic") },
    Row { shape: Shape::OtherScheme, status: 400, words: "Bearer realm=\"api\", DPoP", named: ("auth_scheme_not_bearer", "other_scheme") },
    Row { shape: Shape::NoScheme, status: 400, words: "Bearer realm=\"api\", DPoP", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::BearerColon, status: 400, words: "Bearer realm=\"api\", DPoP", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::Opaque, status: 401, words: "Invalid Compact JWS", named: ("token_malformed", "opaque") },
    Row { shape: Shape::TwoSegments, status: 401, words: "Invalid Compact JWS", named: ("token_malformed", "segments") },
    Row { shape: Shape::NotBase64, status: 401, words: "signature verification failed", named: ("token_malformed", "base64") },
    Row { shape: Shape::NotJson, status: 401, words: "JWS Protected Header is invalid", named: ("token_malformed", "json") },
    Row { shape: Shape::Expired, status: 401, words: "'exp' claim timestamp check failed", named: ("token_expired", "") },
    Row { shape: Shape::NotYetValid, status: 401, words: "'nbf' claim timestamp check failed", named: ("token_not_yet_valid", "") },
    Row { shape: Shape::WrongAudience, status: 401, words: "Unexpected 'aud' value", named: ("audience_mismatch", "other_resource") },
    Row { shape: Shape::WrongIssuer, status: 401, words: "Unexpected 'iss' value", named: ("issuer_mismatch", "other") },
    Row { shape: Shape::BadSignature, status: 401, words: "signature verification failed", named: ("signature_invalid", "") },
    Row { shape: Shape::UnknownKid, status: 401, words: "no applicable key found in the JSON Web Key Set", named: ("kid_unknown", "") },
    Row { shape: Shape::Hmac, status: 401, words: "Unsupported 'alg' value for a JSON Web Key Set", named: ("alg_not_allowed", "hmac") },
    Row { shape: Shape::AlgNone, status: 401, words: "Unsupported 'alg' value for a JSON Web Key Set", named: ("alg_not_allowed", "none") },
    Row { shape: Shape::NoExp, status: 401, words: "Unexpected 'exp' value", named: ("required_claim_missing", "exp") },
    Row { shape: Shape::HeaderAndQuery, status: 400, words: "More than one method used for authentication", named: ("token_multiple_methods", "") },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_shape_express_tells_apart_is_named_through_authlens() {
    let signer = Signer::es256("k1");
    let Some((node, jwks)) = start(&signer).await else {
        return;
    };
    let authlens = shapes::authlens_for(node.addr, jwks, ROUTES_YAML);
    let before = authlens.metrics().await;
    let (wrong, exact) = shapes::run(&authlens, &signer, "/files", SHAPES).await;
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    println!(
        "express-oauth2-jwt-bearer: {exact} of {} failure kinds named exactly",
        SHAPES.len()
    );
    assert_eq!(exact, SHAPES.len());
    // The 400s are counted failures, not lost.
    let series = "authlens_failures_total{category=\"authn\",cause=\"auth_scheme_not_bearer\",detail=\"malformed\",route=\"files\"}";
    let was = support::authlens::find_series(&before, series);
    assert_eq!(authlens.wait_metric(series, was + 4.0).await, was + 4.0);
}

/// A claim authlens does not check, required by the API (`claimEquals('tenant', 'acme')`): the
/// hint says what the API asked for, in its own words, naming the claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hints_name_the_claim_express_requires() {
    let signer = Signer::es256("k1");
    let Some((node, jwks)) = start(&signer).await else {
        return;
    };
    let authlens = shapes::authlens_for(node.addr, jwks, "");
    let rows = [
        (
            json!({}),
            ("required_claim_missing", "other"),
            "the API requires claim `tenant`, which this token lacks",
        ),
        (
            json!({"tenant": "globex"}),
            ("upstream_rejected_valid_token", ""),
            "the API rejects the value of claim `tenant`",
        ),
    ];
    for (extra, named, hint) in rows {
        let token = signer.sign(&claims(extra));
        let req = Request::get(format!("{}/tenant", authlens.proxy))
            .header("authorization", format!("Bearer {token}"))
            .body(Full::default())
            .expect("request");
        assert_eq!(send(req).await.status, 401);
        let fingerprint = Fingerprint::of(&token).to_string();
        let line = authlens.wait_log(|v| {
            v["message"] == "exchange failed" && v["token.fingerprint"] == fingerprint.as_str()
        });
        assert_eq!(
            (
                line["cause"].as_str().unwrap_or(""),
                line["detail"].as_str().unwrap_or("")
            ),
            named,
            "{line}"
        );
        assert!(
            line["hint"].as_str().is_some_and(|h| h.contains(hint)),
            "{line}"
        );
    }
}
