//! Every literal string of taxonomy §2, one row each, delivered the way its middleware delivers
//! it (challenge header, JSON body, plain-text body), through `words` and `cause_from_words`.

use super::*;
use crate::cause::{Cause::*, Detail};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue};

const N: Detail = Detail::None;

#[derive(Clone, Copy)]
enum Via {
    /// `Bearer error="…", error_description="<text, escaped>"` (Spring, ASP.NET, go-jwt-middleware).
    Challenge(&'static str),
    /// Auth0's `getHeaders`: realm="api", `"` rewritten to `'`.
    Auth0(&'static str),
    /// Envoy: bare `Bearer realm, error="invalid_token"` and the status string as the body.
    Text,
    /// A JSON body as-is (Kong, FastAPI around PyJWT, go-jwt-middleware).
    Json,
}

/// An answer as the proxy keeps it: challenge values, content type and body.
struct Resp {
    www_authenticate: Vec<HeaderValue>,
    content_type: Option<HeaderValue>,
    body: Option<Bytes>,
}

impl Resp {
    fn answer(&self) -> Answer<'_> {
        Answer {
            www_authenticate: &self.www_authenticate,
            content_type: self.content_type.as_ref(),
            body: self.body.as_deref(),
        }
    }
}

fn response(_status: u16, headers: &[(&str, String)], body: Option<(&str, String)>) -> Resp {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    if let Some((ct, _)) = &body {
        map.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_str(ct).unwrap(),
        );
    }
    Resp {
        www_authenticate: map
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .chain(map.get_all("www-authentication").iter())
            .cloned()
            .collect(),
        content_type: map.get(http::header::CONTENT_TYPE).cloned(),
        body: body.map(|(_, b)| Bytes::from(b)),
    }
}

