//! The middleware catalogue as data: what the nine middlewares of taxonomy §2 literally say,
//! and the cause each string names. To teach authlens a new middleware, add rows here.
//!
//! Matching is on substrings, case-insensitive, with `'` and `"` treated alike (Auth0 rewrites
//! `"` to `'`, ASP.NET quotes values with `'`). The first matching row wins, so a row that is a
//! longer form of another (Spring's "Bearer token is malformed" inside golang-jwt's "token is
//! malformed") comes first. A row with no verdict is a known generic text: it names no cause,
//! and classification relies on authlens's own checks.

use crate::cause::{Cause, Detail};

/// The cause (and detail) a text names; `None` for a known text that names none.
pub type Named = Option<(Cause, Detail)>;

#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub middleware: &'static str,
    /// Lower-case, `"` for any quote.
    pub text: &'static str,
    /// The whole text must equal `text` (for short generic words like "Unauthorized").
    pub exact: bool,
    pub verdict: Named,
}

const fn has(middleware: &'static str, text: &'static str, cause: Cause, detail: Detail) -> Row {
    Row {
        middleware,
        text,
        exact: false,
        verdict: Some((cause, detail)),
    }
}

const fn is(middleware: &'static str, text: &'static str, verdict: Named) -> Row {
    Row {
        middleware,
        text,
        exact: true,
        verdict,
    }
}

const fn generic(middleware: &'static str, text: &'static str) -> Row {
    Row {
        middleware,
        text,
        exact: false,
        verdict: None,
    }
}

use Cause::*;
use Detail::None as N;

