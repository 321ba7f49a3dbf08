//! One row per authn cause and detail: the failure, its confidence, and a hint naming values.

mod join;

use super::*;
use crate::classify::tests::request;
use crate::classify::{Classification, classify as classify_all};
use crate::evidence::token::test_support::{AUD, ISS, NOW, policy};
use crate::evidence::token::{ClaimFacts, Fingerprint, HeaderFacts, extract};
use crate::facts::{History, Outcome};
use crate::policy::Policy;
use http::{HeaderMap, HeaderValue, StatusCode};
use std::time::SystemTime;

fn at(unix: i64) -> SystemTime {
    crate::base::clock::from_unix_secs(unix)
}

fn bearer() -> Presented {
    let mut h = HeaderMap::new();
    h.insert("authorization", HeaderValue::from_static("Bearer a.b.c"));
    extract(&h, &"/files".parse().unwrap())
}

fn report(verdict: Verdict) -> TokenReport {
    TokenReport {
        fingerprint: Fingerprint([1; 8]),
        header: HeaderFacts {
            alg: Some("RS256".into()),
            kid: Some("k2".into()),
            typ: Some("at+jwt".into()),
        },
        claims: ClaimFacts {
            iss: Some(ISS.into()),
            aud: vec![AUD.into()],
            exp: Some(NOW + 600),
            iat: Some(NOW - 10),
            ..Default::default()
        },
        issuer: Some(0),
        verdict,
    }
}

