//! What authlens learned about one token: decoded facts (never the token itself) and the
//! verdict of its own checks.

use crate::cause::{Cause, Detail};
use std::fmt;

/// The first 16 hex digits of the token's SHA-256 (CONTRACT §1.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 8]);

/// SHA-256 of the token: the one hash behind both its fingerprint and its cache key.
pub fn digest(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}

impl Fingerprint {
    pub fn of(token: &str) -> Self {
        Fingerprint::from_digest(&digest(token))
    }

    /// From a SHA-256 digest of the token already computed (the cache key).
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        Fingerprint(out)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(16);
        crate::base::hex::push_hex(&mut s, &self.0);
        f.write_str(&s)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// The JOSE header fields authlens reports.
#[derive(Clone, Debug, Default)]
pub struct HeaderFacts {
    pub alg: Option<String>,
    pub kid: Option<String>,
    pub typ: Option<String>,
}

/// How the token carries scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeClaim {
    /// A space-separated string, as RFC 9068 §2.2.3 wants.
    Text(String),
    /// A JSON array of strings.
    List(Vec<String>),
}

/// The claims authlens reports and checks. Personal claims are kept apart so logging them is
/// an explicit choice.
#[derive(Clone, Debug, Default)]
pub struct ClaimFacts {
    pub iss: Option<String>,
    pub aud: Vec<String>,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
    pub client_id: Option<String>,
    pub jti_present: bool,
    /// The `jti` value when it is a string (ID-JAG replay memory).
    pub jti: Option<String>,
    /// Scope-bearing claims by name (`scope`, `scp`, `scopes`, `permissions`).
    pub scopes: Vec<(String, ScopeClaim)>,
    /// ID-token markers: `nonce` or `at_hash` (`azp` and `auth_time` also occur in access
    /// tokens, so they prove nothing).
    pub id_token_markers: bool,
    /// The ID-JAG `resource` claim is present.
    pub resource_present: bool,
    pub sub: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

const MAX_ACTUAL: usize = 200;

/// One failed check, with what was expected and what the token had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub cause: Cause,
    pub detail: Detail,
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// Seconds outside the validity window, for time checks.
    pub skew_secs: Option<u64>,
}

impl Check {
    pub fn new(cause: Cause, detail: Detail) -> Self {
        Check {
            cause,
            detail,
            expected: None,
            actual: None,
            skew_secs: None,
        }
    }

    pub fn expected(mut self, v: impl Into<String>) -> Self {
        self.expected = Some(v.into());
        self
    }

    /// What the token had. Token values come from the client, so they are cut to a length
    /// a log line can carry.
    pub fn actual(mut self, v: impl Into<String>) -> Self {
        self.actual = Some(crate::base::text::shortened(&v.into(), MAX_ACTUAL));
        self
    }

    pub fn skew(mut self, secs: u64) -> Self {
        self.skew_secs = Some(secs);
        self
    }
}

/// The outcome of authlens's own checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed, signature included.
    Valid,
    /// The first failing check, in the taxonomy's order.
    Invalid(Check),
    /// The checks that need keys could not run (no key set could be had); the claim checks
    /// that ran passed.
    Unverified,
}

#[derive(Clone, Debug)]
pub struct TokenReport {
    pub fingerprint: Fingerprint,
    pub header: HeaderFacts,
    pub claims: ClaimFacts,
    /// Index of the configured issuer the token names, if any.
    pub issuer: Option<usize>,
    pub verdict: Verdict,
}
