//! Shared by the token unit tests: unsigned tokens from JSON, and policies to check them with.

use crate::policy::{IssuerPolicy, JwksSource, Policy};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use std::time::Duration;

pub const ISS: &str = "https://auth.resource.example";
pub const AUD: &str = "https://api.example.com/";
pub const IDP: &str = "https://idp.example";
pub const CLIENT: &str = "client-123";
pub const NOW: i64 = 1_800_000_000;

/// `header.claims.sig` with a fake signature: enough for decoding and claim checks.
pub fn token(header: Value, claims: Value) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", enc(&header), enc(&claims))
}

pub fn header() -> Value {
    json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"})
}

/// Claims that pass every check against `policy()` at `NOW`.
pub fn claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "exp": NOW + 600, "iat": NOW - 10, "nbf": NOW - 10,
        "sub": "user-1", "client_id": CLIENT, "jti": "j1", "scope": "files.read"
    })
}

pub fn with(mut v: Value, key: &str, val: Value) -> Value {
    v[key] = val;
    v
}

pub fn without(mut v: Value, key: &str) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove(key);
    }
    v
}

pub fn issuer(name: &str, iss: &str) -> IssuerPolicy {
    IssuerPolicy {
        name: name.into(),
        issuer: iss.into(),
        jwks: JwksSource::Discover,
        audiences: vec![AUD.into()],
        algorithms: vec![Algorithm::RS256],
        required_claims: vec!["iss".into(), "exp".into(), "aud".into()],
        accepted_types: None,
        client_ids: vec![CLIENT.into()],
        jwks_ttl: Duration::from_secs(300),
        jwks_min_refetch: Duration::from_secs(30),
        jwks_timeout: Duration::from_secs(5),
        ca_file: None,
    }
}

pub fn policy() -> Policy {
    Policy {
        issuers: vec![issuer("resource-as", ISS)],
        identity_providers: vec![IDP.into()],
        ..Policy::empty()
    }
}
