//! Interop through the real authlens binary: client → authlens → fastify + @fastify/jwt + get-jwks
//! (npm, installed by scripts/test.sh with `npm ci` in tests/interop/fastify), which verifies real
//! ES256 tokens against a loopback JWKS that authlens's own issuer config also points at.
//!
//! The table is the middleware's own behaviour, one row per request shape: what it answered
//! (status, and words found in its challenge or body) and what authlens names. fastify sends no
//! challenge: its error handler answers `{statusCode, code, error, message}`; a malformed header
//! is a 400, and fast-jwt's nbf error and get-jwks's missing key (unknown kid, another alg, a
//! header it half-decodes) escape as 500s.
//!
//! Without `node_modules` the test is skipped with a message, unless CI=true.

mod interop;
#[path = "interop/shapes.rs"]
mod shapes;
mod support;

use shapes::{Row, Shape};

#[rustfmt::skip]
const TABLE: &[Row] = &[
    Row { shape: Shape::NoHeader, status: 401, words: "No Authorization was found in request.headers", named: ("token_missing", "") },
    Row { shape: Shape::BearerNoToken, status: 401, words: "No Authorization was found in request.headers", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::TwoSpaces, status: 400, words: "Format is Authorization: Bearer [token]", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::Basic, status: 401, words: "No Authorization was found in request.headers", named: ("auth_scheme_not_bearer", "basic") },
    Row { shape: Shape::OtherScheme, status: 401, words: "No Authorization was found in request.headers", named: ("auth_scheme_not_bearer", "other_scheme") },
    Row { shape: Shape::NoScheme, status: 401, words: "No Authorization was found in request.headers", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::BearerColon, status: 401, words: "No Authorization was found in request.headers", named: ("auth_scheme_not_bearer", "malformed") },
    Row { shape: Shape::Opaque, status: 401, words: "The token is malformed.", named: ("token_malformed", "opaque") },
    Row { shape: Shape::TwoSegments, status: 401, words: "The token is malformed.", named: ("token_malformed", "segments") },
    Row { shape: Shape::NotBase64, status: 500, words: "No matching JWK found in the set.", named: ("token_malformed", "base64") },
    Row { shape: Shape::NotJson, status: 401, words: "The token header is not a valid base64url serialized JSON.", named: ("token_malformed", "json") },
    Row { shape: Shape::Expired, status: 401, words: "Authorization token expired", named: ("token_expired", "") },
    Row { shape: Shape::NotYetValid, status: 500, words: "The token will be active at", named: ("token_not_yet_valid", "") },
    Row { shape: Shape::WrongAudience, status: 401, words: "The aud claim value is not allowed.", named: ("audience_mismatch", "other_resource") },
    Row { shape: Shape::WrongIssuer, status: 401, words: "The iss claim value is not allowed.", named: ("issuer_mismatch", "other") },
    Row { shape: Shape::BadSignature, status: 401, words: "The token signature is invalid.", named: ("signature_invalid", "") },
    Row { shape: Shape::UnknownKid, status: 500, words: "No matching JWK found in the set.", named: ("kid_unknown", "") },
    Row { shape: Shape::Hmac, status: 500, words: "No matching JWK found in the set.", named: ("alg_not_allowed", "hmac") },
    Row { shape: Shape::AlgNone, status: 500, words: "No matching JWK found in the set.", named: ("alg_not_allowed", "none") },
    Row { shape: Shape::NoExp, status: 200, words: "files", named: ("finding:config_drift", "") },
    Row { shape: Shape::HeaderAndQuery, status: 200, words: "files", named: ("", "") },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fastify_jwt_failures_are_named_through_authlens() {
    if let Some(exact) = shapes::matrix("fastify", "fastify + @fastify/jwt + get-jwks", TABLE).await
    {
        assert_eq!(exact, 19);
    }
}
