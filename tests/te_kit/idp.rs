//! The in-test IdP token endpoint of Step 2 (RFC 8693 token exchange for an ID-JAG), written
//! from the ID-JAG draft's "Token Exchange / Processing Rules": client_secret_post, the
//! parameters, the ID token (signature, aud = client, sub, login age), resource connections and
//! scopes; on success a fresh ID-JAG. Two clients misbehave on purpose: `malformed` gets a
//! broken JSON error, `endless` a 2 MiB one.

use super::*;
use crate::support::stream_of;
use crate::support::upstream::{Body, full};
use crate::token_kit::{TestKey, now};
use authlens::evidence::token_request::pairs as parse_form;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation, decode};
use serde_json::{Value, json};

pub const AS_ISSUER: &str = "https://as.files.example/";
pub const API: &str = "https://api.files.example/";
pub const ENDLESS_HEAD: &str = "{\"error\":\"invalid_grant\",\"error_description\":\"";

pub fn json_reply(status: u16, v: Value) -> http::Response<Body> {
    let mut r = http::Response::new(full(v.to_string()));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
    r.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    r
}

pub fn oauth_error(status: u16, code: &str, description: &str) -> http::Response<Body> {
    json_reply(
        status,
        json!({"error": code, "error_description": description}),
    )
}

/// The IdP's token endpoint, after the draft's "Token Exchange / Processing Rules".
pub async fn token_exchange(body: Bytes, key: &TestKey, issuer: &str) -> http::Response<Body> {
    let fields = parse_form(&body);
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return oauth_error(400, "invalid_request", "duplicate parameter");
    }
    match get("client_id") {
        Some("malformed") => return json_reply(400, json!("{\"error\": invalid")),
        Some("endless") => {
            // An error answer that goes on for 2 MiB: never a message worth reading.
            let chunks = (0..512).map(|i| {
                let text = if i == 0 {
                    ENDLESS_HEAD.to_string()
                } else {
                    "a".repeat(4096)
                };
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Frame::data(Bytes::from(text)))
            });
            let mut r = http::Response::new(StreamBody::new(stream_of(chunks.collect())).boxed());
            *r.status_mut() = http::StatusCode::BAD_REQUEST;
            return r;
        }
        _ => {}
    }
    if get("client_id") != Some("app") || get("client_secret") != Some(SECRET_MARKER) {
        return oauth_error(401, "invalid_client", "Client authentication failed");
    }
    if get("grant_type") != Some(TOKEN_EXCHANGE) {
        return oauth_error(400, "unsupported_grant_type", "grant type not supported");
    }
    for p in [
        "requested_token_type",
        "audience",
        "resource",
        "subject_token",
        "subject_token_type",
    ] {
        if get(p).is_none_or(str::is_empty) {
            return oauth_error(400, "invalid_request", &format!("Missing {p}"));
        }
    }
    if get("requested_token_type") != Some(ID_JAG) {
        return oauth_error(400, "invalid_request", "Unsupported requested_token_type");
    }
    if get("subject_token_type") != Some(ID_TOKEN) {
        return oauth_error(400, "invalid_request", "Invalid subject_token_type");
    }
    let jwk: Jwk = serde_json::from_value(key.jwk.clone()).unwrap();
    let mut v = Validation::new(key.alg);
    v.validate_aud = false;
    v.leeway = 0;
    let id_token = match decode::<Value>(
        get("subject_token").unwrap(),
        &DecodingKey::from_jwk(&jwk).unwrap(),
        &v,
    ) {
        Ok(t) => t.claims,
        Err(e) => {
            return oauth_error(
                400,
                "invalid_request",
                &format!("Invalid subject token: {e}"),
            );
        }
    };
    if id_token["aud"] != "app" {
        return oauth_error(400, "invalid_request", "Subject token audience mismatch");
    }
    if id_token["sub"].is_null() {
        return oauth_error(400, "invalid_request", "Subject token has no sub");
    }
    if id_token["auth_time"]
        .as_i64()
        .is_some_and(|t| t < now() - 3600)
    {
        return oauth_error(
            400,
            "insufficient_user_authentication",
            "Login too old; max_age=3600",
        );
    }
    if get("scope") == Some("boom") {
        return oauth_error(500, "server_error", "database unavailable");
    }
    if (get("audience"), get("resource")) != (Some(AS_ISSUER), Some(API)) {
        return oauth_error(400, "invalid_target", "No resource connection");
    }
    let scope = get("scope").unwrap_or("files.read");
    if scope
        .split(' ')
        .any(|s| !["files.read", "files.write"].contains(&s))
    {
        return oauth_error(400, "invalid_scope", "Scope not permitted");
    }
    let mut claims = id_jag_claims(issuer, AS_ISSUER, "app-at-files");
    claims["scope"] = scope.into();
    json_reply(
        200,
        json!({
            "access_token": id_jag(key, &claims), "issued_token_type": ID_JAG,
            "token_type": "N_A", "expires_in": 300, "scope": scope
        }),
    )
}
