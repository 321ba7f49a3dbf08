//! The Inspector against a real JWKS server: every key type, discovery, rotation, outages,
//! the verified-token cache, and `classify` on its reports.

mod support;
mod token_kit;

use authlens::cause::{Cause, Detail};
use authlens::classify::{Exchange, classify};
use authlens::evidence::token::{TokenReport, Verdict, extract};
use authlens::facts::{History, Outcome, ResponseFacts};
use authlens::inspect::{Inspection, InspectorOptions, Standalone};
use authlens::policy::{IssuerPolicy, JwksSource, Policy};
use authlens::telemetry::metrics::Metrics;
use http::{HeaderMap, HeaderValue, StatusCode};
use jsonwebtoken::Algorithm;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use support::authlens::find_series;
use token_kit::{AUD, Idp, TestKey, claims, issuer_policy};

fn issuer(idp: &Idp, jwks: JwksSource, algorithms: &[Algorithm]) -> IssuerPolicy {
    IssuerPolicy {
        required_claims: vec!["iss".into(), "exp".into(), "aud".into()],
        ..issuer_policy("test-as", &idp.issuer, jwks, algorithms)
    }
}

fn start(is: IssuerPolicy) -> (Standalone, Arc<Metrics>) {
    let policy = Arc::new(Policy {
        issuers: vec![is],
        ..Policy::empty()
    });
    let metrics = Arc::new(Metrics::new().expect("metrics"));
    let opts = InspectorOptions {
        cache_entries: 100,
        key_wait: Duration::from_secs(3),
    };
    (Standalone::start(policy, metrics.clone(), opts), metrics)
}

async fn inspect(inspector: &Standalone, token: &str) -> (bool, Arc<TokenReport>) {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
    headers.insert("authorization", value);
    let presented = extract(&headers, &"/".parse().expect("uri"));
    let inspection = inspector.inspect(presented.token().expect("a bearer token"));
    let ready = matches!(inspection, Inspection::Ready(_));
    let report = tokio::time::timeout(Duration::from_secs(10), inspection.wait())
        .await
        .expect("resolves in time")
        .expect("a report");
    (ready, report)
}

fn verdict_cause(r: &TokenReport) -> Option<(Cause, Detail)> {
    match &r.verdict {
        Verdict::Invalid(c) => Some((c.cause, c.detail)),
        _ => None,
    }
}