const AUTH0: &str = "auth0 express-oauth2-jwt-bearer";
const SPRING: &str = "spring oauth2-resource-server";
const ASPNET: &str = "asp.net core JwtBearer";
const ENVOY: &str = "envoy jwt_authn";
const GOJWT: &str = "golang-jwt";
const GOJWTMW: &str = "go-jwt-middleware";
const GOOIDC: &str = "go-oidc";
const PYJWT: &str = "pyjwt";
const AUTHLIB: &str = "authlib";
const KONG: &str = "kong jwt";
const EXPRESSJWT: &str = "express-jwt (jsonwebtoken, jwks-rsa)";
const FASTIFY: &str = "@fastify/jwt (fast-jwt, get-jwks)";

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    // Auth0 express-oauth2-jwt-bearer; texts from jose (panva) that it passes through.
    has(AUTH0, "more than one method used for authentication", TokenMultipleMethods, N),
    has(AUTH0, "\"exp\" claim timestamp check failed", TokenExpired, N),
    has(AUTH0, "\"nbf\" claim timestamp check failed", TokenNotYetValid, N),
    has(AUTH0, "no applicable key found in the json web key set", KidUnknown, N),
    has(AUTH0, "invalid compact jws", TokenMalformed, N),
    is(AUTH0, "insufficient scope", Some((ScopeMissing, N))),
    // Also Kong's `{"message":"Unauthorized"}` for no token, but it is every framework's status
    // text too; whether a token was sent, authlens sees in the request itself.
    is(AUTH0, "unauthorized", None),
    is(AUTH0, "invalid token", None),
    is(AUTH0, "invalid request", None),
    // Spring Security (Nimbus texts inside "An error occurred while attempting to decode the Jwt: …").
    has(SPRING, "bearer token is malformed", AuthSchemeNotBearer, Detail::Malformed),
    has(SPRING, "jwt expired at", TokenExpired, N),
    has(SPRING, "jwt used before", TokenNotYetValid, N),
    has(SPRING, "the iss claim is not valid", IssuerMismatch, N),
    has(SPRING, "the aud claim is not valid", AudienceMismatch, N),
    has(SPRING, "aud claim is not equal to the configured audience", AudienceMismatch, N),
    // One Nimbus text for both; authlens's own checks split kid from alg.
    has(SPRING, "another algorithm expected, or no matching key(s) found", KidUnknown, N),
    has(SPRING, "signed jwt rejected: invalid signature", SignatureInvalid, N),
    has(SPRING, "malformed token", TokenMalformed, N),
    has(SPRING, "malformed payload", TokenMalformed, N),
    has(SPRING, "couldn\"t retrieve remote jwk set", JwksFetchFailed, N),
    has(SPRING, "found multiple bearer tokens in the request", TokenMultipleMethods, N),
    has(SPRING, "the requested token parameter is an empty string", TokenMissing, N),
    has(SPRING, "the request requires higher privileges than provided by the access token", ScopeMissing, N),
    generic(SPRING, "decode the jwt: invalid token"),
    // ASP.NET Core JwtBearer, current and 3.x wording.
    has(ASPNET, "the audience \"(null)\" is invalid", AudienceMismatch, Detail::Missing),
    has(ASPNET, "the audience \"", AudienceMismatch, N),
    has(ASPNET, "the audience is invalid", AudienceMismatch, N),
    has(ASPNET, "the issuer \"", IssuerMismatch, N),
    has(ASPNET, "the issuer is invalid", IssuerMismatch, N),
    has(ASPNET, "the token has no expiration", RequiredClaimMissing, Detail::ClaimExp),
    // Either bound may be the one broken; authlens's own time checks decide.
    generic(ASPNET, "the token lifetime is invalid"),
    has(ASPNET, "the token is not valid before", TokenNotYetValid, N),
    has(ASPNET, "the token is not valid yet", TokenNotYetValid, N),
    has(ASPNET, "the token expired at", TokenExpired, N),
    has(ASPNET, "the token is expired", TokenExpired, N),
    has(ASPNET, "the signature key was not found", KidUnknown, N),
    has(ASPNET, "the signature is invalid", SignatureInvalid, N),
    // Envoy jwt_authn: jwt_verify_lib texts, then the older in-tree ones.
    has(ENVOY, "jwt is missing", TokenMissing, N),
    has(ENVOY, "jwt missing", TokenMissing, N),
    has(ENVOY, "jwt is expired", TokenExpired, N),
    has(ENVOY, "jwt expired", TokenExpired, N),
    has(ENVOY, "jwt not yet valid", TokenNotYetValid, N),
    has(ENVOY, "jwt is not in the form of header.payload.signature", TokenMalformed, Detail::Segments),
    has(ENVOY, "jwt header is an invalid base64url input or an invalid json", TokenMalformed, N),
    has(ENVOY, "jwt payload is an invalid base64 or an invalid json", TokenMalformed, N),
    has(ENVOY, "jwt signature is an invalid base64", TokenMalformed, Detail::Base64),
    has(ENVOY, "jwt header [alg] field value is invalid", AlgNotAllowed, N),
    has(ENVOY, "jwt header [alg] field is not a string", AlgNotAllowed, N),
    has(ENVOY, "jwt issuer is not configured", IssuerMismatch, N),
    has(ENVOY, "audiences in jwt are not allowed", AudienceMismatch, N),
    has(ENVOY, "audience in jwt is not allowed", AudienceMismatch, N),
    has(ENVOY, "jwt verification fails", SignatureInvalid, N),
    has(ENVOY, "jwks doesn\"t have key to match kid or alg from jwt", KidUnknown, N),
    has(ENVOY, "jwks remote fetch is failed", JwksFetchFailed, N),
    has(ENVOY, "jwks fetch fail", JwksFetchFailed, N),
    has(ENVOY, "jwks is an invalid json", JwksFetchFailed, N),
    has(ENVOY, "jwks doesn\"t have any valid public key", JwksFetchFailed, N),
    // auth0 go-jwt-middleware v3 (before golang-jwt: "…access token is malformed" etc.).
    has(GOJWTMW, "the access token expired", TokenExpired, N),
    has(GOJWTMW, "the access token is not yet valid", TokenNotYetValid, N),
    has(GOJWTMW, "the access token signature is invalid", SignatureInvalid, N),
    has(GOJWTMW, "the access token is malformed", TokenMalformed, N),
    has(GOJWTMW, "the access token was issued by an untrusted issuer", IssuerMismatch, N),
    has(GOJWTMW, "the access token audience does not match", AudienceMismatch, N),
    has(GOJWTMW, "the access token uses an unsupported algorithm", AlgNotAllowed, N),
    // Key set unreachable or kid unknown; authlens's own JWKS fetch tells which.
    has(GOJWTMW, "unable to verify the access token", JwksFetchFailed, N),
    generic(GOJWTMW, "the access token is invalid"),
    // golang-jwt errors.go.
    has(GOJWT, "token is malformed", TokenMalformed, N),
    has(GOJWT, "token is unverifiable", KidUnknown, N),
    has(GOJWT, "token signature is invalid", SignatureInvalid, N),
    has(GOJWT, "a required claim is missing", RequiredClaimMissing, N),
    has(GOJWT, "token has invalid audience", AudienceMismatch, N),
    has(GOJWT, "token is expired", TokenExpired, N),
    has(GOJWT, "token is not valid yet", TokenNotYetValid, N),
    has(GOJWT, "token used before issued", TokenNotYetValid, N),
    has(GOJWT, "token has invalid issuer", IssuerMismatch, N),
    generic(GOJWT, "token has invalid subject"),
    generic(GOJWT, "token has invalid id"),
    generic(GOJWT, "token has invalid claims"),
    generic(GOJWT, "key is of invalid type"),
    generic(GOJWT, "key is invalid"),
    // go-oidc verify.go.
    has(GOOIDC, "oidc: malformed jwt", TokenMalformed, N),
    has(GOOIDC, "oidc: id token issued by a different provider", IssuerMismatch, N),
    has(GOOIDC, "oidc: expected audience", AudienceMismatch, N),
    has(GOOIDC, "before the nbf (not before) time", TokenNotYetValid, N),
    has(GOOIDC, "oidc: id token signed with unsupported algorithm", AlgNotAllowed, N),
    has(GOOIDC, "failed to verify signature", SignatureInvalid, N),
    // PyJWT.
    has(PYJWT, "not enough segments", TokenMalformed, Detail::Segments),
    has(PYJWT, "invalid header padding", TokenMalformed, Detail::Base64),
    has(PYJWT, "invalid payload padding", TokenMalformed, Detail::Base64),
    has(PYJWT, "invalid crypto padding", TokenMalformed, Detail::Base64),
    has(PYJWT, "invalid header string", TokenMalformed, Detail::Json),
    has(PYJWT, "the specified alg value is not allowed", AlgNotAllowed, N),
    has(PYJWT, "algorithm not specified", AlgNotAllowed, N),
    has(PYJWT, "algorithm not supported", AlgNotAllowed, N),
    has(PYJWT, "signature verification failed", SignatureInvalid, N),
    has(PYJWT, "signature has expired", TokenExpired, N),
    has(PYJWT, "the token is not yet valid", TokenNotYetValid, N),
    has(PYJWT, "invalid audience", AudienceMismatch, N),
    has(PYJWT, "invalid claim format in token", AudienceMismatch, N),
    has(PYJWT, "invalid issuer", IssuerMismatch, N),
    has(PYJWT, "unable to find a signing key that matches", KidUnknown, N),
    // Authlib (rfc6750 / rfc9068 validators).
    has(AUTHLIB, "missing \"authorization\" in headers", TokenMissing, N),
    generic(AUTHLIB, "the access token provided is expired, revoked, malformed, or invalid for other reasons"),
    // Kong jwt plugin; `claim: text` is how the body reader renders `{"exp":"token expired"}`.
    has(KONG, "multiple tokens provided", TokenMultipleMethods, N),
    has(KONG, "bad token; ", TokenMalformed, N),
    has(KONG, "unrecognizable token", TokenMalformed, N),
    has(KONG, "no mandatory \"iss\" in claims", RequiredClaimMissing, Detail::ClaimIss),
    has(KONG, "invalid \"iss\" in claims", RequiredClaimMissing, Detail::ClaimIss),
    has(KONG, "no credentials found for given \"iss\"", IssuerMismatch, N),
    has(KONG, "invalid algorithm", AlgNotAllowed, N),
    // The consumer's configured key is unusable: the API's key configuration is wrong.
    has(KONG, "invalid key/secret", UpstreamJwksMisconfigured, N),
    has(KONG, "invalid signature", SignatureInvalid, N),
    has(KONG, "exp: token expired", TokenExpired, N),
    has(KONG, "nbf: token not valid yet", TokenNotYetValid, N),
    has(KONG, "exp: must be a number", RequiredClaimMissing, Detail::ClaimExp),
    // A lifetime policy of the API (maximum_expiration), not a broken token.
    generic(KONG, "exp: exceeds maximum allowed expiration"),
    generic(KONG, "an unexpected error occurred"),
    // express-jwt: its own texts, then jsonwebtoken's ("jwt expired" is Envoy's row, "invalid
    // signature" and "invalid algorithm" Kong's); "secret or public key must be provided" is
    // what jsonwebtoken says when jwks-rsa found no key for the kid.
    has(EXPRESSJWT, "no authorization token was found", TokenMissing, N),
    // Said for a bad scheme and a bad format alike; the request itself tells which.
    generic(EXPRESSJWT, "format is authorization: bearer [token]"),
    has(EXPRESSJWT, "jwt malformed", TokenMalformed, N),
    has(EXPRESSJWT, "jwt not active", TokenNotYetValid, N),
    has(EXPRESSJWT, "jwt audience invalid", AudienceMismatch, N),
    has(EXPRESSJWT, "jwt issuer invalid", IssuerMismatch, N),
    has(EXPRESSJWT, "jwt signature is required", AlgNotAllowed, Detail::AlgNone),
    has(EXPRESSJWT, "secret or public key must be provided", KidUnknown, N),
    // @fastify/jwt and the fast-jwt texts it passes on after "Authorization token is invalid: ".
    has(FASTIFY, "no authorization was found in request.headers", TokenMissing, N),
    has(FASTIFY, "authorization token expired", TokenExpired, N),
    has(FASTIFY, "the token is malformed", TokenMalformed, N),
    has(FASTIFY, "the token header is not a valid base64url serialized json", TokenMalformed, N),
    has(FASTIFY, "the aud claim value is not allowed", AudienceMismatch, N),
    has(FASTIFY, "the iss claim value is not allowed", IssuerMismatch, N),
    has(FASTIFY, "the token signature is invalid", SignatureInvalid, N),
    has(FASTIFY, "the token algorithm is invalid", AlgNotAllowed, N),
    // fast-jwt's nbf error and get-jwks's unknown kid escape as 500s.
    has(FASTIFY, "the token will be active at", TokenNotYetValid, N),
    has(FASTIFY, "no matching jwk found in the set", KidUnknown, N),
    generic(FASTIFY, "untrusted authorization token"),
];

