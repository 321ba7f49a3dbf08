//! One row per 403 situation: a route's config, the token's scope claims and verdict, and the
//! 403 as a real middleware words it; through the public `classify`.

use crate::cause::{Cause, Confidence, Detail};
use crate::classify::tests::request;
use crate::classify::{Exchange, classify};
use crate::evidence::token::{
    Check, ClaimFacts, Fingerprint, HeaderFacts, Presented, ScopeClaim, TokenReport, Verdict,
    extract,
};
use crate::facts::{History, Outcome, ResponseFacts};
use crate::policy::ScopeMatch;
use crate::policy::{PathMatch, Policy, RoutePolicy, Routes, ScopeRule};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use std::time::SystemTime;

const EXPRESS: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="files.read""#;
const EXPRESS_TWO: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="files.read files.write""#;
const EXPRESS_WRITE: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="files.write""#;
const EXPRESS_JOINED: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="files.read,files.write""#;
const SPRING: &str = r#"Bearer error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token.", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1""#;
const GOJWTMW_ISS: &str = r#"Bearer error="insufficient_scope", error_description="The access token was issued by an untrusted issuer""#;
const ENVOY: &str = r#"Bearer realm="http://api/files", error="invalid_token""#;

#[derive(Clone, Copy)]
struct Route {
    required: &'static [&'static str],
    matching: ScopeMatch,
    claim: &'static str,
}

const FILES_READ: Option<Route> = Some(Route {
    required: &["files.read"],
    matching: ScopeMatch::All,
    claim: "scope",
});
const READ_WRITE: Option<Route> = Some(Route {
    required: &["files.read", "files.write"],
    matching: ScopeMatch::All,
    claim: "scope",
});

struct Case {
    name: &'static str,
    route: Option<Route>,
    token: Option<Vec<(&'static str, ScopeClaim)>>,
    verdict: Verdict,
    header: Option<&'static str>,
    body: Option<&'static str>,
    want: (Cause, Detail, Confidence),
    hint_has: &'static [&'static str],
}

fn text(s: &str) -> ScopeClaim {
    ScopeClaim::Text(s.into())
}

fn list(items: &[&str]) -> ScopeClaim {
    ScopeClaim::List(items.iter().map(|s| s.to_string()).collect())
}

fn scope(s: &str) -> Option<Vec<(&'static str, ScopeClaim)>> {
    Some(vec![("scope", text(s))])
}

fn invalid(cause: Cause, expected: &str, actual: &str) -> Verdict {
    Verdict::Invalid(Check {
        cause,
        detail: Detail::None,
        expected: Some(expected.into()),
        actual: Some(actual.into()),
        skew_secs: None,
    })
}

fn base() -> Case {
    Case {
        name: "",
        route: None,
        token: scope("profile"),
        verdict: Verdict::Valid,
        header: None,
        body: None,
        want: (Cause::ForbiddenOther, Detail::None, Confidence::Upstream),
        hint_has: &[],
    }
}

