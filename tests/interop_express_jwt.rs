//! Interop through the real authlens binary: client → authlens → express-jwt + jwks-rsa (npm,
//! installed by scripts/test.sh with `npm ci` in tests/interop/express-jwt), which verifies real
//! ES256 tokens against a loopback JWKS that authlens's own issuer config also points at.
//!
//! The table is the middleware's own behaviour, one row per request shape: what it answered
//! (status, and words found in its challenge or body) and what authlens names. express-jwt sends
//! no challenge: its README error handler answers `{code, message}` as JSON, and accepts tokens
//! without `exp` and ignores `access_token` in the query.
//!
//! Without `node_modules` the test is skipped with a message, unless CI=true.

mod interop;
#[path = "interop/shapes.rs"]
mod shapes;
mod support;

use shapes::{Row, Shape};

#[rustfmt::skip]
const TABLE: &[Row] = &[
    Row { shape: Shape::NoHeader, status: 401, words: "No authorization token was found", named: ("token_missing", "") },
    Row { shape: Shape::BearerNoToken, status: 401, words: "credentials_bad_format", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::TwoSpaces, status: 401, words: "credentials_bad_format", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::Basic, status: 401, words: "credentials_bad_scheme", named: ("auth_scheme_not_bearer", "basic") },
    Row { shape: Shape::OtherScheme, status: 401, words: "credentials_bad_scheme", named: ("auth_scheme_not_bearer", "other_scheme") },
    Row { shape: Shape::NoScheme, status: 401, words: "credentials_bad_format", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::BearerColon, status: 401, words: "credentials_bad_format", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::Opaque, status: 401, words: "jwt malformed", named: ("token_malformed", "opaque") },
    Row { shape: Shape::TwoSegments, status: 401, words: "jwt malformed", named: ("token_malformed", "segments") },
    Row { shape: Shape::NotBase64, status: 401, words: "invalid token", named: ("token_malformed", "base64") },
    Row { shape: Shape::NotJson, status: 401, words: "invalid token", named: ("token_malformed", "json") },
    Row { shape: Shape::Expired, status: 401, words: "jwt expired", named: ("token_expired", "") },
    Row { shape: Shape::NotYetValid, status: 401, words: "jwt not active", named: ("token_not_yet_valid", "") },
    Row { shape: Shape::WrongAudience, status: 401, words: "jwt audience invalid. expected: https://api.example/", named: ("audience_mismatch", "other_resource") },
    Row { shape: Shape::WrongIssuer, status: 401, words: "jwt issuer invalid. expected: https://auth.resource.example/", named: ("issuer_mismatch", "other") },
    Row { shape: Shape::BadSignature, status: 401, words: "invalid signature", named: ("signature_invalid", "") },
    Row { shape: Shape::UnknownKid, status: 401, words: "secret or public key must be provided", named: ("kid_unknown", "") },
    Row { shape: Shape::Hmac, status: 401, words: "secret or public key must be provided", named: ("alg_not_allowed", "hmac") },
    Row { shape: Shape::AlgNone, status: 401, words: "secret or public key must be provided", named: ("alg_not_allowed", "none") },
    Row { shape: Shape::NoExp, status: 200, words: "files", named: ("finding:config_drift", "") },
    Row { shape: Shape::HeaderAndQuery, status: 200, words: "files", named: ("", "") },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_jwt_failures_are_named_through_authlens() {
    if let Some(exact) = shapes::matrix("express-jwt", "express-jwt + jwks-rsa", TABLE).await {
        assert_eq!(exact, 19);
    }
}