/// `classify` of a plain 401 with a challenge for this report.
fn classify_401(inspector: &Standalone, report: &TokenReport) -> authlens::classify::Failure {
    let mut headers = HeaderMap::new();
    headers.insert(
        "www-authenticate",
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    let outcome = Outcome::Response(ResponseFacts::from_head(
        StatusCode::UNAUTHORIZED,
        &headers,
        false,
    ));
    let mut h = HeaderMap::new();
    h.insert("authorization", HeaderValue::from_static("Bearer a.b.c"));
    let request = authlens::facts::RequestFacts::offline(
        "/files".parse().expect("uri"),
        &h,
        authlens::policy::RouteId(0),
    );
    let policy = inspector.policy();
    classify(&Exchange {
        request: &request,
        token: Some(report),
        outcome: &outcome,
        policy,
        history: History::default(),
        now: SystemTime::now(),
    })
    .failure
    .expect("a failure")
}

#[tokio::test]
async fn every_key_type_verifies_and_the_second_look_is_a_cache_hit() {
    let keys = [
        TestKey::rsa("rsa", Algorithm::RS256),
        TestKey::rsa("pss", Algorithm::PS256),
        TestKey::ec("ec"),
        TestKey::ed("ed"),
    ];
    let idp = Idp::start("", &keys.iter().collect::<Vec<_>>()).await;
    let algs = [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ];
    let (inspector, metrics) = start(issuer(
        &idp,
        JwksSource::Uri(idp.jwks_url().parse().unwrap()),
        &algs,
    ));
    for key in &keys {
        let token = key.sign(&claims(&idp.issuer));
        let (ready, first) = inspect(&inspector, &token).await;
        assert!(
            !ready,
            "{}: a first look verifies off the request path",
            key.kid
        );
        assert_eq!(first.verdict, Verdict::Valid, "{}", key.kid);
        assert_eq!(first.header.kid.as_deref(), Some(key.kid.as_str()));
        let (ready, second) = inspect(&inspector, &token).await;
        assert!(
            ready,
            "{}: the second look is answered from the cache",
            key.kid
        );
        assert!(Arc::ptr_eq(&first, &second));
    }
    let text = metrics.render();
    assert_eq!(
        find_series(&text, "authlens_token_cache_lookups_total{result=\"hit\"}"),
        4.0
    );
    assert_eq!(
        find_series(&text, "authlens_token_cache_lookups_total{result=\"miss\"}"),
        4.0
    );
    assert_eq!(
        find_series(&text, "authlens_jwks_keys{issuer=\"test-as\"}"),
        4.0
    );
    assert_eq!(idp.hits("/keys"), 1, "one fetch serves every key");
}

#[tokio::test]
async fn rfc8414_discovery_inserts_the_well_known_path_before_the_issuer_path() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("/tenants/acme", &[&key]).await;
    idp.set(|s| s.oidc = false);
    let (inspector, _) = start(issuer(&idp, JwksSource::Discover, &[Algorithm::RS256]));
    let (_, r) = inspect(&inspector, &key.sign(&claims(&idp.issuer))).await;
    assert_eq!(r.verdict, Verdict::Valid);
    assert_eq!(
        idp.hits("/.well-known/oauth-authorization-server/tenants/acme"),
        1
    );
    assert_eq!(
        idp.hits("/tenants/acme/.well-known/openid-configuration"),
        0
    );
}

#[tokio::test]
async fn discovery_falls_back_to_openid_configuration() {
    let key = TestKey::ec("k1");
    let idp = Idp::start("/realms/x", &[&key]).await;
    idp.set(|s| s.rfc8414 = false);
    let (inspector, _) = start(issuer(&idp, JwksSource::Discover, &[Algorithm::ES256]));
    let (_, r) = inspect(&inspector, &key.sign(&claims(&idp.issuer))).await;
    assert_eq!(r.verdict, Verdict::Valid);
    assert_eq!(
        idp.hits("/.well-known/oauth-authorization-server/realms/x"),
        1
    );
    assert_eq!(idp.hits("/realms/x/.well-known/openid-configuration"), 1);
}

#[tokio::test]
async fn metadata_for_another_issuer_is_refused_and_no_key_set_means_jwks_fetch_failed() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("/t", &[&key]).await;
    let other = format!("{}/", idp.issuer);
    idp.set(|s| s.metadata_issuer = Some(other));
    let (inspector, metrics) = start(issuer(&idp, JwksSource::Discover, &[Algorithm::RS256]));
    let (_, r) = inspect(&inspector, &key.sign(&claims(&idp.issuer))).await;
    assert_eq!(r.verdict, Verdict::Unverified);
    assert_eq!(
        idp.hits("/keys"),
        0,
        "keys of an impostor's metadata are never fetched"
    );
    let text = metrics.render();
    assert!(
        find_series(
            &text,
            "authlens_jwks_fetches_total{issuer=\"test-as\",result=\"invalid\"}"
        ) >= 1.0
    );
    let f = classify_401(&inspector, &r);
    assert_eq!(f.cause, Cause::JwksFetchFailed);
    assert!(f.hint.contains("test-as"), "{}", f.hint);
}

