//! One row per cause and detail authlens's own checks can give.

use super::*;
use crate::evidence::token::decode::decode;
use crate::evidence::token::test_support::*;
use serde_json::{Value, json};

fn run(header: Value, claims: Value, policy: &Policy) -> Result<(), (Cause, Detail)> {
    let t = token(header, claims);
    let d = decode(&t).expect("decodes");
    let (issuer, _alg) = before_keys(&d, policy).map_err(|c| (c.cause, c.detail))?;
    let is = &policy.issuers[issuer.expect("an issuer")];
    after_keys(&d, is, policy, NOW).map_err(|c| (c.cause, c.detail))
}

#[test]
fn a_good_token_passes() {
    assert_eq!(run(header(), claims(), &policy()), Ok(()));
    // at+jwt with a nonce is still an access token; a token inside the leeway is fine.
    let c = with(with(claims(), "nonce", json!("n")), "exp", json!(NOW - 20));
    assert_eq!(run(header(), c, &policy()), Ok(()));
}

#[test]
fn before_key_rows() {
    let h = header;
    let c = claims;
    let p = policy();
    let jwt = || with(h(), "typ", json!("JWT"));
    let rows: Vec<(Value, Value, Cause, Detail)> = vec![
        (
            with(h(), "typ", json!("oauth-id-jag+jwt")),
            c(),
            Cause::IdJagSent,
            Detail::None,
        ),
        (
            jwt(),
            with(c(), "nonce", json!("n")),
            Cause::IdTokenSent,
            Detail::None,
        ),
        (
            without(h(), "typ"),
            with(c(), "at_hash", json!("x")),
            Cause::IdTokenSent,
            Detail::None,
        ),
        (
            jwt(),
            with(with(c(), "iss", json!(IDP)), "aud", json!(CLIENT)),
            Cause::IdTokenSent,
            Detail::None,
        ),
        (
            with(h(), "alg", json!("none")),
            c(),
            Cause::AlgNotAllowed,
            Detail::AlgNone,
        ),
        (
            with(h(), "alg", json!("HS256")),
            c(),
            Cause::AlgNotAllowed,
            Detail::Hmac,
        ),
        (
            with(h(), "alg", json!("RS384")),
            c(),
            Cause::AlgNotAllowed,
            Detail::Other,
        ),
        (
            with(h(), "alg", json!("XX1")),
            c(),
            Cause::AlgNotAllowed,
            Detail::Other,
        ),
        (
            without(h(), "alg"),
            c(),
            Cause::AlgNotAllowed,
            Detail::Other,
        ),
        (
            h(),
            with(c(), "iss", json!(format!("{ISS}/"))),
            Cause::IssuerMismatch,
            Detail::TrailingSlash,
        ),
        (
            h(),
            with(c(), "iss", json!("http://auth.resource.example")),
            Cause::IssuerMismatch,
            Detail::Scheme,
        ),
        (
            h(),
            with(c(), "iss", json!("https://Auth.Resource.example")),
            Cause::IssuerMismatch,
            Detail::Case,
        ),
        (
            h(),
            with(c(), "iss", json!(IDP)),
            Cause::IssuerMismatch,
            Detail::IdpIssuer,
        ),
        (
            h(),
            with(c(), "iss", json!("https://elsewhere")),
            Cause::IssuerMismatch,
            Detail::Other,
        ),
    ];
    for (header, claims, cause, detail) in rows {
        let what = format!("{header} {claims}");
        assert_eq!(run(header, claims, &p), Err((cause, detail)), "{what}");
    }
}

#[test]
fn typ_policy_and_issuer_choice() {
    let mut p = policy();
    p.issuers[0].accepted_types = Some(vec!["at+jwt".into()]);
    let jwt = with(header(), "typ", json!("JWT"));
    assert_eq!(
        run(jwt, claims(), &p),
        Err((Cause::TypRejected, Detail::None))
    );
    assert_eq!(
        run(
            with(header(), "typ", json!("application/AT+JWT")),
            claims(),
            &p
        ),
        Ok(())
    );
    // With two issuers a token without iss cannot be placed.
    p.issuers.push(issuer("other", "https://other.example"));
    let t = token(header(), without(claims(), "iss"));
    let err = before_keys(&decode(&t).unwrap(), &p).unwrap_err();
    assert_eq!(
        (err.cause, err.detail),
        (Cause::RequiredClaimMissing, Detail::ClaimIss)
    );
    // The second issuer's token is placed with the second issuer.
    let t = token(
        header(),
        with(claims(), "iss", json!("https://other.example")),
    );
    assert_eq!(before_keys(&decode(&t).unwrap(), &p).unwrap().0, Some(1));
}

