//! Table tests: one row per Fetch check, cause and detail, plus the traffic that must never be
//! flagged (same-origin, no `Origin`).

use super::super::tests::request;
use crate::cause::{Category, Cause, Confidence, Detail, known_pairs};
use crate::classify::{Failure, classify};
use crate::evidence::cors::Preflight;
use crate::evidence::token::Presented;
use crate::facts::{History, Outcome, RequestFacts, ResponseFacts};
use crate::policy::Policy;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use std::collections::HashSet;
use std::time::SystemTime;

const PAGE: &str = "http://localhost:5173";
const API_HOST: &str = "127.0.0.1:8080";

/// What the browser sent: `Some((method, headers))` makes it a preflight.
struct Call {
    origin: Option<&'static str>,
    host: &'static str,
    preflight: Option<(&'static str, Option<&'static str>)>,
    cookie: bool,
}

const FETCH: Call = Call {
    origin: Some(PAGE),
    host: API_HOST,
    preflight: None,
    cookie: false,
};

const fn preflight(method: &'static str, headers: Option<&'static str>) -> Call {
    Call {
        preflight: Some((method, headers)),
        ..FETCH
    }
}

const WITH_COOKIE: Call = Call {
    cookie: true,
    ..FETCH
};

fn facts(call: &Call) -> RequestFacts {
    let mut r = request(Presented::None);
    r.origin = call.origin.map(HeaderValue::from_static);
    r.host = Some(HeaderValue::from_static(call.host));
    r.cookie_present = call.cookie;
    if let Some((method, headers)) = call.preflight {
        r.method = Method::OPTIONS;
        r.preflight = Some(Preflight {
            method: HeaderValue::from_static(method),
            headers: headers.map(HeaderValue::from_static),
        });
    }
    r
}

fn response(status: u16, headers: &[(&'static str, &'static str)]) -> Outcome {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    let status = StatusCode::from_u16(status).expect("valid status");
    Outcome::Response(ResponseFacts::from_head(status, &map, true))
}

fn verdict(call: &Call, outcome: &Outcome, history: History, policy: &Policy) -> Option<Failure> {
    classify(&crate::classify::Exchange {
        request: &facts(call),
        token: None,
        outcome,
        policy,
        history,
        now: SystemTime::now(),
    })
    .failure
}

const ACAO: &str = "access-control-allow-origin";
const ACAC: &str = "access-control-allow-credentials";
const ACAM: &str = "access-control-allow-methods";
const ACAH: &str = "access-control-allow-headers";

/// A preflight answer that passes for the page: origin echoed, PUT and Authorization allowed.
const GOOD: &[(&str, &str)] = &[
    (ACAO, PAGE),
    (ACAM, "GET, PUT, DELETE"),
    (ACAH, "authorization, content-type"),
];

type Row = (
    &'static str,
    Call,
    u16,
    &'static [(&'static str, &'static str)],
    Option<(Cause, Detail)>,
);

