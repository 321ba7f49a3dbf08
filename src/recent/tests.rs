use super::*;
use crate::classify::Classification;
use crate::evidence::token::{ClaimFacts, Fingerprint, HeaderFacts, TokenReport, Verdict};
use crate::facts::RequestFacts;
use crate::policy::Policy;
use http::{HeaderMap, HeaderValue, StatusCode};
use std::time::Duration;

fn failure(cause: Cause, detail: Detail) -> Failure {
    Failure::new(
        cause,
        detail,
        Confidence::Proxy,
        format!("fix {}", cause.label()),
    )
}

fn key(cause: Cause, route: u16) -> Key {
    Key {
        cause,
        detail: Detail::None,
        route: RouteId(route),
    }
}

fn push(r: &Recent, cause: Cause, route: u16, at: SystemTime) {
    let f = failure(cause, Detail::None);
    r.push(key(cause, route), "files", &f, Arc::new(Vec::new()), at);
}

#[test]
fn groups_by_cause_and_route_with_counts_and_times() {
    let r = Recent::new(10);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let ago = |s| now - Duration::from_secs(s);
    push(&r, Cause::TokenExpired, 0, ago(300));
    push(&r, Cause::TokenExpired, 0, ago(30));
    push(&r, Cause::TokenExpired, 0, ago(10));
    push(&r, Cause::TokenMissing, 0, ago(5));
    push(&r, Cause::TokenExpired, 1, ago(200));
    let s = r.snapshot(now);
    assert_eq!(s.held, 5);
    let names: Vec<(&str, usize, usize)> = s
        .groups
        .iter()
        .map(|g| (g.cause, g.count, g.last_minute))
        .collect();
    assert_eq!(
        names,
        [
            ("token_expired", 3, 2),
            ("token_missing", 1, 1),
            ("token_expired", 1, 0)
        ]
    );
    let first = &s.groups[0];
    assert_eq!(first.first_seen, rfc3339(ago(300)));
    assert_eq!(first.last_seen, rfc3339(ago(10)));
    assert_eq!(first.last_seen_secs_ago, 10);
    assert_eq!(first.per_minute, 2.0);
    assert_eq!(first.hint, "fix token_expired");
}

#[test]
fn the_ring_is_bounded_and_a_full_one_extrapolates_its_rate() {
    let r = Recent::new(4);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for i in 0..10 {
        push(
            &r,
            Cause::TokenMissing,
            0,
            now - Duration::from_secs(10 - i),
        );
    }
    let s = r.snapshot(now);
    assert_eq!((s.held, s.capacity), (4, 4));
    assert_eq!(s.groups[0].count, 4);
    // Four failures within the last 4 s: 60 a minute.
    assert_eq!(s.window_seconds, 4);
    assert_eq!(s.groups[0].per_minute, 60.0);
}

fn exchange_json(personal: bool) -> String {
    let mut policy = Policy::empty();
    policy.log_personal_claims = personal;
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer aaa.bbb.SECRET-SIGNATURE"),
    );
    headers.insert(
        http::header::COOKIE,
        HeaderValue::from_static("s=SECRET-COOKIE"),
    );
    let uri: http::Uri = "/files?access_token=SECRET-QUERY".parse().unwrap();
    let request = RequestFacts::offline(uri, &headers, policy.routes.unmatched());
    let token = TokenReport {
        fingerprint: Fingerprint::of("aaa.bbb.SECRET-SIGNATURE"),
        header: HeaderFacts {
            alg: Some("RS256".into()),
            ..Default::default()
        },
        claims: ClaimFacts {
            iss: Some("https://as.example".into()),
            sub: Some("PERSONAL-SUB".into()),
            email: Some("PERSONAL@example.com".into()),
            ..Default::default()
        },
        issuer: None,
        verdict: Verdict::Unverified,
    };
    let classification = Classification {
        failure: Some(failure(Cause::TokenExpired, Detail::None)),
        ..Default::default()
    };
    let f = classification.failure.as_ref().unwrap();
    let x = Failed {
        request: &request,
        token: Some(&token),
        status: Some(StatusCode::UNAUTHORIZED),
        failure: f,
        words: &classification.upstream_words,
        policy: &policy,
    };
    let r = Recent::default();
    r.record(&x);
    serde_json::to_string(&r.snapshot(SystemTime::now())).unwrap()
}

#[test]
fn examples_are_redacted_like_the_log() {
    let json = exchange_json(false);
    for secret in ["SECRET", "PERSONAL"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(
        json.contains("\"token.iss\":\"https://as.example\""),
        "{json}"
    );
    assert!(json.contains("\"url.path\":\"/files\""), "{json}");
    assert!(
        json.contains("\"http.response.status_code\":\"401\""),
        "{json}"
    );

    let json = exchange_json(true);
    assert!(json.contains("\"token.sub\":\"PERSONAL-SUB\""), "{json}");
    assert!(!json.contains("SECRET"), "{json}");
}