fn run(case: &Case) -> crate::classify::Classification {
    let routes = case.route.map_or_else(Vec::new, |r| {
        vec![RoutePolicy {
            name: "files".into(),
            path: PathMatch::Prefix("/files".into()),
            methods: vec![],
            scopes: ScopeRule {
                required: r.required.iter().map(|s| s.to_string()).collect(),
                matching: r.matching,
                claim: r.claim.into(),
            },
            protected: true,
        }]
    });
    let policy = Policy {
        routes: Routes::new(routes),
        ..Policy::empty()
    };
    let mut auth = HeaderMap::new();
    auth.insert("authorization", HeaderValue::from_static("Bearer a.b.c"));
    let mut req = request(extract(&auth, &"/files".parse().unwrap()));
    assert!(matches!(req.credentials, Presented::Bearer(_)));
    req.route = policy.routes.find(&req.method, req.path());
    let report = case.token.as_ref().map(|claims| TokenReport {
        fingerprint: Fingerprint::of("a.b.c"),
        header: HeaderFacts::default(),
        claims: ClaimFacts {
            scopes: claims
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
            ..Default::default()
        },
        issuer: Some(0),
        verdict: case.verdict.clone(),
    });
    let mut headers = HeaderMap::new();
    if let Some(h) = case.header {
        headers.insert("www-authenticate", HeaderValue::from_static(h));
    }
    if let Some(b) = case.body {
        let ct = if b.starts_with('{') {
            "application/json"
        } else {
            "text/plain"
        };
        headers.insert("content-type", HeaderValue::from_static(ct));
    }
    let mut resp = ResponseFacts::from_head(StatusCode::FORBIDDEN, &headers, false);
    resp.body = case.body.map(|b| Bytes::from_static(b.as_bytes()));
    let outcome = Outcome::Response(resp);
    classify(&Exchange {
        request: &req,
        token: report.as_ref(),
        outcome: &outcome,
        policy: &policy,
        history: History::default(),
        now: SystemTime::now(),
    })
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Cause::*;
    use Confidence::*;
    let n = Detail::None;
    vec![
        // scope_missing
        Case { name: "missing, both say so, API names the scope", route: FILES_READ, header: Some(EXPRESS),
            want: (ScopeMissing, n, Both), hint_has: &["`files.read`", "the API asks for `files.read`"], ..base() },
        Case { name: "missing, bare ASP.NET 403, proxy proves it", route: FILES_READ,
            want: (ScopeMissing, n, Proxy), hint_has: &["`files.read`", "route `files`"], ..base() },
        Case { name: "missing one of two", route: READ_WRITE, token: scope("files.read"), header: Some(EXPRESS_TWO),
            want: (ScopeMissing, n, Both), hint_has: &["lacks scope `files.write`"], ..base() },
        Case { name: "unconfigured route, API names the scope", header: Some(EXPRESS),
            want: (ScopeMissing, Detail::RouteNotConfigured, Upstream), hint_has: &["lacks scope `files.read`", "required_scopes"], ..base() },
        Case { name: "unconfigured route, Spring names none", header: Some(SPRING),
            want: (ScopeMissing, Detail::RouteNotConfigured, Upstream), hint_has: &["does not name it"], ..base() },
        Case { name: "config satisfied but the API wants more", route: FILES_READ, token: scope("files.read"), header: Some(EXPRESS_WRITE),
            want: (ScopeMissing, Detail::RouteNotConfigured, Upstream), hint_has: &["`files.write`", "miss what the API wants"], ..base() },
        // scope_delimiter_wrong
        Case { name: "comma-separated scope string", route: READ_WRITE, token: scope("files.read,files.write"), header: Some(EXPRESS_TWO),
            want: (ScopeDelimiterWrong, n, Both), hint_has: &["comma-separated"], ..base() },
        Case { name: "array in `scope`", route: FILES_READ, token: Some(vec![("scope", list(&["files.read"]))]),
            want: (ScopeDelimiterWrong, n, Proxy), hint_has: &["an array where a space-separated string is expected"], ..base() },
        Case { name: "string in `permissions`", route: Some(Route { claim: "permissions", ..FILES_READ.unwrap() }),
            token: Some(vec![("permissions", text("files.read"))]),
            want: (ScopeDelimiterWrong, n, Proxy), hint_has: &["a string where an array is expected"], ..base() },
        Case { name: "array of joined strings", route: Some(Route { claim: "scp", ..READ_WRITE.unwrap() }),
            token: Some(vec![("scp", list(&["files.read files.write"]))]),
            want: (ScopeDelimiterWrong, n, Proxy), hint_has: &["an array of joined strings"], ..base() },
        Case { name: "array of joined strings under another claim", route: READ_WRITE, token: Some(vec![("scp", list(&["files.read files.write"]))]),
            want: (ScopeClaimNameMismatch, n, Proxy), hint_has: &["`scp`"], ..base() },
        Case { name: "the API's own scope joined with commas", token: scope("files.read files.write"), header: Some(EXPRESS_JOINED),
            want: (ScopeDelimiterWrong, n, Upstream), hint_has: &["`files.read,files.write` as one comma-joined scope"], ..base() },
        Case { name: "unconfigured route, only the token's commas tell", token: scope("files.read,files.write"), header: Some(SPRING),
            want: (ScopeDelimiterWrong, n, Heuristic), hint_has: &["comma-separated"], ..base() },
        // scope_name_mismatch
        Case { name: "colon", route: FILES_READ, token: scope("openid files:read"), header: Some(EXPRESS),
            want: (ScopeNameMismatch, n, Both), hint_has: &["needs scope `files.read`", "has `files:read`"], ..base() },
        Case { name: "order", route: FILES_READ, token: scope("read:files"),
            want: (ScopeNameMismatch, n, Proxy), hint_has: &["has `read:files`"], ..base() },
        Case { name: "case", route: FILES_READ, token: scope("Files.Read"),
            want: (ScopeNameMismatch, n, Proxy), hint_has: &["has `Files.Read`"], ..base() },
        Case { name: "unconfigured route, API names the scope", token: scope("Files.Read"), header: Some(EXPRESS),
            want: (ScopeNameMismatch, n, Upstream), hint_has: &["has `Files.Read`", "the API asks for `files.read`"], ..base() },
        Case { name: "any-of with one twin", route: Some(Route { required: &["files.read", "files.admin"], matching: ScopeMatch::Any, claim: "scope" }),
            token: scope("Files.Admin"),
            want: (ScopeNameMismatch, n, Proxy), hint_has: &["`files.admin`"], ..base() },
        // scope_claim_name_mismatch
        Case { name: "scp string", route: FILES_READ, token: Some(vec![("scp", text("files.read"))]), header: Some(EXPRESS),
            want: (ScopeClaimNameMismatch, n, Both), hint_has: &["in `scp` but the API reads `scope`"], ..base() },
        Case { name: "permissions array", route: FILES_READ, token: Some(vec![("scope", text("openid")), ("permissions", list(&["files.read"]))]),
            want: (ScopeClaimNameMismatch, n, Proxy), hint_has: &["`permissions`"], ..base() },
        Case { name: "API reads scp, token has scope", route: Some(Route { claim: "scp", ..FILES_READ.unwrap() }), token: scope("files.read"),
            want: (ScopeClaimNameMismatch, n, Proxy), hint_has: &["in `scope` but the API reads `scp`"], ..base() },
        Case { name: "unconfigured route, API names the scope, token has it in scopes", token: Some(vec![("scopes", list(&["files.read"]))]), header: Some(EXPRESS),
            want: (ScopeClaimNameMismatch, n, Upstream), hint_has: &["`scopes`"], ..base() },
        Case { name: "unconfigured route, no scope claim at all but scp", token: Some(vec![("scp", text("files.read"))]), header: Some(SPRING),
            want: (ScopeClaimNameMismatch, n, Heuristic), hint_has: &["`scp`"], ..base() },
        // forbidden_other
        Case { name: "scopes satisfied, bare 403", route: FILES_READ, token: scope("files.read"),
            want: (ForbiddenOther, n, Proxy), hint_has: &["every scope"], ..base() },
        Case { name: "any-of satisfied", route: Some(Route { required: &["files.read", "files.admin"], matching: ScopeMatch::Any, claim: "scope" }),
            token: scope("files.admin"), want: (ForbiddenOther, n, Proxy), ..base() },
        Case { name: "unconfigured, bare 403 with an app body", body: Some(r#"{"message":"not the owner of this file"}"#),
            want: (ForbiddenOther, n, Upstream), hint_has: &["role, tenant or ownership"], ..base() },
        Case { name: "no token report at all", token: None, want: (ForbiddenOther, n, Upstream), ..base() },
        // authn reported as 403
        Case { name: "Envoy audience 403, proxy agrees", route: FILES_READ, token: scope("files.read"),
            verdict: invalid(AudienceMismatch, "https://api.example.com/", "https://api.example.com"),
            header: Some(ENVOY), body: Some("Audiences in Jwt are not allowed"),
            want: (AudienceMismatch, n, Both), hint_has: &["expected `https://api.example.com/`", "wrong status"] },
        Case { name: "go-jwt-middleware issuer 403, proxy cannot tell", route: FILES_READ, token: scope("files.read"),
            verdict: Verdict::Unverified, header: Some(GOJWTMW_ISS),
            want: (IssuerMismatch, n, Upstream), hint_has: &["`issuer_mismatch`"], ..base() },
        Case { name: "older Kong 403", token: None, body: Some(r#"{"message":"Invalid signature"}"#),
            want: (SignatureInvalid, n, Upstream), ..base() },
        Case { name: "proxy check beats an insufficient_scope", route: FILES_READ,
            verdict: invalid(IssuerMismatch, "https://auth.resource.xaa.dev", "https://auth.resource.xaa.dev/"),
            header: Some(EXPRESS), want: (IssuerMismatch, n, Proxy), hint_has: &["`issuer_mismatch`"], ..base() },
    ]
}

#[test]
fn every_403_situation_gets_its_cause() {
    let mut wrong = Vec::new();
    for case in cases() {
        let c = run(&case);
        let Some(f) = c.failure else {
            wrong.push(format!("{}: no failure", case.name));
            continue;
        };
        if (f.cause, f.detail, f.confidence) != case.want {
            wrong.push(format!(
                "{}: got {:?}/{:?}/{:?}: {}",
                case.name, f.cause, f.detail, f.confidence, f.hint
            ));
        }
        for needle in case.hint_has {
            if !f.hint.contains(needle) {
                wrong.push(format!("{}: hint lacks {needle:?}: {}", case.name, f.hint));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn expected_scope_is_logged_for_scope_causes() {
    let case = Case {
        route: READ_WRITE,
        token: scope("files.read"),
        ..base()
    };
    let f = run(&case).failure.unwrap();
    assert_eq!(f.expected.scope.as_deref(), Some("files.read files.write"));
    let case = Case {
        header: Some(EXPRESS),
        ..base()
    };
    let f = run(&case).failure.unwrap();
    assert_eq!(f.expected.scope.as_deref(), Some("files.read"));
}

#[test]
fn hostile_upstream_scope_stays_bounded_in_hints() {
    let header = format!(
        r#"Bearer error="insufficient_scope", scope="files.read{}""#,
        "\tx".repeat(5_000)
    );
    let case = Case {
        header: Some(header.leak()),
        ..base()
    };
    let f = run(&case).failure.unwrap();
    assert_eq!(f.cause, Cause::ScopeMissing);
    assert!(f.hint.len() < 1_000, "{}", f.hint.len());
    assert!(!f.hint.chars().any(char::is_control));
}