fn rows() -> Vec<Row> {
    use Cause::*;
    let auth = Some("authorization");
    vec![
        ("preflight passes", preflight("PUT", auth), 204, GOOD, None),
        (
            "preflight 401 from the auth layer",
            preflight("GET", auth),
            401,
            &[],
            Some((CorsPreflightAuthBlocked, Detail::None)),
        ),
        (
            "preflight 403 from the auth layer, even with CORS headers",
            preflight("GET", auth),
            403,
            GOOD,
            Some((CorsPreflightAuthBlocked, Detail::None)),
        ),
        (
            "preflight 404",
            preflight("GET", auth),
            404,
            &[],
            Some((CorsPreflightNotOk, Detail::None)),
        ),
        (
            "preflight 405",
            preflight("GET", auth),
            405,
            GOOD,
            Some((CorsPreflightNotOk, Detail::None)),
        ),
        (
            "preflight redirected",
            preflight("GET", auth),
            302,
            GOOD,
            Some((CorsPreflightNotOk, Detail::None)),
        ),
        (
            "preflight without ACAO",
            preflight("GET", auth),
            204,
            &[(ACAH, "authorization")],
            Some((CorsOriginNotAllowed, Detail::None)),
        ),
        (
            "preflight for another origin",
            preflight("GET", auth),
            204,
            &[(ACAO, "https://xaa.dev"), (ACAH, "authorization")],
            Some((CorsOriginNotAllowed, Detail::None)),
        ),
        (
            "preflight with two ACAO headers",
            preflight("GET", auth),
            204,
            &[(ACAO, PAGE), (ACAO, PAGE), (ACAH, "authorization")],
            Some((CorsAllowOriginMultiple, Detail::None)),
        ),
        (
            "preflight with an ACAO list",
            preflight("GET", auth),
            204,
            &[(ACAO, "http://localhost:5173, https://xaa.dev")],
            Some((CorsAllowOriginMultiple, Detail::None)),
        ),
        (
            "method not listed",
            preflight("PUT", auth),
            204,
            &[(ACAO, PAGE), (ACAM, "GET, POST"), (ACAH, "authorization")],
            Some((CorsMethodNotAllowed, Detail::None)),
        ),
        (
            "method case differs (compared byte for byte)",
            preflight("PATCH", None),
            204,
            &[(ACAO, PAGE), (ACAM, "patch")],
            Some((CorsMethodNotAllowed, Detail::None)),
        ),
        (
            "method wildcard without credentials",
            preflight("DELETE", None),
            204,
            &[(ACAO, "*"), (ACAM, "*")],
            None,
        ),
        (
            "safelisted method needs no ACAM",
            preflight("POST", Some("x-trace")),
            204,
            &[(ACAO, PAGE), (ACAH, "X-Trace")],
            None,
        ),
        (
            "ACAH without authorization",
            preflight("GET", Some("authorization,content-type")),
            204,
            &[(ACAO, PAGE), (ACAH, "content-type")],
            Some((CorsHeaderNotAllowed, Detail::Authorization)),
        ),
        (
            "ACAH `*` with authorization: against the standard, yet browsers accept it",
            preflight("GET", auth),
            204,
            &[(ACAO, PAGE), (ACAH, "*")],
            None,
        ),
        (
            "ACAH without content-type",
            preflight("POST", Some("authorization,content-type")),
            204,
            &[(ACAO, PAGE), (ACAH, "Authorization")],
            Some((CorsHeaderNotAllowed, Detail::ContentType)),
        ),
        (
            "ACAH without a custom header",
            preflight("GET", Some("authorization,x-request-id")),
            204,
            &[
                (ACAO, PAGE),
                (ACAH, "authorization"),
                (ACAH, "content-type"),
            ],
            Some((CorsHeaderNotAllowed, Detail::Other)),
        ),
        (
            "ACAH `*` covers custom headers",
            preflight("GET", Some("x-request-id")),
            204,
            &[(ACAO, PAGE), (ACAH, "*")],
            None,
        ),
        ("actual call allowed", FETCH, 200, &[(ACAO, PAGE)], None),
        ("actual call, wildcard", FETCH, 200, &[(ACAO, "*")], None),
        (
            "actual call without ACAO",
            FETCH,
            200,
            &[],
            Some((CorsOriginNotAllowed, Detail::None)),
        ),
        (
            "actual call, trailing slash",
            FETCH,
            200,
            &[(ACAO, "http://localhost:5173/")],
            Some((CorsOriginNotAllowed, Detail::None)),
        ),
        (
            "actual call, two ACAO",
            FETCH,
            200,
            &[(ACAO, "*"), (ACAO, PAGE)],
            Some((CorsAllowOriginMultiple, Detail::None)),
        ),
        (
            "cookies with `*`",
            WITH_COOKIE,
            200,
            &[(ACAO, "*"), (ACAC, "true")],
            Some((CorsCredentialsConflict, Detail::None)),
        ),
        (
            "cookies without ACAC",
            WITH_COOKIE,
            200,
            &[(ACAO, PAGE)],
            Some((CorsCredentialsConflict, Detail::None)),
        ),
        (
            "cookies with ACAC `TRUE` (compared byte for byte)",
            WITH_COOKIE,
            200,
            &[(ACAO, PAGE), (ACAC, "TRUE")],
            Some((CorsCredentialsConflict, Detail::None)),
        ),
        (
            "cookies allowed",
            WITH_COOKIE,
            200,
            &[(ACAO, PAGE), (ACAC, "true")],
            None,
        ),
        (
            "401 with CORS headers is the auth cause alone",
            FETCH,
            401,
            &[(ACAO, PAGE)],
            Some((TokenMissing, Detail::None)),
        ),
    ]
}

