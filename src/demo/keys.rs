//! Signing keys made at start for the demo's authorization server, and token minting.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[error("cannot make a demo key: {0}")]
pub struct KeyError(String);

pub struct DemoKey {
    pub kid: &'static str,
    encoding: EncodingKey,
}

impl DemoKey {
    pub fn generate(kid: &'static str) -> Result<Self, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| KeyError(e.to_string()))?;
        let der = pair.as_der().map_err(|e| KeyError(e.to_string()))?;
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        );
        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| KeyError(e.to_string()))?;
        Ok(DemoKey { kid, encoding })
    }

    pub fn jwk(&self) -> Result<Jwk, KeyError> {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, Algorithm::RS256)
            .map_err(|e| KeyError(e.to_string()))?;
        jwk.common.key_id = Some(self.kid.into());
        Ok(jwk)
    }

    /// An RS256 token with this key's `kid` and the given `typ`.
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.into());
        header.typ = Some(typ.into());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap_or_default()
    }
}

pub fn jwks(keys: &[&DemoKey]) -> Result<JwkSet, KeyError> {
    Ok(JwkSet {
        keys: keys.iter().map(|k| k.jwk()).collect::<Result<_, _>>()?,
    })
}

/// An HS256 token: the classic "symmetric secret against a public-key issuer" mistake.
pub fn sign_hmac(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(b"demo-shared-secret"),
    )
    .unwrap_or_default()
}