#[test]
fn after_key_rows() {
    let c = claims;
    let rows: Vec<(Value, Cause, Detail)> = vec![
        (
            with(c(), "aud", json!("https://api.example.com")),
            Cause::AudienceMismatch,
            Detail::TrailingSlash,
        ),
        (
            with(c(), "aud", json!("http://api.example.com/")),
            Cause::AudienceMismatch,
            Detail::Scheme,
        ),
        (
            with(c(), "aud", json!("https://API.example.com/")),
            Cause::AudienceMismatch,
            Detail::Case,
        ),
        (
            with(c(), "aud", json!(ISS)),
            Cause::AudienceMismatch,
            Detail::AudIsIssuer,
        ),
        (
            with(c(), "aud", json!([CLIENT])),
            Cause::AudienceMismatch,
            Detail::AudIsClientId,
        ),
        (
            with(c(), "aud", json!("https://other.example/")),
            Cause::AudienceMismatch,
            Detail::OtherResource,
        ),
        (
            without(c(), "aud"),
            Cause::AudienceMismatch,
            Detail::Missing,
        ),
        (
            with(c(), "aud", json!(5)),
            Cause::RequiredClaimMissing,
            Detail::ClaimAud,
        ),
        (
            with(c(), "exp", json!(NOW - 31)),
            Cause::TokenExpired,
            Detail::None,
        ),
        (
            with(c(), "nbf", json!(NOW + 31)),
            Cause::TokenNotYetValid,
            Detail::None,
        ),
        (
            with(c(), "iat", json!(NOW + 3600)),
            Cause::TokenNotYetValid,
            Detail::None,
        ),
        (
            with(c(), "exp", json!("soon")),
            Cause::RequiredClaimMissing,
            Detail::ClaimExp,
        ),
        (
            without(c(), "exp"),
            Cause::RequiredClaimMissing,
            Detail::ClaimExp,
        ),
        (
            without(c(), "iss"),
            Cause::RequiredClaimMissing,
            Detail::ClaimIss,
        ),
    ];
    for (claims, cause, detail) in rows {
        let what = claims.to_string();
        assert_eq!(
            run(header(), claims, &policy()),
            Err((cause, detail)),
            "{what}"
        );
    }
}

#[test]
fn required_claims_by_name() {
    let mut p = policy();
    p.issuers[0].required_claims = ["sub", "client_id", "iat", "jti", "nbf"]
        .map(String::from)
        .to_vec();
    let rows = [
        ("sub", Detail::ClaimSub),
        ("client_id", Detail::ClaimClientId),
        ("iat", Detail::ClaimIat),
        ("jti", Detail::ClaimJti),
        ("nbf", Detail::Other),
    ];
    for (claim, detail) in rows {
        let got = run(header(), without(claims(), claim), &p);
        assert_eq!(got, Err((Cause::RequiredClaimMissing, detail)), "{claim}");
    }
}

#[test]
fn expected_and_actual_are_named() {
    let t = token(
        header(),
        with(claims(), "aud", json!("https://api.example.com")),
    );
    let d = decode(&t).unwrap();
    let p = policy();
    let err = after_keys(&d, &p.issuers[0], &p, NOW).unwrap_err();
    assert_eq!(err.expected.as_deref(), Some(AUD));
    assert_eq!(err.actual.as_deref(), Some("https://api.example.com"));
    let t = token(header(), with(claims(), "exp", json!(NOW - 100)));
    let err = after_keys(&decode(&t).unwrap(), &p.issuers[0], &p, NOW).unwrap_err();
    assert_eq!(err.skew_secs, Some(100));
}

#[test]
fn signature_and_kid_with_real_hmac_keys() {
    use jsonwebtoken::{DecodingKey, EncodingKey, Header, encode};
    use std::sync::Arc;
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("k1".into());
    let t = encode(&h, &claims(), &EncodingKey::from_secret(b"right")).unwrap();
    let d = decode(&t).unwrap();
    let key = |kid: &str, secret: &[u8]| {
        Arc::new(Key::new(
            Some(kid.into()),
            None,
            &DecodingKey::from_secret(secret),
        ))
    };
    let keys = vec![key("k1", b"right"), key("k2", b"wrong")];
    let c = candidates(Some("k1"), Algorithm::HS256, &keys);
    assert_eq!(signature(&d, Algorithm::HS256, &c), Ok(()));
    let wrong = vec![key("k1", b"wrong")];
    let c = candidates(Some("k1"), Algorithm::HS256, &wrong);
    let err = signature(&d, Algorithm::HS256, &c).unwrap_err();
    assert_eq!(err.cause, Cause::SignatureInvalid);
    assert!(candidates(Some("k9"), Algorithm::HS256, &keys).is_empty());
    // Without a kid every key of the family is tried.
    assert_eq!(candidates(None, Algorithm::HS256, &keys).len(), 2);
    assert!(candidates(None, Algorithm::RS256, &keys).is_empty());
    // A key pinned to another alg does not verify, and the hint can say which alg it is for.
    let pinned = vec![Arc::new(Key::new(
        Some("k1".into()),
        Some(Algorithm::HS512),
        &DecodingKey::from_secret(b"right"),
    ))];
    let c = candidates(Some("k1"), Algorithm::HS256, &pinned);
    let err = signature(&d, Algorithm::HS256, &c).unwrap_err();
    assert_eq!(err.expected.as_deref(), Some("HS512"));
    let unknown = kid_unknown(&d, &["k2".into()]);
    assert_eq!(unknown.actual.as_deref(), Some("k1"));
}

#[test]
fn actual_values_from_the_client_are_bounded() {
    let long = "é".repeat(1000);
    let c = Check::new(Cause::IssuerMismatch, Detail::Other).actual(long);
    let a = c.actual.unwrap();
    assert!(a.len() <= 203 && a.ends_with('…'), "{}", a.len());
}

#[test]
fn typ_compares_as_a_media_type() {
    let yes = [
        ("at+jwt", "at+jwt"),
        ("AT+JWT", "at+jwt"),
        ("application/at+jwt", "at+jwt"),
        ("Application/At+Jwt", "at+jwt"),
        ("at+jwt", "application/at+jwt"),
    ];
    for (typ, want) in yes {
        assert!(typ_is(Some(typ), want), "{typ} vs {want}");
    }
    let no = [
        ("jwt", "at+jwt"),
        ("application/", "at+jwt"),
        ("applicationXat+jwt", "at+jwt"),
        ("application/at+jwt/", "at+jwt"),
        ("ápplication/at+jwt", "at+jwt"),
        ("text/at+jwt", "at+jwt"),
    ];
    for (typ, want) in no {
        assert!(!typ_is(Some(typ), want), "{typ} vs {want}");
    }
    assert!(!typ_is(None, "at+jwt"));
}