#[test]
fn each_fetch_check_gives_its_cause_and_detail() {
    let policy = Policy::empty();
    for (name, call, status, headers, want) in rows() {
        let got = verdict(
            &call,
            &response(status, headers),
            History::default(),
            &policy,
        );
        assert_eq!(got.as_ref().map(|f| (f.cause, f.detail)), want, "{name}");
        if let Some(f) = got.filter(|f| f.cause.category() == Category::Cors) {
            assert_eq!(f.confidence, Confidence::Proxy, "{name}");
            assert_eq!(f.expected.origin.as_deref(), Some(PAGE), "{name}");
            assert!(f.hint.len() > 40, "{name}: {}", f.hint);
        }
    }
}

#[test]
fn every_cors_cause_and_detail_has_a_row() {
    let mut covered: HashSet<(Cause, Detail)> = rows().into_iter().filter_map(|r| r.4).collect();
    covered.insert((Cause::CorsHeadersMissingOnError, Detail::None));
    let missing: Vec<_> = known_pairs()
        .filter(|(c, _)| c.category() == Category::Cors)
        // `cors_header_not_allowed` always names which header.
        .filter(|(c, d)| !(*c == Cause::CorsHeaderNotAllowed && *d == Detail::None))
        .filter(|p| !covered.contains(p))
        .collect();
    assert!(missing.is_empty(), "no row for {missing:?}");
}

#[test]
fn same_origin_and_non_browser_traffic_is_never_flagged() {
    let policy = Policy::empty();
    let calls = [
        (
            "no Origin",
            Call {
                origin: None,
                ..FETCH
            },
        ),
        (
            "same origin",
            Call {
                origin: Some("http://127.0.0.1:8080"),
                ..FETCH
            },
        ),
        (
            "same origin, default port",
            Call {
                origin: Some("https://API.example.com"),
                host: "api.example.com:443",
                ..FETCH
            },
        ),
        (
            "same origin behind TLS termination",
            Call {
                origin: Some("https://api.example.com"),
                host: "api.example.com",
                ..FETCH
            },
        ),
    ];
    let answers: &[(u16, &[(&str, &str)])] = &[
        (200, &[]),
        (200, &[(ACAO, "https://xaa.dev")]),
        (204, &[(ACAO, "*"), (ACAO, "*")]),
        (500, &[]),
    ];
    for (name, call) in calls {
        for (status, headers) in answers {
            let got = verdict(
                &call,
                &response(*status, headers),
                History {
                    route_cors_on_success: true,
                    ..History::default()
                },
                &policy,
            );
            assert!(
                got.as_ref()
                    .is_none_or(|f| f.cause.category() != Category::Cors),
                "{name} {status}: {got:?}"
            );
        }
        let pf = Call {
            preflight: Some(("PUT", Some("authorization"))),
            ..call
        };
        let got = verdict(&pf, &response(401, &[]), History::default(), &policy);
        assert!(
            got.as_ref()
                .is_none_or(|f| f.cause.category() != Category::Cors),
            "{name} OPTIONS 401: {got:?}"
        );
    }
}

#[test]
fn forms_and_navigations_are_not_cors_requests() {
    let policy = Policy::empty();
    let run = |mode: &'static str| {
        let mut req = facts(&FETCH);
        req.fetch_mode = Some(HeaderValue::from_static(mode));
        classify(&crate::classify::Exchange {
            request: &req,
            token: None,
            outcome: &response(200, &[]),
            policy: &policy,
            history: History::default(),
            now: SystemTime::now(),
        })
        .failure
    };
    for mode in ["navigate", "no-cors", "same-origin"] {
        assert_eq!(run(mode), None, "{mode}");
    }
    assert_eq!(
        run("cors").map(|f| f.cause),
        Some(Cause::CorsOriginNotAllowed)
    );
}

