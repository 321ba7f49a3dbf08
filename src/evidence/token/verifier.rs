//! One key's signature verifiers, parsed once when its key set is loaded. jsonwebtoken keeps a
//! JWK's RSA key as `n` and `e` and has aws-lc build a key object from them on every call (about
//! 1.9 µs of a 13.8 µs RS256 check); here each algorithm the key may serve gets its parsed
//! aws-lc key (or HMAC key) up front, so a verification only verifies.
//!
//! The outcomes are jsonwebtoken's with the same aws-lc algorithms: a key that aws-lc cannot
//! parse for an algorithm (a wrong curve, a malformed modulus) verifies nothing with it, exactly
//! as the per-call parse failed before; RSA key sizes are still checked when verifying.

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaPublicKeyComponents};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind};

/// The algorithms of each family, as jsonwebtoken maps them onto aws-lc.
const RSA: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];
const EC: [Algorithm; 2] = [Algorithm::ES256, Algorithm::ES384];
const ED: [Algorithm; 1] = [Algorithm::EdDSA];
const HMAC: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

enum Parsed {
    Public(ParsedPublicKey),
    /// Boxed: aws-lc's HMAC key holds its precomputed state inline (1.2 KB).
    Secret(Box<hmac::Key>),
}

pub struct Verifier {
    family: AlgorithmFamily,
    by_alg: Vec<(Algorithm, Parsed)>,
}

impl Verifier {
    /// Parses `key` for every algorithm of its family, or only for `pinned` when the key set
    /// pins the key to one (a pinned key verifies nothing else).
    pub fn new(key: &DecodingKey, pinned: Option<Algorithm>) -> Self {
        let family = key.family();
        let algs: &[Algorithm] = match family {
            AlgorithmFamily::Rsa => &RSA,
            AlgorithmFamily::Ec => &EC,
            AlgorithmFamily::Ed => &ED,
            AlgorithmFamily::Hmac => &HMAC,
        };
        let by_alg = algs
            .iter()
            .filter(|a| pinned.is_none_or(|p| p == **a))
            .filter_map(|&a| Some((a, parse(key.kind(), a)?)))
            .collect();
        Verifier { family, by_alg }
    }

    pub fn family(&self) -> AlgorithmFamily {
        self.family
    }

    /// Whether `signature` (already base64url-decoded) signs `message` under `alg`.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.by_alg
            .iter()
            .find(|(a, _)| *a == alg)
            .is_some_and(|(_, parsed)| match parsed {
                Parsed::Public(key) => key.verify_sig(message, signature).is_ok(),
                Parsed::Secret(key) => hmac::verify(key, message, signature).is_ok(),
            })
    }
}

fn parse(kind: &DecodingKeyKind, alg: Algorithm) -> Option<Parsed> {
    let public = |params: &'static dyn sig::VerificationAlgorithm| match kind {
        DecodingKeyKind::SecretOrDer(bytes) => ParsedPublicKey::new(params, bytes).ok(),
        DecodingKeyKind::RsaModulusExponent { .. } => None,
    };
    let rsa = |params: &'static sig::RsaParameters| match kind {
        DecodingKeyKind::RsaModulusExponent { n, e } => RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(params)
            .ok(),
        DecodingKeyKind::SecretOrDer(_) => public(params),
    };
    let secret = |h: hmac::Algorithm| match kind {
        DecodingKeyKind::SecretOrDer(bytes) => {
            Some(Parsed::Secret(Box::new(hmac::Key::new(h, bytes))))
        }
        DecodingKeyKind::RsaModulusExponent { .. } => None,
    };
    let public_key = match alg {
        Algorithm::RS256 => rsa(&sig::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => rsa(&sig::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => rsa(&sig::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => rsa(&sig::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => rsa(&sig::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => rsa(&sig::RSA_PSS_2048_8192_SHA512),
        Algorithm::ES256 => public(&sig::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => public(&sig::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => public(&sig::ED25519),
        Algorithm::HS256 => return secret(hmac::HMAC_SHA256),
        Algorithm::HS384 => return secret(hmac::HMAC_SHA384),
        Algorithm::HS512 => return secret(hmac::HMAC_SHA512),
        // An algorithm newer than this code: nothing verifies it, as jsonwebtoken refused it.
        _ => None,
    };
    public_key.map(Parsed::Public)
}

#[cfg(test)]
mod tests;
