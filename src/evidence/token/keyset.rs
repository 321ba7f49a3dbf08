//! A parsed key set: the usable signing keys, and when each `kid` was first seen so a token
//! signed by a freshly rotated key can be told apart.

use super::verifier::Verifier;
use jsonwebtoken::jwk::{JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use tokio::time::Instant;

/// One verification key. Public material only, yet still never logged.
pub struct Key {
    pub kid: Option<String>,
    /// The `alg` the key set pins the key to, if any.
    pub alg: Option<Algorithm>,
    pub verifier: Verifier,
}

impl Key {
    pub fn new(kid: Option<String>, alg: Option<Algorithm>, key: &DecodingKey) -> Self {
        Key {
            verifier: Verifier::new(key, alg),
            kid,
            alg,
        }
    }
}

pub struct KeySet {
    pub keys: Vec<Arc<Key>>,
    /// `None`: the kid was in the first key set loaded, so its age is unknown.
    first_seen: HashMap<String, Option<Instant>>,
}

impl KeySet {
    /// Parses a JWKS document. Keys authlens cannot use (encryption keys, unknown types) are
    /// skipped; a set with no usable key at all is an error.
    pub fn parse(body: &[u8], previous: Option<&KeySet>, now: Instant) -> Result<Self, String> {
        let set: JwkSet =
            serde_json::from_slice(body).map_err(|e| format!("not a JWK set: {e}"))?;
        let keys: Vec<Arc<Key>> = set
            .keys
            .iter()
            .filter(|jwk| jwk.common.public_key_use != Some(PublicKeyUse::Encryption))
            .filter_map(|jwk| {
                let alg = jwk
                    .common
                    .key_algorithm
                    .and_then(|a| Algorithm::from_str(&a.to_string()).ok());
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some(Arc::new(Key::new(jwk.common.key_id.clone(), alg, &key)))
            })
            .collect();
        if keys.is_empty() {
            return Err(format!(
                "no usable signing key among its {} keys",
                set.keys.len()
            ));
        }
        let first_seen = keys
            .iter()
            .filter_map(|k| k.kid.clone())
            .map(|kid| {
                let seen = match previous {
                    None => None,
                    Some(p) => p.first_seen.get(&kid).copied().unwrap_or(Some(now)),
                };
                (kid, seen)
            })
            .collect();
        Ok(KeySet { keys, first_seen })
    }

    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|k| k.kid.clone()).collect()
    }

    /// When `kid` first appeared, if it appeared after the first load.
    pub fn first_seen(&self, kid: &str) -> Option<Instant> {
        self.first_seen.get(kid).copied().flatten()
    }
}
