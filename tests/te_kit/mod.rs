//! Shared by the token-endpoint tests: form requests through authlens, ID tokens and ID-JAGs
//! signed with keys made in the test, marker secrets, and the checks every exchange gets
//! (status and body byte-identical to what the server sent, the one log line with its cause,
//! detail and hint, no secret anywhere).
#![allow(dead_code)] // each test binary uses a different part

pub mod idp;

use crate::support::{Authlens, Reply, send};
use crate::token_kit::{TestKey, now};
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use jsonwebtoken::Header;
use serde_json::{Value, json};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
pub const ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";
/// A client secret nobody else sends; it must never leave authlens.
pub const SECRET_MARKER: &str = "MARKER-client-secret-7f3a";

pub fn form(pairs: &[(&str, &str)]) -> String {
    authlens::evidence::token_request::encode(pairs)
}

/// One value, form-encoded.
pub fn enc(v: &str) -> String {
    form(&[("x", v)])[2..].to_string()
}

pub fn post(url: &str, body: impl Into<Bytes>, extra: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut b = Request::post(url).header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    b.body(Full::new(body.into())).expect("request")
}

/// An ID-JAG (`typ: oauth-id-jag+jwt`) from `idp` for `aud`, for `client_id`.
pub fn id_jag_claims(idp: &str, aud: &str, client_id: &str) -> Value {
    let now = now();
    json!({
        "iss": idp, "aud": aud, "sub": "user-1", "client_id": client_id,
        "exp": now + 300, "iat": now, "jti": format!("jti-{}", rand_id()),
        "scope": "files.read files.write"
    })
}

pub fn sign_typ(key: &TestKey, typ: Option<&str>, claims: &Value) -> String {
    let mut h = Header::new(key.alg);
    h.kid = Some(key.kid.clone());
    h.typ = typ.map(str::to_owned);
    key.sign_with(h, claims)
}

pub fn id_jag(key: &TestKey, claims: &Value) -> String {
    sign_typ(key, Some("oauth-id-jag+jwt"), claims)
}

/// An ID token from `idp` issued to `client_id`.
pub fn id_token_claims(idp: &str, client_id: &str) -> Value {
    let now = now();
    json!({"iss": idp, "aud": client_id, "sub": "user-1", "exp": now + 600, "iat": now,
           "nonce": "n-1", "auth_time": now})
}

pub fn rand_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Sends `req` to authlens and the same request straight to the server, and asserts the
/// client got the server's answer byte for byte (status, content type, body).
pub async fn through(
    authlens: &Authlens,
    direct_base: &str,
    path: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let via = send(post(
        &format!("{}{path}", authlens.proxy),
        body.to_string(),
        extra,
    ))
    .await;
    let direct = send(post(
        &format!("{direct_base}{path}"),
        body.to_string(),
        extra,
    ))
    .await;
    assert_eq!(via.status, direct.status, "status passes through");
    assert_eq!(
        via.headers.get("content-type"),
        direct.headers.get("content-type")
    );
    if via.status.is_success() {
        // A success carries freshly minted tokens (new jti each time): same shape.
        let keys = |b: &Bytes| {
            serde_json::from_slice::<Value>(b)
                .ok()
                .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
        };
        assert_eq!(keys(&via.body), keys(&direct.body));
    } else {
        assert_eq!(via.body, direct.body, "body passes through byte-identical");
    }
    via
}

/// Waits for the failure line naming `cause` for the request with `marker` in its
/// `request_id`, then checks its detail, hint words and category.
pub fn expect_line(
    authlens: &Authlens,
    request_id: &str,
    cause: &str,
    detail: &str,
    hint_words: &[&str],
) -> Value {
    let line = authlens.wait_log(|v| v["request_id"] == request_id && v["cause"].is_string());
    assert_eq!(line["cause"], cause, "{line}");
    assert_eq!(line["category"], "token_endpoint", "{line}");
    assert_eq!(line["detail"], detail, "{line}");
    let hint = line["hint"].as_str().unwrap_or_default();
    for w in hint_words {
        assert!(hint.contains(w), "hint lacks {w:?}: {hint}");
    }
    line
}

/// No secret in anything authlens wrote or exports.
pub async fn assert_no_secrets(authlens: &Authlens, secrets: &[String]) {
    let out = authlens.raw_output();
    let metrics = authlens.metrics().await;
    // The recent-failures pages show hints and token facts: a debug endpoint counts too.
    let mut pages = String::new();
    for page in ["/failures", "/failures.html"] {
        let url = format!("{}{page}", authlens.admin);
        let reply = crate::support::send(crate::support::client::get(&url)).await;
        pages.push_str(&String::from_utf8_lossy(&reply.body));
    }
    for s in secrets {
        assert!(!pages.contains(s.as_str()), "a secret is on /failures");
        assert!(!s.is_empty());
        assert!(
            !out.contains(s.as_str()),
            "a secret is in authlens's output"
        );
        assert!(!metrics.contains(s.as_str()), "a secret is in /metrics");
        // The signature segment alone is a secret too.
        if let Some(sig) = s.rsplit('.').next().filter(|sig| sig.len() > 20) {
            assert!(!out.contains(sig), "a signature is in authlens's output");
        }
    }
}
