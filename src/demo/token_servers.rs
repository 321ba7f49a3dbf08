//! The demo's token endpoints, hosted by the demo upstream beside its API: an IdP token
//! exchange (`/idp/token`, Step 2) and the resource authorization server's JWT-bearer grant
//! (`/oauth2/token`, Step 3), each answering in RFC 6749 §5.2 JSON the way such servers do.
//! They apply the processing rules far enough to reject each of the tour's mistakes.

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Mutex;

/// The resource authorization server's issuer: the `aud` of the demo's ID-JAGs.
pub const RESOURCE_AS: &str = "https://auth.demo.local/";
pub const IDP_CLIENT: &str = "demo-app";
pub const RESOURCE_CLIENT: &str = "demo-app-at-files";
pub const CLIENT_SECRET: &str = "demo-secret";
pub const ID_JAG_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";

use super::servers::Reply;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type Answer = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// The demo upstream: `api` with the two token endpoints beside it.
pub fn with_token_endpoints(
    api: impl Fn(http::Request<hyper::body::Incoming>) -> Answer + Send + Sync + 'static,
    idp: Arc<DemoIdp>,
    issuer: String,
    jwks: Arc<JwkSet>,
) -> impl Fn(http::Request<hyper::body::Incoming>) -> Answer {
    move |req| match req.uri().path() {
        "/idp/token" | "/oauth2/token" => {
            let (idp, issuer, jwks) = (idp.clone(), issuer.clone(), jwks.clone());
            Box::pin(async move { idp.answer(&issuer, &jwks, req).await })
        }
        _ => api(req),
    }
}

fn answer(status: StatusCode, body: Value) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(code: &str, description: &str) -> Reply {
    let status = if code == "invalid_client" {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    answer(
        status,
        json!({"error": code, "error_description": description}),
    )
}

use crate::evidence::token_request::pairs as fields;

/// The demo IdP's signing key and the resource server's replay memory.
pub struct DemoIdp {
    pub key: super::keys::DemoKey,
    pub seen: Mutex<HashSet<String>>,
}

impl DemoIdp {
    pub async fn answer(
        &self,
        issuer: &str,
        jwks: &JwkSet,
        req: http::Request<hyper::body::Incoming>,
    ) -> Reply {
        use http_body_util::BodyExt;
        let path = req.uri().path().to_string();
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        if path == "/idp/token" {
            let mint = |id_token: &Value| {
                let now = id_token["iat"].as_i64().unwrap_or(0);
                self.key.sign(
                    "oauth-id-jag+jwt",
                    &json!({"iss": issuer, "aud": RESOURCE_AS, "sub": id_token["sub"],
                            "client_id": RESOURCE_CLIENT, "jti": format!("jag-{now}"),
                            "iat": now, "exp": now + 300, "scope": "files.read"}),
                )
            };
            token_exchange(&body, issuer, jwks, mint)
        } else {
            jwt_bearer(&body, issuer, jwks, &self.seen)
        }
    }
}

/// Verifies `token` with the demo keys: signature, `iss`, optional `aud`, time (no leeway).
fn verify(token: &str, jwks: &JwkSet, issuer: &str, aud: Option<&str>) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let jwk = header
        .kid
        .as_deref()
        .and_then(|k| jwks.find(k))
        .ok_or("unknown kid")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::RS256);
    v.leeway = 0;
    v.set_issuer(&[issuer]);
    match aud {
        Some(a) => v.set_audience(&[a]),
        None => v.validate_aud = false,
    }
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

/// Step 2: the IdP's token exchange.
fn token_exchange(
    body: &[u8],
    issuer: &str,
    jwks: &JwkSet,
    jag: impl Fn(&Value) -> String,
) -> Reply {
    let f = fields(body);
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if (get("client_id"), get("client_secret")) != (Some(IDP_CLIENT), Some(CLIENT_SECRET)) {
        return error("invalid_client", "Client authentication failed");
    }
    for p in [
        "audience",
        "resource",
        "subject_token",
        "subject_token_type",
        "requested_token_type",
    ] {
        if get(p).is_none() {
            return error("invalid_request", &format!("Missing {p}"));
        }
    }
    if get("requested_token_type") != Some(ID_JAG_TYPE) {
        return error("unsupported_grant_type", "Unsupported requested_token_type");
    }
    let claims = match verify(
        get("subject_token").unwrap_or(""),
        jwks,
        issuer,
        Some(IDP_CLIENT),
    ) {
        Ok(c) => c,
        Err(_) => return error("invalid_request", "Invalid subject token"),
    };
    if (get("audience"), get("resource")) != (Some(RESOURCE_AS), Some(super::servers::AUDIENCE)) {
        return error("invalid_target", "No resource connection");
    }
    answer(
        StatusCode::OK,
        json!({"access_token": jag(&claims), "issued_token_type": ID_JAG_TYPE, "token_type": "N_A", "expires_in": 300}),
    )
}

/// Step 3: the JWT-bearer grant at the resource authorization server.
fn jwt_bearer(body: &[u8], issuer: &str, jwks: &JwkSet, seen: &Mutex<HashSet<String>>) -> Reply {
    let f = fields(body);
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if (get("client_id"), get("client_secret")) != (Some(RESOURCE_CLIENT), Some(CLIENT_SECRET)) {
        return error("invalid_client", "Client authentication failed");
    }
    let Some(assertion) = get("assertion") else {
        return error("invalid_request", "Missing assertion");
    };
    let typ = jsonwebtoken::decode_header(assertion)
        .ok()
        .and_then(|h| h.typ);
    if typ.as_deref() != Some("oauth-id-jag+jwt") {
        return error("invalid_grant", "Invalid assertion");
    }
    let claims = match verify(assertion, jwks, issuer, Some(RESOURCE_AS)) {
        Ok(c) => c,
        Err(_) => return error("invalid_grant", "Invalid assertion"),
    };
    let granted: Vec<&str> = claims["scope"].as_str().unwrap_or("").split(' ').collect();
    if get("scope").is_some_and(|s| s.split(' ').any(|s| !granted.contains(&s))) {
        return error("invalid_scope", "Scope exceeds the assertion");
    }
    let jti = claims["jti"].as_str().unwrap_or("").to_string();
    if !seen.lock().map(|mut s| s.insert(jti)).unwrap_or(false) {
        return error("invalid_grant", "Invalid assertion");
    }
    answer(
        StatusCode::OK,
        json!({"access_token": "demo-access-token", "token_type": "Bearer", "expires_in": 3600}),
    )
}