/// Texts that name a claim: `prefix CLAIM suffix`, and whether they say it is wrong or absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimSays {
    Wrong,
    Absent,
}

#[rustfmt::skip]
pub const CLAIM_TEMPLATES: &[(&str, &str, &str, ClaimSays)] = &[
    // Auth0 / jose: `unexpected "aud" value` (v1.10: `Unexpected 'aud' value`).
    (AUTH0, "unexpected \"", "\" value", ClaimSays::Wrong),
    (AUTH0, "missing \"", "\" claim", ClaimSays::Absent),
    (PYJWT, "token is missing the \"", "\" claim", ClaimSays::Absent),
    (AUTHLIB, "invalid claim \"", "\"", ClaimSays::Wrong),
];

/// Per claim: the cause when a middleware says it is wrong, and when it says it is absent.
/// Claims not listed: no cause when wrong, `required_claim_missing`/`other` when absent.
#[rustfmt::skip]
pub const CLAIMS: &[(&str, Named, (Cause, Detail))] = &[
    ("iss", Some((IssuerMismatch, N)), (RequiredClaimMissing, Detail::ClaimIss)),
    ("aud", Some((AudienceMismatch, N)), (RequiredClaimMissing, Detail::ClaimAud)),
    ("typ", Some((TypRejected, N)), (TypRejected, N)),
    ("alg", Some((AlgNotAllowed, N)), (AlgNotAllowed, N)),
    ("exp", Some((TokenExpired, N)), (RequiredClaimMissing, Detail::ClaimExp)),
    ("nbf", Some((TokenNotYetValid, N)), (RequiredClaimMissing, Detail::Other)),
    // Auth0's strict mode says "unexpected" for an absent or ill-typed sub/client_id/jti/iat.
    ("iat", Some((RequiredClaimMissing, Detail::ClaimIat)), (RequiredClaimMissing, Detail::ClaimIat)),
    ("sub", Some((RequiredClaimMissing, Detail::ClaimSub)), (RequiredClaimMissing, Detail::ClaimSub)),
    ("client_id", Some((RequiredClaimMissing, Detail::ClaimClientId)), (RequiredClaimMissing, Detail::ClaimClientId)),
    ("jti", Some((RequiredClaimMissing, Detail::ClaimJti)), (RequiredClaimMissing, Detail::ClaimJti)),
    // Auth0's requiredScopes: `Missing 'scope' claim` on a 403.
    ("scope", None, (ScopeMissing, N)),
    ("scp", None, (ScopeMissing, N)),
];

/// `error=` codes, standard and not, when the description names nothing.
#[rustfmt::skip]
pub const CODES: &[(&str, Named)] = &[
    ("insufficient_scope", Some((ScopeMissing, N))),
    ("missing_authorization", Some((TokenMissing, N))),
    ("unsupported_token_type", Some((AuthSchemeNotBearer, Detail::OtherScheme))),
    ("expired_token", Some((TokenExpired, N))),
    ("bad_signature", Some((SignatureInvalid, N))),
    ("decode_error", Some((TokenMalformed, N))),
    ("invalid_token", None),
    ("invalid_request", None),
    ("invalid_claim", None),
    ("missing_claim", None),
];