fn deliver(via: Via, text: &str) -> Resp {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    match via {
        Via::Challenge(code) => response(
            401,
            &[(
                "www-authenticate",
                format!(r#"Bearer error="{code}", error_description="{escaped}""#),
            )],
            None,
        ),
        Via::Auth0(code) => response(
            401,
            &[(
                "www-authenticate",
                format!(
                    r#"Bearer realm="api", error="{code}", error_description="{}""#,
                    text.replace('"', "'")
                ),
            )],
            None,
        ),
        Via::Text => response(
            401,
            &[(
                "www-authenticate",
                r#"Bearer realm="http://api/files", error="invalid_token""#.to_string(),
            )],
            Some(("text/plain", text.to_string())),
        ),
        Via::Json => response(401, &[], Some(("application/json", text.to_string()))),
    }
}

const TOK: Via = Via::Challenge("invalid_token");
const AUTH0: Via = Via::Auth0("invalid_token");

/// (middleware, how it is delivered, literal text, the cause it must give)
#[rustfmt::skip]
const ROWS_UNDER_TEST: &[(&str, Via, &str, catalogue::Named)] = &[
    // 2.1 Auth0 express-oauth2-jwt-bearer (taxonomy spelling and the v1.10 spelling)
    ("auth0", Via::Auth0("invalid_request"), "More than one method used for authentication", Some((TokenMultipleMethods, N))),
    ("auth0", AUTH0, r#"unexpected "iss" value"#, Some((IssuerMismatch, N))),
    ("auth0", AUTH0, "Unexpected 'iss' value", Some((IssuerMismatch, N))),
    ("auth0", AUTH0, r#"unexpected "aud" value"#, Some((AudienceMismatch, N))),
    ("auth0", AUTH0, r#"unexpected "typ" value"#, Some((TypRejected, N))),
    ("auth0", AUTH0, r#"unexpected "sub" value"#, Some((RequiredClaimMissing, Detail::ClaimSub))),
    ("auth0", AUTH0, r#"unexpected "client_id" value"#, Some((RequiredClaimMissing, Detail::ClaimClientId))),
    ("auth0", AUTH0, r#"unexpected "jti" value"#, Some((RequiredClaimMissing, Detail::ClaimJti))),
    ("auth0", AUTH0, r#"unexpected "iat" value"#, Some((RequiredClaimMissing, Detail::ClaimIat))),
    ("auth0", AUTH0, r#""exp" claim timestamp check failed"#, Some((TokenExpired, N))),
    ("auth0", AUTH0, r#""nbf" claim timestamp check failed"#, Some((TokenNotYetValid, N))),
    ("auth0", AUTH0, "no applicable key found in the JSON Web Key Set", Some((KidUnknown, N))),
    ("auth0", AUTH0, "signature verification failed", Some((SignatureInvalid, N))),
    ("auth0", AUTH0, "Invalid Compact JWS", Some((TokenMalformed, N))),
    ("auth0", Via::Auth0("insufficient_scope"), "Insufficient Scope", Some((ScopeMissing, N))),
    ("auth0", Via::Auth0("insufficient_scope"), "Missing 'scope' claim", Some((ScopeMissing, N))),
    ("auth0", AUTH0, "Invalid Token", None),
    ("auth0", Via::Auth0("invalid_request"), "Invalid Request", None),
    // 2.2 Spring Security
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: Jwt expired at 2026-11-25T10:00:00Z", Some((TokenExpired, N))),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: Jwt used before 2026-11-25T10:00:00Z", Some((TokenNotYetValid, N))),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: The iss claim is not valid", Some((IssuerMismatch, N))),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: The aud claim is not valid", Some((AudienceMismatch, N))),
    ("spring", TOK, "This aud claim is not equal to the configured audience", Some((AudienceMismatch, N))),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: Signed JWT rejected: Another algorithm expected, or no matching key(s) found", Some((KidUnknown, N))),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: Signed JWT rejected: Invalid signature", Some((SignatureInvalid, N))),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: Malformed token", Some((TokenMalformed, N))),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: Malformed payload", Some((TokenMalformed, N))),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: Couldn't retrieve remote JWK set: connect timed out", Some((JwksFetchFailed, N))),
    ("spring", TOK, "Bearer token is malformed", Some((AuthSchemeNotBearer, Detail::Malformed))),
    ("spring", Via::Challenge("invalid_request"), "Found multiple bearer tokens in the request", Some((TokenMultipleMethods, N))),
    ("spring", Via::Challenge("invalid_request"), "The requested token parameter is an empty string", Some((TokenMissing, N))),
    ("spring", Via::Challenge("insufficient_scope"), "The request requires higher privileges than provided by the access token.", Some((ScopeMissing, N))),
    ("spring", TOK, "Invalid token", None),
    ("spring", TOK, "An error occurred while attempting to decode the Jwt: Invalid token", None),
    // 2.3 ASP.NET Core JwtBearer (current, then 3.x)
    ("aspnet", TOK, "The audience 'https://api.example.com' is invalid", Some((AudienceMismatch, N))),
    ("aspnet", TOK, "The audience '(null)' is invalid", Some((AudienceMismatch, Detail::Missing))),
    ("aspnet", TOK, "The audience is invalid", Some((AudienceMismatch, N))),
    ("aspnet", TOK, "The issuer 'https://auth.resource.xaa.dev/' is invalid", Some((IssuerMismatch, N))),
    ("aspnet", TOK, "The issuer is invalid", Some((IssuerMismatch, N))),
    ("aspnet", TOK, "The token has no expiration", Some((RequiredClaimMissing, Detail::ClaimExp))),
    ("aspnet", TOK, "The token lifetime is invalid; NotBefore: '11/25/2026 10:00:00', Expires: '11/25/2026 09:00:00'", None),
    ("aspnet", TOK, "The token lifetime is invalid", None),
    ("aspnet", TOK, "The token is not valid before '11/25/2026 10:00:00'", Some((TokenNotYetValid, N))),
    ("aspnet", TOK, "The token is not valid yet", Some((TokenNotYetValid, N))),
    ("aspnet", TOK, "The token expired at '11/25/2026 10:00:00'", Some((TokenExpired, N))),
    ("aspnet", TOK, "The token is expired", Some((TokenExpired, N))),
    ("aspnet", TOK, "The signature key was not found", Some((KidUnknown, N))),
    ("aspnet", TOK, "The signature is invalid", Some((SignatureInvalid, N))),
    ("aspnet", TOK, "", None),
    // 2.4 Envoy jwt_authn (jwt_verify_lib, then older in-tree)
    ("envoy", Via::Text, "Jwt is missing", Some((TokenMissing, N))),
    ("envoy", Via::Text, "Jwt missing", Some((TokenMissing, N))),
    ("envoy", Via::Text, "Jwt is expired", Some((TokenExpired, N))),
    ("envoy", Via::Text, "Jwt expired", Some((TokenExpired, N))),
    ("envoy", Via::Text, "Jwt not yet valid", Some((TokenNotYetValid, N))),
    ("envoy", Via::Text, "Jwt is not in the form of Header.Payload.Signature", Some((TokenMalformed, Detail::Segments))),
    ("envoy", Via::Text, "Jwt header is an invalid Base64url input or an invalid JSON", Some((TokenMalformed, N))),
    ("envoy", Via::Text, "Jwt payload is an invalid Base64 or an invalid JSON", Some((TokenMalformed, N))),
    ("envoy", Via::Text, "Jwt signature is an invalid Base64", Some((TokenMalformed, Detail::Base64))),
    ("envoy", Via::Text, "Jwt header [alg] field value is invalid", Some((AlgNotAllowed, N))),
    ("envoy", Via::Text, "Jwt header [alg] field is not a string", Some((AlgNotAllowed, N))),
    ("envoy", Via::Text, "Jwt issuer is not configured", Some((IssuerMismatch, N))),
    ("envoy", Via::Text, "Audiences in Jwt are not allowed", Some((AudienceMismatch, N))),
    ("envoy", Via::Text, "Audience in Jwt is not allowed", Some((AudienceMismatch, N))),
    ("envoy", Via::Text, "Failed JWT authentication: Audiences in Jwt are not allowed", Some((AudienceMismatch, N))),
    ("envoy", Via::Text, "Jwt verification fails", Some((SignatureInvalid, N))),
    ("envoy", Via::Text, "Jwks doesn't have key to match kid or alg from Jwt", Some((KidUnknown, N))),
    ("envoy", Via::Text, "Jwks remote fetch is failed", Some((JwksFetchFailed, N))),
    ("envoy", Via::Text, "Jwks fetch fail", Some((JwksFetchFailed, N))),
    ("envoy", Via::Text, "Jwks is an invalid JSON", Some((JwksFetchFailed, N))),
    ("envoy", Via::Text, "Jwks doesn't have any valid public key", Some((JwksFetchFailed, N))),
    // 2.5 golang-jwt (echoed by a handler as JSON)
    ("golang-jwt", Via::Json, r#"{"message":"token is malformed: could not base64 decode header"}"#, Some((TokenMalformed, N))),
    ("golang-jwt", Via::Json, r#"{"message":"token is unverifiable: error while executing keyfunc"}"#, Some((KidUnknown, N))),
    ("golang-jwt", Via::Json, r#"{"message":"token signature is invalid"}"#, Some((SignatureInvalid, N))),
    ("golang-jwt", Via::Json, r#"{"message":"a required claim is missing"}"#, Some((RequiredClaimMissing, N))),
    ("golang-jwt", Via::Json, r#"{"message":"token has invalid audience"}"#, Some((AudienceMismatch, N))),
    ("golang-jwt", Via::Json, r#"{"message":"token has invalid claims: token is expired"}"#, Some((TokenExpired, N))),
    ("golang-jwt", Via::Json, r#"{"message":"token is not valid yet"}"#, Some((TokenNotYetValid, N))),
    ("golang-jwt", Via::Json, r#"{"message":"token used before issued"}"#, Some((TokenNotYetValid, N))),
    ("golang-jwt", Via::Json, r#"{"message":"token has invalid issuer"}"#, Some((IssuerMismatch, N))),
    ("golang-jwt", Via::Json, r#"{"message":"token has invalid subject"}"#, None),
    ("golang-jwt", Via::Json, r#"{"message":"token has invalid id"}"#, None),
    ("golang-jwt", Via::Json, r#"{"message":"token has invalid claims"}"#, None),
    ("golang-jwt", Via::Json, r#"{"message":"key is invalid"}"#, None),
    ("golang-jwt", Via::Json, r#"{"message":"key is of invalid type"}"#, None),
    // 2.5 go-jwt-middleware v3 (header; the JSON body says the same)
    ("go-jwt-middleware", TOK, "JWT is missing", Some((TokenMissing, N))),
    ("go-jwt-middleware", TOK, "The access token expired", Some((TokenExpired, N))),
    ("go-jwt-middleware", TOK, "The access token is not yet valid", Some((TokenNotYetValid, N))),
    ("go-jwt-middleware", TOK, "The access token signature is invalid", Some((SignatureInvalid, N))),
    ("go-jwt-middleware", Via::Challenge("invalid_request"), "The access token is malformed", Some((TokenMalformed, N))),
    ("go-jwt-middleware", Via::Challenge("insufficient_scope"), "The access token was issued by an untrusted issuer", Some((IssuerMismatch, N))),
    ("go-jwt-middleware", Via::Challenge("insufficient_scope"), "The access token audience does not match", Some((AudienceMismatch, N))),
    ("go-jwt-middleware", TOK, "The access token uses an unsupported algorithm", Some((AlgNotAllowed, N))),
    ("go-jwt-middleware", TOK, "Unable to verify the access token", Some((JwksFetchFailed, N))),
    ("go-jwt-middleware", TOK, "The access token is invalid", None),
    ("go-jwt-middleware", Via::Json, r#"{"error":"insufficient_scope","error_description":"The access token audience does not match","error_code":"invalid_audience"}"#, Some((AudienceMismatch, N))),
    // 2.6 go-oidc
    ("go-oidc", TOK, "oidc: malformed jwt: square/go-jose: compact JWS format must have three parts", Some((TokenMalformed, N))),
    ("go-oidc", TOK, r#"oidc: id token issued by a different provider, expected "https://a" got "https://b""#, Some((IssuerMismatch, N))),
    ("go-oidc", TOK, r#"oidc: expected audience "client-1" got ["https://api/"]"#, Some((AudienceMismatch, N))),
    ("go-oidc", TOK, "oidc: token is expired (Token Expiry: 2026-11-25 10:00:00 +0000 UTC)", Some((TokenExpired, N))),
    ("go-oidc", TOK, "oidc: current time 2026-11-25 09:00:00 before the nbf (not before) time: 2026-11-25 10:00:00", Some((TokenNotYetValid, N))),
    ("go-oidc", TOK, r#"oidc: id token signed with unsupported algorithm, expected ["RS256"] got "HS256""#, Some((AlgNotAllowed, N))),
    ("go-oidc", TOK, "failed to verify signature: failed to verify id token signature", Some((SignatureInvalid, N))),
    // 2.7 PyJWT (FastAPI echoes str(exc) as `detail`)
    ("pyjwt", Via::Json, r#"{"detail":"Not enough segments"}"#, Some((TokenMalformed, Detail::Segments))),
    ("pyjwt", Via::Json, r#"{"detail":"Invalid header padding"}"#, Some((TokenMalformed, Detail::Base64))),
    ("pyjwt", Via::Json, r#"{"detail":"Invalid header string: 'utf-8' codec can't decode byte 0xff"}"#, Some((TokenMalformed, Detail::Json))),
    ("pyjwt", Via::Json, r#"{"detail":"Invalid payload padding"}"#, Some((TokenMalformed, Detail::Base64))),
    ("pyjwt", Via::Json, r#"{"detail":"Invalid crypto padding"}"#, Some((TokenMalformed, Detail::Base64))),
    ("pyjwt", Via::Json, r#"{"detail":"The specified alg value is not allowed"}"#, Some((AlgNotAllowed, N))),
    ("pyjwt", Via::Json, r#"{"detail":"Algorithm not specified"}"#, Some((AlgNotAllowed, N))),
    ("pyjwt", Via::Json, r#"{"detail":"Algorithm not supported"}"#, Some((AlgNotAllowed, N))),
    ("pyjwt", Via::Json, r#"{"detail":"Signature verification failed"}"#, Some((SignatureInvalid, N))),
    ("pyjwt", Via::Json, r#"{"detail":"Signature has expired"}"#, Some((TokenExpired, N))),
    ("pyjwt", Via::Json, r#"{"detail":"The token is not yet valid (nbf)"}"#, Some((TokenNotYetValid, N))),
    ("pyjwt", Via::Json, r#"{"detail":"The token is not yet valid (iat)"}"#, Some((TokenNotYetValid, N))),
    ("pyjwt", Via::Json, r#"{"detail":"Invalid audience"}"#, Some((AudienceMismatch, N))),
    ("pyjwt", Via::Json, r#"{"detail":"Invalid claim format in token"}"#, Some((AudienceMismatch, N))),
    ("pyjwt", Via::Json, r#"{"detail":"Invalid issuer"}"#, Some((IssuerMismatch, N))),
    ("pyjwt", Via::Json, r#"{"detail":"Token is missing the \"aud\" claim"}"#, Some((RequiredClaimMissing, Detail::ClaimAud))),
    ("pyjwt", Via::Json, r#"{"detail":"Token is missing the \"jti\" claim"}"#, Some((RequiredClaimMissing, Detail::ClaimJti))),
    ("pyjwt", Via::Json, r#"{"detail":"Unable to find a signing key that matches: \"key-2\""}"#, Some((KidUnknown, N))),
    // 2.8 Authlib
    ("authlib", Via::Challenge("missing_authorization"), r#"Missing "Authorization" in headers."#, Some((TokenMissing, N))),
    ("authlib", Via::Challenge("unsupported_token_type"), "", Some((AuthSchemeNotBearer, Detail::OtherScheme))),
    ("authlib", TOK, "The access token provided is expired, revoked, malformed, or invalid for other reasons.", None),
    ("authlib", Via::Challenge("insufficient_scope"), "The request requires higher privileges than provided by the access token.", Some((ScopeMissing, N))),
    ("authlib", Via::Challenge("expired_token"), "The token is expired", Some((TokenExpired, N))),
    ("authlib", Via::Challenge("invalid_claim"), r#"Invalid claim "iss""#, Some((IssuerMismatch, N))),
    ("authlib", Via::Challenge("invalid_claim"), r#"Invalid claim "groups""#, None),
    ("authlib", Via::Challenge("missing_claim"), r#"Missing "client_id" claim"#, Some((RequiredClaimMissing, Detail::ClaimClientId))),
    ("authlib", Via::Challenge("missing_claim"), r#"Missing "tenant" claim"#, Some((RequiredClaimMissing, Detail::Other))),
    ("authlib", Via::Challenge("bad_signature"), "", Some((SignatureInvalid, N))),
    ("authlib", Via::Challenge("decode_error"), "", Some((TokenMalformed, N))),
    // 2.9 Kong jwt plugin
    ("kong", Via::Json, r#"{"message":"Unauthorized"}"#, None),
    ("express sendStatus", Via::Text, "Unauthorized", None),
    ("kong", Via::Json, r#"{"message":"Multiple tokens provided"}"#, Some((TokenMultipleMethods, N))),
    ("kong", Via::Json, r#"{"message":"Bad token; invalid JSON"}"#, Some((TokenMalformed, N))),
    ("kong", Via::Json, r#"{"message":"Unrecognizable token"}"#, Some((TokenMalformed, N))),
    ("kong", Via::Json, r#"{"message":"No mandatory 'iss' in claims"}"#, Some((RequiredClaimMissing, Detail::ClaimIss))),
    ("kong", Via::Json, r#"{"message":"Invalid 'iss' in claims"}"#, Some((RequiredClaimMissing, Detail::ClaimIss))),
    ("kong", Via::Json, r#"{"message":"No credentials found for given 'iss'"}"#, Some((IssuerMismatch, N))),
    ("kong", Via::Json, r#"{"message":"Invalid algorithm"}"#, Some((AlgNotAllowed, N))),
    ("kong", Via::Json, r#"{"message":"Invalid key/secret"}"#, Some((UpstreamJwksMisconfigured, N))),
    ("kong", Via::Json, r#"{"message":"Invalid signature"}"#, Some((SignatureInvalid, N))),
    ("kong", Via::Json, r#"{"exp":"token expired"}"#, Some((TokenExpired, N))),
    ("kong", Via::Json, r#"{"nbf":"token not valid yet"}"#, Some((TokenNotYetValid, N))),
    ("kong", Via::Json, r#"{"exp":"must be a number"}"#, Some((RequiredClaimMissing, Detail::ClaimExp))),
    ("kong", Via::Json, r#"{"exp":"exceeds maximum allowed expiration"}"#, None),
    ("kong", Via::Json, r#"{"message":"An unexpected error occurred"}"#, None),
    // express-jwt's README error handler: `{code, message}` as JSON, no challenge.
    ("express-jwt", Via::Json, r#"{"code":"credentials_required","message":"No authorization token was found"}"#, Some((TokenMissing, N))),
    ("express-jwt", Via::Json, r#"{"code":"credentials_bad_scheme","message":"Format is Authorization: Bearer [token]"}"#, None),
    ("express-jwt", Via::Json, r#"{"code":"invalid_token","message":"jwt malformed"}"#, Some((TokenMalformed, N))),
    ("express-jwt", Via::Json, r#"{"code":"invalid_token","message":"jwt expired"}"#, Some((TokenExpired, N))),
    ("express-jwt", Via::Json, r#"{"code":"invalid_token","message":"jwt not active"}"#, Some((TokenNotYetValid, N))),
    ("express-jwt", Via::Json, r#"{"code":"invalid_token","message":"jwt audience invalid. expected: https://api.example/"}"#, Some((AudienceMismatch, N))),
    ("express-jwt", Via::Json, r#"{"code":"invalid_token","message":"jwt issuer invalid. expected: https://as.example/"}"#, Some((IssuerMismatch, N))),
    ("express-jwt", Via::Json, r#"{"code":"invalid_token","message":"invalid signature"}"#, Some((SignatureInvalid, N))),
    ("express-jwt", Via::Json, r#"{"code":"invalid_token","message":"secret or public key must be provided"}"#, Some((KidUnknown, N))),
    ("express-jwt", Via::Json, r#"{"code":"invalid_token","message":"invalid algorithm"}"#, Some((AlgNotAllowed, N))),
    // fastify's error handler around @fastify/jwt: `{statusCode, code, error, message}`.
    ("@fastify/jwt", Via::Json, r#"{"statusCode":401,"code":"FST_JWT_NO_AUTHORIZATION_IN_HEADER","error":"Unauthorized","message":"No Authorization was found in request.headers"}"#, Some((TokenMissing, N))),
    ("@fastify/jwt", Via::Json, r#"{"statusCode":401,"code":"FST_JWT_AUTHORIZATION_TOKEN_EXPIRED","error":"Unauthorized","message":"Authorization token expired"}"#, Some((TokenExpired, N))),
    ("@fastify/jwt", Via::Json, r#"{"statusCode":401,"error":"Unauthorized","message":"Authorization token is invalid: The token is malformed."}"#, Some((TokenMalformed, N))),
    ("@fastify/jwt", Via::Json, r#"{"statusCode":401,"error":"Unauthorized","message":"Authorization token is invalid: The token header is not a valid base64url serialized JSON."}"#, Some((TokenMalformed, N))),
    ("@fastify/jwt", Via::Json, r#"{"statusCode":401,"error":"Unauthorized","message":"Authorization token is invalid: The aud claim value is not allowed."}"#, Some((AudienceMismatch, N))),
    ("@fastify/jwt", Via::Json, r#"{"statusCode":401,"error":"Unauthorized","message":"Authorization token is invalid: The iss claim value is not allowed."}"#, Some((IssuerMismatch, N))),
    ("@fastify/jwt", Via::Json, r#"{"statusCode":401,"error":"Unauthorized","message":"Authorization token is invalid: The token signature is invalid."}"#, Some((SignatureInvalid, N))),
    ("@fastify/jwt", Via::Json, r#"{"statusCode":500,"code":"FAST_JWT_INACTIVE","error":"Internal Server Error","message":"The token will be active at 2026-11-30T06:45:30.000Z."}"#, Some((TokenNotYetValid, N))),
    ("@fastify/jwt", Via::Json, r#"{"statusCode":500,"code":"JWK_NOT_FOUND","error":"Internal Server Error","message":"No matching JWK found in the set."}"#, Some((KidUnknown, N))),
];

#[test]
fn every_middleware_string_maps_to_its_cause() {
    let mut wrong = Vec::new();
    for (mw, via, text, want) in ROWS_UNDER_TEST {
        let words = words(&deliver(*via, text).answer());
        let got = cause_from_words(&words);
        if got != *want {
            wrong.push(format!(
                "{mw}: {text:?} gave {got:?}, want {want:?} ({words:?})"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn catalogue_rows_are_normalised_allowed_and_reachable() {
    for row in catalogue::ROWS {
        assert_eq!(
            row.text,
            normalise(row.text),
            "{row:?} must be written normalised"
        );
        if let Some((cause, detail)) = row.verdict {
            assert!(
                detail == Detail::None || cause.details().contains(&detail),
                "{row:?}"
            );
        }
        // No earlier row shadows this one with a different verdict.
        let first = catalogue::ROWS
            .iter()
            .find(|r| {
                if r.exact {
                    r.text == row.text
                } else {
                    row.text.contains(r.text)
                }
            })
            .unwrap();
        assert_eq!(
            first.verdict, row.verdict,
            "{row:?} is shadowed by {first:?}"
        );
    }
    for (_, _, (cause, detail)) in catalogue::CLAIMS {
        assert!(*detail == Detail::None || cause.details().contains(detail));
    }
    for (_, verdict) in catalogue::CODES {
        if let Some((cause, detail)) = verdict {
            assert!(*detail == Detail::None || cause.details().contains(detail));
        }
    }
}

#[test]
fn the_catalogue_covers_all_nine_middlewares() {
    let named = |m: &str| catalogue::ROWS.iter().any(|r| r.middleware == m);
    for m in [
        "auth0 express-oauth2-jwt-bearer",
        "spring oauth2-resource-server",
        "asp.net core JwtBearer",
        "envoy jwt_authn",
        "golang-jwt",
        "go-jwt-middleware",
        "go-oidc",
        "pyjwt",
        "authlib",
        "kong jwt",
        "express-jwt (jsonwebtoken, jwks-rsa)",
        "@fastify/jwt (fast-jwt, get-jwks)",
    ] {
        assert!(named(m), "{m}");
    }
}

#[test]
fn unknown_words_fall_through() {
    let w = words(&deliver(TOK, "the moon is in the wrong phase").answer());
    assert_eq!(cause_from_words(&w), None);
    assert_eq!(cause_from_words(&UpstreamWords::default()), None);
}

#[test]
fn words_come_from_the_error_challenge_among_several() {
    // express-oauth2-jwt-bearer 1.10 with DPoP enabled (its default): two challenges in one value.
    let resp = response(
        403,
        &[(
            "www-authenticate",
            r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", DPoP algs="RS256 ES256""#
                .to_string(),
        )],
        None,
    );
    let w = words(&resp.answer());
    assert_eq!(w.error.as_deref(), Some("insufficient_scope"));
    assert_eq!(w.error_description.as_deref(), Some("Insufficient Scope"));
    assert_eq!(w.scope, None);
    // Bearer and DPoP in separate headers; the DPoP one carries the error.
    let resp = response(
        401,
        &[
            ("www-authenticate", r#"Bearer realm="api""#.to_string()),
            (
                "www-authenticate",
                r#"DPoP error="invalid_dpop_proof", error_description="Invalid DPoP Proof", algs="ES256""#.to_string(),
            ),
        ],
        None,
    );
    let w = words(&resp.answer());
    assert_eq!(w.error.as_deref(), Some("invalid_dpop_proof"));
    assert_eq!(
        w.www_authenticate.as_deref(),
        Some(
            r#"Bearer realm="api", DPoP error="invalid_dpop_proof", error_description="Invalid DPoP Proof", algs="ES256""#
        )
    );
}

#[test]
fn scope_and_metadata_and_the_old_header_spelling() {
    let resp = response(
        403,
        &[(
            "www-authentication",
            r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="files.read files.write", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource""#
                .to_string(),
        )],
        None,
    );
    let w = words(&resp.answer());
    assert_eq!(w.scope.as_deref(), Some("files.read files.write"));
    assert_eq!(
        w.resource_metadata.as_deref(),
        Some("https://api.example.com/.well-known/oauth-protected-resource")
    );
    assert!(w.says_insufficient_scope());
    assert_eq!(cause_from_words(&w), Some((ScopeMissing, N)));
}

#[test]
fn words_are_sanitised_and_bounded() {
    let resp = response(
        401,
        &[(
            "www-authenticate",
            format!(
                r#"Bearer error="invalid_token", error_description="{}""#,
                "é\t".repeat(2000)
            ),
        )],
        Some((
            "application/json",
            format!(r#"{{"message":"a\u0000b\u001b[31m{}"}}"#, "x".repeat(600)),
        )),
    );
    let w = words(&resp.answer());
    for field in [&w.www_authenticate, &w.error_description, &w.message] {
        let text = field.as_deref().expect("present");
        assert!(text.len() <= MAX_WORDS, "{}", text.len());
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }
    assert!(w.message.unwrap().starts_with("a b [31m"));
}
