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