#[tokio::test]
async fn an_unknown_kid_refetches_once_then_is_rate_limited() {
    let old = TestKey::rsa("old", Algorithm::RS256);
    let new = TestKey::rsa("new", Algorithm::RS256);
    let idp = Idp::start("", &[&old]).await;
    let (inspector, _) = start(issuer(
        &idp,
        JwksSource::Uri(idp.jwks_url().parse().unwrap()),
        &[Algorithm::RS256],
    ));
    let (_, r) = inspect(&inspector, &old.sign(&claims(&idp.issuer))).await;
    assert_eq!(r.verdict, Verdict::Valid);
    assert_eq!(idp.hits("/keys"), 1);
    assert_eq!(
        inspector.kid_age_secs(&r),
        None,
        "kids of the first key set have no known age"
    );

    // The issuer rotates: the new kid is fetched on demand.
    idp.set(|s| s.keys.push(new.jwk.clone()));
    let (_, r) = inspect(&inspector, &new.sign(&claims(&idp.issuer))).await;
    assert_eq!(r.verdict, Verdict::Valid);
    assert_eq!(idp.hits("/keys"), 2);
    assert!(inspector.kid_age_secs(&r).is_some_and(|s| s < 60));

    // A kid nobody publishes: no second fetch within jwks_min_refetch.
    let stray = TestKey::rsa("stray", Algorithm::RS256);
    let (_, r) = inspect(&inspector, &stray.sign(&claims(&idp.issuer))).await;
    assert_eq!(verdict_cause(&r), Some((Cause::KidUnknown, Detail::None)));
    assert_eq!(idp.hits("/keys"), 2);
    let f = classify_401(&inspector, &r);
    assert!(f.hint.contains("kid stray"), "{}", f.hint);
    // kid_unknown is not cached: the next look verifies again.
    let (ready, _) = inspect(&inspector, &stray.sign(&claims(&idp.issuer))).await;
    assert!(!ready);
}

#[tokio::test]
async fn another_key_under_the_same_kid_is_signature_invalid() {
    let published = TestKey::ec("k1");
    let impostor = TestKey::ec("k1");
    let idp = Idp::start("", &[&published]).await;
    let (inspector, _) = start(issuer(
        &idp,
        JwksSource::Uri(idp.jwks_url().parse().unwrap()),
        &[Algorithm::ES256],
    ));
    let (_, r) = inspect(&inspector, &impostor.sign(&claims(&idp.issuer))).await;
    assert_eq!(
        verdict_cause(&r),
        Some((Cause::SignatureInvalid, Detail::None))
    );
    let f = classify_401(&inspector, &r);
    assert_eq!(f.cause, Cause::SignatureInvalid);
    assert!(f.hint.contains("k1"), "{}", f.hint);
}

