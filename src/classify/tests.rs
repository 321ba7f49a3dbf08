//! Table tests for `classify`. Each row is one exchange and the verdict it must get.

use super::*;
use crate::evidence::token::Presented;
use crate::facts::{Outcome, RequestFacts, ResponseFacts, TransportError};
use crate::policy::{Policy, RouteId};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

pub(crate) fn request(credentials: Presented) -> RequestFacts {
    let mut r = RequestFacts::offline("/files".parse().unwrap(), &HeaderMap::new(), RouteId(0));
    r.credentials = credentials;
    r
}

fn run(req: &RequestFacts, outcome: &Outcome) -> Classification {
    let policy = Policy::empty();
    classify(&Exchange {
        request: req,
        token: None,
        outcome,
        policy: &policy,
        history: History::default(),
        now: SystemTime::now(),
    })
}

#[test]
fn transport_errors_map_to_upstream_causes() {
    let rows = [
        (
            TransportError::Refused {
                loopback_answers: false,
            },
            Cause::UpstreamConnectionRefused,
            Detail::None,
        ),
        (
            TransportError::Refused {
                loopback_answers: true,
            },
            Cause::UpstreamConnectionRefused,
            Detail::BoundToLoopback,
        ),
        (
            TransportError::ConnectTimeout,
            Cause::UpstreamConnectTimeout,
            Detail::None,
        ),
        (
            TransportError::ResponseTimeout,
            Cause::UpstreamResponseTimeout,
            Detail::None,
        ),
        (
            TransportError::Reset { mid_body: true },
            Cause::UpstreamReset,
            Detail::None,
        ),
        (TransportError::Dns, Cause::UpstreamDnsFailure, Detail::None),
        (
            TransportError::ResponseInvalid { too_large: true },
            Cause::UpstreamResponseInvalid,
            Detail::HeadTooLarge,
        ),
        (
            TransportError::ResponseInvalid { too_large: false },
            Cause::UpstreamResponseInvalid,
            Detail::Malformed,
        ),
        (
            TransportError::ClientAborted,
            Cause::ClientAborted,
            Detail::None,
        ),
    ];
    let req = request(Presented::None);
    for (err, cause, detail) in rows {
        let c = run(&req, &Outcome::Transport(err));
        let f = c.failure.expect("a failure");
        assert_eq!((f.cause, f.detail), (cause, detail), "{err:?}");
        assert!(!f.hint.is_empty());
    }
}

#[test]
fn missing_token_on_401_and_success_is_quiet() {
    let req = request(Presented::None);
    let resp = |s: u16| {
        Outcome::Response(ResponseFacts::from_head(
            StatusCode::from_u16(s).unwrap(),
            &HeaderMap::new(),
            false,
        ))
    };
    let f = run(&req, &resp(401)).failure.unwrap();
    assert_eq!(f.cause, Cause::TokenMissing);
    assert!(run(&req, &resp(200)).failure.is_none());
    assert_eq!(
        run(&req, &resp(503)).failure.unwrap().cause,
        Cause::UpstreamServerError
    );
}

#[test]
fn a_preflight_without_token_on_a_protected_route_is_no_finding() {
    use crate::policy::ScopeMatch;
    use crate::policy::{PathMatch, RoutePolicy, Routes, ScopeRule};
    let mut policy = Policy::empty();
    policy.routes = Routes::new(vec![RoutePolicy {
        name: "files".into(),
        path: PathMatch::Prefix("/files".into()),
        methods: vec![],
        scopes: ScopeRule {
            required: vec![],
            matching: ScopeMatch::All,
            claim: "scope".into(),
        },
        protected: true,
    }]);
    let ok = Outcome::Response(ResponseFacts::from_head(
        StatusCode::NO_CONTENT,
        &HeaderMap::new(),
        true,
    ));
    let mut req = request(Presented::None);
    let classify_with = |req: &RequestFacts| {
        classify(&Exchange {
            request: req,
            token: None,
            outcome: &ok,
            policy: &policy,
            history: History::default(),
            now: SystemTime::now(),
        })
    };
    assert_eq!(
        classify_with(&req).findings,
        [crate::cause::Finding::UnprotectedRoute]
    );
    req.method = Method::OPTIONS;
    req.preflight = Some(crate::evidence::cors::Preflight {
        method: HeaderValue::from_static("GET"),
        headers: None,
    });
    assert!(classify_with(&req).findings.is_empty());
}