#[test]
fn other_port_or_scheme_is_cross_origin() {
    let policy = Policy::empty();
    // The scheme only sets the default port (see `cors::is_same_origin`).
    for origin in [
        "http://127.0.0.1:8081",
        "https://127.0.0.1",
        "http://localhost:8080",
        "null",
    ] {
        let call = Call {
            origin: Some(origin),
            ..FETCH
        };
        let got = verdict(&call, &response(200, &[]), History::default(), &policy);
        assert_eq!(
            got.map(|f| f.cause),
            Some(Cause::CorsOriginNotAllowed),
            "{origin}"
        );
    }
}

#[test]
fn error_without_the_cors_headers_its_successes_carry_names_the_masked_cause() {
    let policy = Policy::empty();
    let seen = History {
        route_cors_on_success: true,
        ..History::default()
    };
    let f = verdict(&FETCH, &response(401, &[]), seen, &policy).expect("a failure");
    assert_eq!(f.cause, Cause::CorsHeadersMissingOnError);
    assert_eq!(f.secondary, vec![(Cause::TokenMissing, Detail::None)]);
    assert!(f.hint.contains("401"), "{}", f.hint);

    let f = verdict(&FETCH, &response(503, &[]), seen, &policy).expect("a failure");
    assert_eq!(f.cause, Cause::CorsHeadersMissingOnError);
    assert_eq!(
        f.secondary,
        vec![(Cause::UpstreamServerError, Detail::None)]
    );

    // Without evidence that successes carry CORS headers, the origin is simply not allowed,
    // and the masked 401 is still kept.
    let f = verdict(&FETCH, &response(401, &[]), History::default(), &policy).expect("a failure");
    assert_eq!(f.cause, Cause::CorsOriginNotAllowed);
    assert_eq!(f.secondary, vec![(Cause::TokenMissing, Detail::None)]);
    assert!(
        f.hint.contains("omits CORS headers on its errors"),
        "{}",
        f.hint
    );
}

#[test]
fn hints_word_the_configured_allow_list() {
    let mut policy = Policy::empty();
    policy.cors_allowed_origins = vec!["https://xaa.dev".into(), "https://app.xaa.dev".into()];
    let f = verdict(&FETCH, &response(200, &[]), History::default(), &policy).expect("a failure");
    assert!(
        f.hint.contains(
            "origin http://localhost:5173 is not in the allowed list [https://xaa.dev, https://app.xaa.dev]"
        ),
        "{}",
        f.hint
    );
    policy.cors_allowed_origins.push(PAGE.into());
    let f = verdict(
        &FETCH,
        &response(200, &[(ACAO, "https://xaa.dev")]),
        History::default(),
        &policy,
    )
    .expect("a failure");
    assert!(
        f.hint.contains("the API allowed origin https://xaa.dev"),
        "{}",
        f.hint
    );
    assert!(f.hint.contains("is in the allowed list"), "{}", f.hint);

    // The verdict is the upstream's: an allowed answer passes whatever the list says.
    let ok = Call {
        origin: Some("http://elsewhere.test"),
        ..FETCH
    };
    assert!(
        verdict(
            &ok,
            &response(200, &[(ACAO, "*")]),
            History::default(),
            &policy
        )
        .is_none()
    );
}

#[test]
fn hints_name_near_misses_and_the_auth_layer() {
    let policy = Policy::empty();
    let f = verdict(
        &FETCH,
        &response(200, &[(ACAO, "http://localhost:5173/")]),
        History::default(),
        &policy,
    )
    .expect("a failure");
    assert!(f.hint.contains("trailing slash"), "{}", f.hint);
    let pf = preflight("GET", Some("authorization"));
    let f = verdict(&pf, &response(401, &[]), History::default(), &policy).expect("a failure");
    assert!(
        f.hint.contains("let OPTIONS through before authentication"),
        "{}",
        f.hint
    );
}

