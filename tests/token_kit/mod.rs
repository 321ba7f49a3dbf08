//! Keys made in the test (RSA, EC P-256, Ed25519), tokens minted with them, and an
//! authorization server on 127.0.0.1:0 that serves discovery documents and a JWKS it can
//! rotate or fail on demand.
#![allow(dead_code)] // each test binary uses a different part

use crate::support::Upstream;
use crate::support::upstream::{Body, full, reply};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub const AUD: &str = "https://api.example.com/";

/// An issuer of `AUD` tokens as the tests configure it: keys from `jwks`, `iss` required,
/// key-set timings short enough for a test; change what a test is about with `..`.
pub fn issuer_policy(
    name: &str,
    issuer: &str,
    jwks: authlens::policy::JwksSource,
    algorithms: &[Algorithm],
) -> authlens::policy::IssuerPolicy {
    authlens::policy::IssuerPolicy {
        name: name.into(),
        issuer: issuer.into(),
        jwks,
        audiences: vec![AUD.into()],
        algorithms: algorithms.to_vec(),
        required_claims: vec!["iss".into()],
        accepted_types: None,
        client_ids: vec![],
        jwks_ttl: std::time::Duration::from_secs(300),
        jwks_min_refetch: std::time::Duration::from_secs(60),
        jwks_timeout: std::time::Duration::from_secs(2),
        ca_file: None,
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    enc: EncodingKey,
    pub jwk: Value,
}

impl TestKey {
    pub fn rsa(kid: &str, alg: Algorithm) -> Self {
        let kp =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("rsa key");
        let enc = EncodingKey::from_rsa_pem(kp.serialize_pem().as_bytes()).expect("rsa pem");
        TestKey::new(kid, alg, enc)
    }

    pub fn ec(kid: &str) -> Self {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("ec key");
        let enc = EncodingKey::from_ec_pem(kp.serialize_pem().as_bytes()).expect("ec pem");
        TestKey::new(kid, Algorithm::ES256, enc)
    }

    pub fn ed(kid: &str) -> Self {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("ed key");
        let enc = EncodingKey::from_ed_pem(kp.serialize_pem().as_bytes()).expect("ed pem");
        // jsonwebtoken derives public JWKs from v1 PKCS#8 only; rcgen writes v2, so build it.
        use base64::Engine;
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(kp.public_key_raw());
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"});
        TestKey {
            kid: kid.into(),
            alg: Algorithm::EdDSA,
            enc,
            jwk,
        }
    }

    fn new(kid: &str, alg: Algorithm, enc: EncodingKey) -> Self {
        let mut jwk = Jwk::from_encoding_key(&enc, alg).expect("public jwk");
        jwk.common.key_id = Some(kid.into());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        TestKey {
            kid: kid.into(),
            alg,
            enc,
            jwk: serde_json::to_value(jwk).expect("jwk json"),
        }
    }

    /// A JWT access token (`typ: at+jwt`) with this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut h = Header::new(self.alg);
        h.kid = Some(self.kid.clone());
        h.typ = Some("at+jwt".into());
        self.sign_with(h, claims)
    }

    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        encode(&header, claims, &self.enc).expect("sign")
    }
}

/// Claims that pass every check for `issuer` now.
pub fn claims(issuer: &str) -> Value {
    let now = now();
    json!({
        "iss": issuer, "aud": AUD, "exp": now + 600, "iat": now - 5,
        "sub": "user-1", "client_id": "client-1", "jti": "j1", "scope": "files.read"
    })
}

fn owned(status: u16, headers: &[(&str, &str)], body: String) -> http::Response<Body> {
    let mut r = reply(status, headers, "");
    *r.body_mut() = full(body);
    r
}

pub struct IdpState {
    pub issuer: String,
    pub keys: Vec<Value>,
    /// Answer every key set request with this status.
    pub fail: Option<u16>,
    pub rfc8414: bool,
    pub oidc: bool,
    /// An `issuer` for the metadata other than the real one.
    pub metadata_issuer: Option<String>,
    pub max_age: Option<u64>,
}

/// An authorization server whose issuer is `http://127.0.0.1:PORT{path}`, keys at `/keys`.
pub struct Idp {
    pub server: Upstream,
    pub state: Arc<Mutex<IdpState>>,
    pub issuer: String,
}

impl Idp {
    pub async fn start(path: &str, keys: &[&TestKey]) -> Idp {
        let state = Arc::new(Mutex::new(IdpState {
            issuer: String::new(),
            keys: keys.iter().map(|k| k.jwk.clone()).collect(),
            fail: None,
            rfc8414: true,
            oidc: true,
            metadata_issuer: None,
            max_age: None,
        }));
        let s = state.clone();
        let server = Upstream::start(move |req| {
            let s = s.clone();
            async move {
                let st = s.lock().unwrap();
                let path = req.uri().path().to_string();
                let origin = st.issuer.split('/').take(3).collect::<Vec<_>>().join("/");
                let issuer_path = st.issuer.trim_start_matches(&origin).to_string();
                let meta = || {
                    let issuer = st.metadata_issuer.clone().unwrap_or(st.issuer.clone());
                    json!({"issuer": issuer, "jwks_uri": format!("{origin}/keys")}).to_string()
                };
                if path == format!("/.well-known/oauth-authorization-server{issuer_path}")
                    && st.rfc8414
                    || path == format!("{issuer_path}/.well-known/openid-configuration") && st.oidc
                {
                    return owned(200, &[("content-type", "application/json")], meta());
                }
                if path == "/keys" {
                    if let Some(status) = st.fail {
                        return reply(status, &[], "down");
                    }
                    let cc = st.max_age.map(|a| format!("max-age={a}"));
                    let mut headers = vec![("content-type", "application/json")];
                    if let Some(cc) = &cc {
                        headers.push(("cache-control", cc.as_str()));
                    }
                    return owned(200, &headers, json!({"keys": st.keys}).to_string());
                }
                reply(404, &[], "not found")
            }
        })
        .await;
        let issuer = format!("{}{path}", server.url());
        state.lock().unwrap().issuer = issuer.clone();
        Idp {
            server,
            state,
            issuer,
        }
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/keys", self.server.url())
    }

    /// How many requests reached `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.server
            .seen()
            .iter()
            .filter(|s| s.uri.path() == path)
            .count()
    }

    pub fn set(&self, f: impl FnOnce(&mut IdpState)) {
        f(&mut self.state.lock().unwrap());
    }
}