/// Class of issue 11: a 400 (or 403) that carries a Bearer challenge, or follows credentials
/// authlens itself finds malformed, is an auth failure named from the request's facts; a 5xx
/// whose words name an auth cause is one too. Plain 400s stay quiet.
#[test]
fn challenged_400s_and_malformed_credentials_are_auth_failures() {
    use crate::evidence::token::extract;
    let presented = |auth: Option<&str>| {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert("authorization", HeaderValue::from_str(a).unwrap());
        }
        extract(&h, &"/files".parse().unwrap())
    };
    let bare = Some("Bearer realm=\"api\"");
    let invalid_request = Some("Bearer realm=\"api\", error=\"invalid_request\"");
    // (status, WWW-Authenticate, Authorization, verdict)
    type Row<'a> = (
        u16,
        Option<&'a str>,
        Option<&'a str>,
        Option<(Cause, Detail)>,
    );
    let rows: &[Row<'_>] = &[
        (
            400,
            bare,
            Some("Bearer"),
            Some((Cause::AuthSchemeNotBearer, Detail::Malformed)),
        ),
        (
            400,
            bare,
            Some("Bearer  a.b.c"),
            Some((Cause::AuthSchemeNotBearer, Detail::Malformed)),
        ),
        (
            400,
            bare,
            Some("Bearer:a.b.c"),
            Some((Cause::AuthSchemeNotBearer, Detail::Malformed)),
        ),
        (
            400,
            bare,
            Some("a.b.c"),
            Some((Cause::AuthSchemeNotBearer, Detail::Malformed)),
        ),
        (
            400,
            bare,
            Some("Basic dTpw"),
            Some((Cause::AuthSchemeNotBearer, Detail::Basic)),
        ),
        (
            400,
            bare,
            Some("Token a.b.c"),
            Some((Cause::AuthSchemeNotBearer, Detail::OtherScheme)),
        ),
        (400, bare, None, Some((Cause::TokenMissing, Detail::None))),
        (
            400,
            invalid_request,
            None,
            Some((Cause::TokenMissing, Detail::None)),
        ),
        (
            400,
            None,
            Some("Bearer  a.b.c"),
            Some((Cause::AuthSchemeNotBearer, Detail::Malformed)),
        ),
        (
            400,
            None,
            Some("Basic dTpw"),
            Some((Cause::AuthSchemeNotBearer, Detail::Basic)),
        ),
        (
            403,
            None,
            Some("Token a.b.c"),
            Some((Cause::AuthSchemeNotBearer, Detail::OtherScheme)),
        ),
        (403, bare, None, Some((Cause::TokenMissing, Detail::None))),
        // A plain validation 400: no challenge, credentials fine or absent.
        (400, None, None, None),
        (400, None, Some("Bearer a.b.c"), None),
        (400, Some("Basic realm=\"x\""), None, None),
    ];
    for (status, challenge, auth, want) in rows {
        let mut h = HeaderMap::new();
        if let Some(c) = challenge {
            h.insert("www-authenticate", HeaderValue::from_str(c).unwrap());
        }
        let outcome = Outcome::Response(ResponseFacts::from_head(
            StatusCode::from_u16(*status).unwrap(),
            &h,
            false,
        ));
        let got = run(&request(presented(*auth)), &outcome)
            .failure
            .map(|f| (f.cause, f.detail));
        assert_eq!(got, *want, "{status} {challenge:?} {auth:?}");
    }
    // Multiple methods: header plus query.
    let mut h = HeaderMap::new();
    h.insert("authorization", HeaderValue::from_static("Bearer a.b.c"));
    let mut req = request(Presented::None);
    req.credentials = extract(&h, &"/files?access_token=x.y.z".parse().unwrap());
    let bad = Outcome::Response(ResponseFacts::from_head(
        StatusCode::BAD_REQUEST,
        &HeaderMap::new(),
        false,
    ));
    let f = run(&req, &bad).failure.unwrap();
    assert_eq!(f.cause, Cause::TokenMultipleMethods);

    // fastify's 500 for an unknown kid names the auth cause, not a server error.
    let mut resp =
        ResponseFacts::from_head(StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), false);
    resp.body = Some(bytes::Bytes::from_static(
        br#"{"statusCode":500,"code":"JWK_NOT_FOUND","message":"No matching JWK found in the set."}"#,
    ));
    let f = run(
        &request(presented(Some("Bearer a.b.c"))),
        &Outcome::Response(resp),
    )
    .failure
    .unwrap();
    assert_eq!(f.cause, Cause::KidUnknown, "{}", f.hint);
    assert!(f.hint.contains("answered 500"), "{}", f.hint);
}

/// Hints resting on the API's words quote them (issue 11, class 4): a 403 whose words name an
/// authn cause, and a 403 that names no scope problem.
#[test]
fn upstream_worded_403_hints_quote_the_api() {
    let bearer = || {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer a.b.c"));
        crate::evidence::token::extract(&h, &"/files".parse().unwrap())
    };
    let forbidden = |challenge: Option<&'static str>, body: &'static [u8]| {
        let mut h = HeaderMap::new();
        if let Some(c) = challenge {
            h.insert("www-authenticate", HeaderValue::from_static(c));
        }
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let mut resp = ResponseFacts::from_head(StatusCode::FORBIDDEN, &h, false);
        resp.body = Some(bytes::Bytes::from_static(body));
        Outcome::Response(resp)
    };
    let expired = forbidden(
        Some(
            "Bearer error=\"invalid_token\", error_description=\"Jwt expired at 2026-01-01T00:00:00Z\"",
        ),
        b"",
    );
    let f = run(&request(bearer()), &expired).failure.unwrap();
    assert_eq!(f.cause, Cause::TokenExpired);
    assert!(
        f.hint
            .contains("(its words: \"Jwt expired at 2026-01-01T00:00:00Z\")"),
        "{}",
        f.hint
    );
    let denied = forbidden(None, br#"{"message":"tenant acme may not read reports"}"#);
    let f = run(&request(bearer()), &denied).failure.unwrap();
    assert_eq!(f.cause, Cause::ForbiddenOther);
    assert!(
        f.hint.contains("\"tenant acme may not read reports\""),
        "{}",
        f.hint
    );
}