#[test]
fn unfollowed_preflights_turn_a_wildcard_authorization_into_a_header_cause() {
    let policy = Policy::empty();
    let pf = preflight("PUT", Some("authorization"));
    let star: &[(&str, &str)] = &[(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "*")];
    assert!(verdict(&pf, &response(204, star), History::default(), &policy).is_none());
    let blocked = History {
        preflights_unfollowed: 1,
        ..History::default()
    };
    let f = verdict(&pf, &response(204, star), blocked, &policy).expect("a failure");
    assert_eq!(
        (f.cause, f.detail, f.confidence),
        (
            Cause::CorsHeaderNotAllowed,
            Detail::Authorization,
            Confidence::Heuristic
        )
    );
    assert!(f.hint.contains("never covers Authorization"), "{}", f.hint);
    assert!(f.hint.contains("1 earlier preflight(s)"), "{}", f.hint);
}

#[test]
fn unfollowed_preflights_turn_a_wildcard_pass_into_a_credentials_suspect() {
    let policy = Policy::empty();
    let pf = preflight("PUT", Some("authorization"));
    let wildcard: &[(&str, &str)] = &[(ACAO, "*"), (ACAM, "PUT"), (ACAH, "authorization")];
    let fresh = History::default();
    assert!(verdict(&pf, &response(204, wildcard), fresh, &policy).is_none());

    let blocked = History {
        preflights_unfollowed: 2,
        ..History::default()
    };
    let f = verdict(&pf, &response(204, wildcard), blocked, &policy).expect("a failure");
    assert_eq!(
        (f.cause, f.confidence),
        (Cause::CorsCredentialsConflict, Confidence::Heuristic)
    );
    assert!(f.hint.contains("2 earlier preflight(s)"), "{}", f.hint);
    // Without a wildcard there is nothing to name, however often the browser gave up.
    assert!(verdict(&pf, &response(204, GOOD), blocked, &policy).is_none());
    // A failing preflight carries the count in its hint.
    let f = verdict(&pf, &response(404, &[]), blocked, &policy).expect("a failure");
    assert!(f.hint.contains("2 earlier preflight(s)"), "{}", f.hint);
}

/// A call the browser refused once: the preflight passed authlens's check, its real request
/// never came, and its answer names why (issue 11, class 3). Judged when the window passes.
#[test]
fn a_preflight_unfollowed_once_names_what_its_answer_suggests() {
    let policy = Policy::empty();
    let pf = preflight("GET", Some("authorization"));
    let judge = |headers: &'static [(&'static str, &'static str)]| {
        crate::classify::unfollowed_preflight(&crate::classify::Exchange {
            request: &facts(&pf),
            token: None,
            outcome: &response(204, headers),
            policy: &policy,
            history: History::default(),
            now: SystemTime::now(),
        })
    };
    let star_with_credentials: &[(&str, &str)] = &[
        (ACAO, "*"),
        (ACAC, "true"),
        (ACAM, "GET"),
        (ACAH, "authorization"),
    ];
    let f = judge(star_with_credentials).expect("a failure");
    assert_eq!(
        (f.cause, f.confidence),
        (Cause::CorsCredentialsConflict, Confidence::Heuristic)
    );
    for words in [
        "never sent the real request",
        "Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true",
        &format!("echo origin {PAGE}"),
    ] {
        assert!(f.hint.contains(words), "{words}: {}", f.hint);
    }
    assert_eq!(f.expected.origin.as_deref(), Some(PAGE));

    let star_headers: &[(&str, &str)] = &[(ACAO, PAGE), (ACAM, "GET"), (ACAH, "*")];
    let f = judge(star_headers).expect("a failure");
    assert_eq!(
        (f.cause, f.detail),
        (Cause::CorsHeaderNotAllowed, Detail::Authorization)
    );
    // A clean answer names nothing: the page may simply have moved on.
    assert!(judge(GOOD).is_none());
    // Neither does a failing one: it was named when it was answered.
    assert!(judge(&[(ACAO, "http://elsewhere.test")]).is_none());
}