fn response(challenge: bool, date: Option<i64>) -> ResponseFacts {
    let mut h = HeaderMap::new();
    if challenge {
        h.insert(
            "www-authenticate",
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    if let Some(d) = date {
        h.insert(
            "date",
            HeaderValue::from_str(&httpdate::fmt_http_date(at(d))).unwrap(),
        );
    }
    ResponseFacts::from_head(StatusCode::UNAUTHORIZED, &h, false)
}

struct Case {
    token: Option<TokenReport>,
    resp: ResponseFacts,
    upstream: Option<(Cause, Detail)>,
    words: UpstreamWords,
    history: History,
}

impl Case {
    fn new(verdict: Verdict) -> Self {
        Case {
            token: Some(report(verdict)),
            resp: response(true, None),
            upstream: None,
            words: UpstreamWords::default(),
            history: History::default(),
        }
    }

    fn run(&self, policy: &Policy) -> Failure {
        let req = request(bearer());
        let outcome = Outcome::Transport(crate::facts::TransportError::Other);
        let x = Exchange {
            request: &req,
            token: self.token.as_ref(),
            outcome: &outcome,
            policy,
            history: self.history,
            now: at(NOW),
        };
        let said = Said {
            named: self.upstream,
            words: &self.words,
        };
        decide(&x, &self.resp, said)
    }
}

fn check(cause: Cause, detail: Detail, expected: &str, actual: &str) -> Verdict {
    Verdict::Invalid(
        Check::new(cause, detail)
            .expected(expected)
            .actual(actual)
            .skew(42),
    )
}

#[test]
fn presented_credentials() {
    let p = policy();
    let resp = Outcome::Response(response(true, None));
    let run = |c: Presented| -> Classification {
        let req = request(c);
        classify_all(&Exchange {
            request: &req,
            token: None,
            outcome: &resp,
            policy: &p,
            history: History::default(),
            now: at(NOW),
        })
    };
    let rows = [
        (Presented::None, Cause::TokenMissing, Detail::None),
        (
            Presented::NotBearer(Detail::Basic),
            Cause::AuthSchemeNotBearer,
            Detail::Basic,
        ),
        (
            Presented::NotBearer(Detail::OtherScheme),
            Cause::AuthSchemeNotBearer,
            Detail::OtherScheme,
        ),
        (
            Presented::NotBearer(Detail::Malformed),
            Cause::AuthSchemeNotBearer,
            Detail::Malformed,
        ),
        (
            Presented::Multiple(None),
            Cause::TokenMultipleMethods,
            Detail::None,
        ),
    ];
    for (c, cause, detail) in rows {
        let f = run(c).failure.expect("a failure");
        assert_eq!(
            (f.cause, f.detail, f.confidence),
            (cause, detail, Confidence::Proxy)
        );
        assert!(!f.hint.is_empty());
    }
}

#[test]
fn own_checks_are_the_cause_with_values_in_the_hint() {
    let p = policy();
    let rows = [
        (Cause::TokenMalformed, Detail::Opaque, "", "", "opaque"),
        (Cause::TokenMalformed, Detail::Segments, "", "", "three"),
        (Cause::TokenMalformed, Detail::Base64, "", "", "base64url"),
        (Cause::TokenMalformed, Detail::Json, "", "", "JSON"),
        (Cause::TokenMalformed, Detail::Jwe, "", "", "JWE"),
        (
            Cause::IdJagSent,
            Detail::None,
            "",
            "oauth-id-jag+jwt",
            "oauth-id-jag+jwt",
        ),
        (
            Cause::IdTokenSent,
            Detail::None,
            "",
            "iss https://idp.example",
            "ID token",
        ),
        (
            Cause::TypRejected,
            Detail::None,
            "at+jwt",
            "JWT",
            "typ is JWT but the API accepts only at+jwt",
        ),
        (
            Cause::AlgNotAllowed,
            Detail::AlgNone,
            "RS256",
            "none",
            "unsigned",
        ),
        (
            Cause::AlgNotAllowed,
            Detail::Hmac,
            "RS256",
            "HS256",
            "signed with HS256",
        ),
        (
            Cause::AlgNotAllowed,
            Detail::Other,
            "RS256",
            "ES256",
            "signed with ES256 but this API accepts RS256",
        ),
        (
            Cause::KidUnknown,
            Detail::None,
            "k1",
            "k9",
            "kid k9 is not in the issuer's key set (kids: k1)",
        ),
        (
            Cause::SignatureInvalid,
            Detail::None,
            "ES256",
            "RS256",
            "key k2 is for ES256",
        ),
        (
            Cause::IssuerMismatch,
            Detail::TrailingSlash,
            ISS,
            "https://auth.resource.example/",
            "iss is https://auth.resource.example/ but this API trusts https://auth.resource.example (trailing slash)",
        ),
        (
            Cause::IssuerMismatch,
            Detail::Scheme,
            ISS,
            "http://auth.resource.example",
            "(http vs https)",
        ),
        (
            Cause::IssuerMismatch,
            Detail::Case,
            ISS,
            "https://AUTH.resource.example",
            "(letter case)",
        ),
        (
            Cause::IssuerMismatch,
            Detail::IdpIssuer,
            ISS,
            "https://idp.example",
            "identity provider",
        ),
        (
            Cause::IssuerMismatch,
            Detail::Other,
            ISS,
            "https://x.example",
            "iss is https://x.example",
        ),
        (
            Cause::AudienceMismatch,
            Detail::TrailingSlash,
            "https://api.example.com/",
            "https://api.example.com",
            "aud is https://api.example.com but this API expects https://api.example.com/ (trailing slash)",
        ),
        (
            Cause::AudienceMismatch,
            Detail::Scheme,
            AUD,
            "http://api.example.com/",
            "(http vs https)",
        ),
        (
            Cause::AudienceMismatch,
            Detail::Case,
            AUD,
            "https://API.example.com/",
            "(letter case)",
        ),
        (
            Cause::AudienceMismatch,
            Detail::AudIsIssuer,
            AUD,
            ISS,
            "authorization server",
        ),
        (
            Cause::AudienceMismatch,
            Detail::AudIsClientId,
            AUD,
            "client-123",
            "client id",
        ),
        (
            Cause::AudienceMismatch,
            Detail::OtherResource,
            AUD,
            "https://other/",
            "another API",
        ),
        (
            Cause::AudienceMismatch,
            Detail::Missing,
            AUD,
            "",
            "has no aud; this API expects https://api.example.com/",
        ),
        (
            Cause::TokenExpired,
            Detail::None,
            "",
            "1799999958",
            "expired 42s ago (exp 1799999958 = ",
        ),
        (
            Cause::TokenNotYetValid,
            Detail::None,
            "",
            "1800000042",
            "another 42s",
        ),
        (
            Cause::RequiredClaimMissing,
            Detail::ClaimIss,
            "iss",
            "absent",
            "iss claim is absent",
        ),
        (
            Cause::RequiredClaimMissing,
            Detail::ClaimExp,
            "exp",
            "present with the wrong JSON type",
            "wrong JSON type",
        ),
        (
            Cause::RequiredClaimMissing,
            Detail::ClaimAud,
            "aud",
            "absent",
            "aud claim",
        ),
        (
            Cause::RequiredClaimMissing,
            Detail::ClaimSub,
            "sub",
            "absent",
            "sub claim",
        ),
        (
            Cause::RequiredClaimMissing,
            Detail::ClaimClientId,
            "client_id",
            "absent",
            "client_id claim",
        ),
        (
            Cause::RequiredClaimMissing,
            Detail::ClaimIat,
            "iat",
            "absent",
            "iat claim",
        ),
        (
            Cause::RequiredClaimMissing,
            Detail::ClaimJti,
            "jti",
            "absent",
            "jti claim",
        ),
        (
            Cause::RequiredClaimMissing,
            Detail::Other,
            "nbf",
            "absent",
            "nbf claim",
        ),
    ];
    for (cause, detail, expected, actual, hint) in rows {
        let case = Case::new(check(cause, detail, expected, actual));
        let f = case.run(&p);
        assert_eq!(
            (f.cause, f.detail, f.confidence),
            (cause, detail, Confidence::Proxy)
        );
        assert!(f.hint.contains(hint), "{cause:?}/{detail:?}: {}", f.hint);
        match cause {
            Cause::AudienceMismatch => assert_eq!(f.expected.aud.as_deref(), Some(expected)),
            Cause::IssuerMismatch => assert_eq!(f.expected.iss.as_deref(), Some(expected)),
            Cause::AlgNotAllowed => assert_eq!(f.expected.alg.as_deref(), Some(expected)),
            _ => assert_eq!(f.expected.iss.as_deref(), Some(ISS)),
        }
    }
}

#[test]
fn upstream_agreeing_raises_confidence() {
    let mut case = Case::new(check(Cause::TokenExpired, Detail::None, "", "1"));
    case.upstream = Some((Cause::TokenExpired, Detail::None));
    assert_eq!(case.run(&policy()).confidence, Confidence::Both);
    // A disagreeing upstream does not override authlens's proof.
    case.upstream = Some((Cause::SignatureInvalid, Detail::None));
    let f = case.run(&policy());
    assert_eq!(
        (f.cause, f.confidence),
        (Cause::TokenExpired, Confidence::Proxy)
    );
}

/// A token that passes every check, and the API's own sentence about it: the hint says what the
/// API asked for, naming the value, in place of a remark about differing validators.
#[test]
fn hints_use_the_apis_own_words() {
    let rows: &[(&str, Cause, Detail, &[&str])] = &[
        (
            "Missing 'tenant' claim",
            Cause::RequiredClaimMissing,
            Detail::Other,
            &["the API requires claim `tenant`, which this token lacks"],
        ),
        (
            "Unexpected 'tenant' value",
            Cause::UpstreamRejectedValidToken,
            Detail::None,
            &["claim `tenant`", "Unexpected 'tenant' value"],
        ),
        (
            "Unexpected 'aud' value",
            Cause::AudienceMismatch,
            Detail::None,
            &["the API rejects the token's `aud` `https://api.example.com/`"],
        ),
        (
            "jwt audience invalid. expected: https://api.example.com",
            Cause::AudienceMismatch,
            Detail::None,
            &["expected: https://api.example.com\""],
        ),
        (
            "Token is missing the \"sub\" claim",
            Cause::RequiredClaimMissing,
            Detail::ClaimSub,
            &["the API requires claim `sub`, which this token lacks"],
        ),
    ];
    for (text, cause, detail, wanted) in rows {
        let mut case = Case::new(Verdict::Valid);
        case.words = UpstreamWords {
            error: Some("invalid_token".into()),
            error_description: Some((*text).into()),
            ..Default::default()
        };
        case.upstream = crate::evidence::challenge::cause_from_words(&case.words);
        let f = case.run(&policy());
        assert_eq!((f.cause, f.detail), (*cause, *detail), "{text}: {}", f.hint);
        for w in *wanted {
            assert!(f.hint.contains(w), "{text}: {w} not in {}", f.hint);
        }
        assert!(!f.hint.contains("configured differently"), "{}", f.hint);
    }
    // authlens could not check the token: the API's words still reach the hint.
    let mut case = Case::new(Verdict::Unverified);
    case.words = UpstreamWords {
        message: Some("jwt expired".into()),
        ..Default::default()
    };
    case.upstream = crate::evidence::challenge::cause_from_words(&case.words);
    let f = case.run(&policy());
    assert_eq!(f.cause, Cause::TokenExpired);
    assert!(f.hint.contains("\"jwt expired\""), "{}", f.hint);
}