#[tokio::test]
async fn claim_checks_name_expected_and_actual_on_real_tokens() {
    let key = TestKey::ed("k1");
    let idp = Idp::start("", &[&key]).await;
    let (inspector, _) = start(issuer(
        &idp,
        JwksSource::Uri(idp.jwks_url().parse().unwrap()),
        &[Algorithm::EdDSA],
    ));
    let mut c = claims(&idp.issuer);
    c["aud"] = json!("https://api.example.com");
    let (_, r) = inspect(&inspector, &key.sign(&c)).await;
    assert_eq!(
        verdict_cause(&r),
        Some((Cause::AudienceMismatch, Detail::TrailingSlash))
    );
    let f = classify_401(&inspector, &r);
    assert_eq!(
        f.hint,
        "aud is https://api.example.com but this API expects https://api.example.com/ (trailing slash)"
    );
    assert_eq!(f.expected.aud.as_deref(), Some(AUD));
    // An expired token: the skew is recorded for authlens_clock_skew_seconds.
    let mut c = claims(&idp.issuer);
    c["exp"] = json!(token_kit::now() - 3600);
    let (_, r) = inspect(&inspector, &key.sign(&c)).await;
    match &r.verdict {
        Verdict::Invalid(check) => {
            assert_eq!(check.cause, Cause::TokenExpired);
            assert!(check.skew_secs.is_some_and(|s| (3600..3700).contains(&s)));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_key_server_down_from_the_start_leaves_tokens_unverified() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    idp.set(|s| s.fail = Some(503));
    let (inspector, metrics) = start(issuer(
        &idp,
        JwksSource::Uri(idp.jwks_url().parse().unwrap()),
        &[Algorithm::RS256],
    ));
    let (_, r) = inspect(&inspector, &key.sign(&claims(&idp.issuer))).await;
    assert_eq!(r.verdict, Verdict::Unverified);
    // Claim checks still run without keys.
    let mut c = claims(&idp.issuer);
    c["aud"] = json!("https://other.example/");
    let (_, bad) = inspect(&inspector, &key.sign(&c)).await;
    assert_eq!(
        verdict_cause(&bad),
        Some((Cause::AudienceMismatch, Detail::OtherResource))
    );
    let text = metrics.render();
    assert!(
        find_series(
            &text,
            "authlens_jwks_fetches_total{issuer=\"test-as\",result=\"http_error\"}"
        ) >= 1.0
    );
    assert_eq!(
        find_series(
            &text,
            "authlens_jwks_fetches_total{issuer=\"test-as\",result=\"ok\"}"
        ),
        0.0
    );
    assert_eq!(classify_401(&inspector, &r).cause, Cause::JwksFetchFailed);
}

#[tokio::test]
async fn the_last_good_key_set_is_served_while_refreshes_fail() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    idp.set(|s| s.max_age = Some(1));
    let (inspector, metrics) = start(issuer(
        &idp,
        JwksSource::Uri(idp.jwks_url().parse().unwrap()),
        &[Algorithm::RS256],
    ));
    let (_, r) = inspect(&inspector, &key.sign(&claims(&idp.issuer))).await;
    assert_eq!(r.verdict, Verdict::Valid);
    idp.set(|s| s.fail = Some(500));
    // Cache-Control: max-age=1 schedules the next fetch a second later; wait for it to fail.
    let series = "authlens_jwks_fetches_total{issuer=\"test-as\",result=\"http_error\"}";
    for _ in 0..100 {
        if find_series(&metrics.render(), series) >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        find_series(&metrics.render(), series) >= 1.0,
        "the refresh ran and failed"
    );
    // A token not seen before still verifies with the stale set.
    let mut c = claims(&idp.issuer);
    c["jti"] = json!("another");
    let (ready, r) = inspect(&inspector, &key.sign(&c)).await;
    assert!(!ready);
    assert_eq!(r.verdict, Verdict::Valid);
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_min_refetch() {
    let key = TestKey::ec("k1");
    let idp = Idp::start("", &[&key]).await;
    let mut is = issuer(
        &idp,
        JwksSource::Uri(idp.jwks_url().parse().unwrap()),
        &[Algorithm::ES256],
    );
    is.jwks_min_refetch = Duration::from_millis(300);
    let (inspector, _) = start(is);
    let (_, r) = inspect(&inspector, &key.sign(&claims(&idp.issuer))).await;
    assert_eq!(r.verdict, Verdict::Valid);
    let stray = TestKey::ec("stray");
    let mut jti = 0;
    let mut stray_token = || {
        jti += 1;
        let mut c = claims(&idp.issuer);
        c["jti"] = json!(jti);
        stray.sign(&c)
    };
    // Any on-demand fetch of the first load is out of the window now.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let before = idp.hits("/keys");
    for _ in 0..3 {
        let (_, r) = inspect(&inspector, &stray_token()).await;
        assert_eq!(verdict_cause(&r), Some((Cause::KidUnknown, Detail::None)));
    }
    assert_eq!(
        idp.hits("/keys"),
        before + 1,
        "three unknown kids, one refetch"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, r) = inspect(&inspector, &stray_token()).await;
    assert_eq!(verdict_cause(&r), Some((Cause::KidUnknown, Detail::None)));
    assert_eq!(
        idp.hits("/keys"),
        before + 2,
        "the interval passed: one more"
    );
}
