//! Interop: a REAL third-party resource-server middleware, Auth0's express-oauth2-jwt-bearer
//! from the npm registry, runs as the upstream (tests/interop/express, `npm ci` there). It
//! fetches its keys from a JWKS server this test starts on loopback and verifies real ES256
//! tokens minted here. Here authlens's classifier runs on the middleware's real answers;
//! tests/interop_express_proxy.rs runs the same rows through the authlens binary.
//!
//! Without `node_modules` the test is skipped with a message, unless CI=true.

mod interop;

use authlens::cause::{Cause, Detail};
use authlens::classify::{Exchange, classify};
use authlens::evidence::challenge::catalogue::Named;
use authlens::evidence::challenge::{cause_from_words, words};
use authlens::evidence::token::{ClaimFacts, Fingerprint, ScopeClaim, TokenReport, Verdict};
use authlens::facts::{History, Outcome, RequestFacts, ResponseFacts};
use authlens::policy::ScopeMatch;
use authlens::policy::{PathMatch, Policy, RoutePolicy, Routes, ScopeRule};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use interop::express::{ROWS, claims, now, start};
use interop::{Answer, Signer, get};
use serde_json::{Value, json};
use std::time::SystemTime;

/// The proxy keeps the first bytes of small error bodies; so does this test.
const BODY_KEPT: usize = 4096;

fn route(name: &str, path: PathMatch, scope: &str) -> RoutePolicy {
    RoutePolicy {
        name: name.into(),
        path,
        methods: vec![Method::GET],
        scopes: ScopeRule {
            required: vec![scope.into()],
            matching: ScopeMatch::All,
            claim: "scope".into(),
        },
        protected: true,
    }
}

/// What the token helper reports for these tokens: the claims as decoded. The verdict is
/// `Valid` because the middleware itself verified signature, issuer, audience and time for
/// every token used on the 403 paths (authlens's own verification is exercised elsewhere).
fn report(token: &str, claims: &Value) -> TokenReport {
    let scopes = ["scope", "scp", "scopes", "permissions"]
        .iter()
        .filter_map(|name| {
            let v = match claims.get(*name)? {
                Value::String(s) => ScopeClaim::Text(s.clone()),
                Value::Array(items) => ScopeClaim::List(
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(String::from))
                        .collect(),
                ),
                _ => return None,
            };
            Some((name.to_string(), v))
        })
        .collect();
    TokenReport {
        fingerprint: Fingerprint::of(token),
        header: Default::default(),
        claims: ClaimFacts {
            scopes,
            ..Default::default()
        },
        issuer: Some(0),
        verdict: Verdict::Valid,
    }
}

fn request_facts(policy: &Policy, path: &str, token: &str) -> RequestFacts {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    let uri: http::Uri = path.parse().expect("uri");
    let route = policy.routes.find(&Method::GET, uri.path());
    RequestFacts::offline(uri, &headers, route)
}

fn response_facts(answer: &Answer) -> ResponseFacts {
    let mut facts = ResponseFacts::from_head(answer.status, &answer.headers, false);
    facts.body = Some(answer.body.slice(..answer.body.len().min(BODY_KEPT)));
    facts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_oauth2_jwt_bearer_403s_are_named() {
    let signer = Signer::es256("k1");
    let Some((node, _jwks)) = start(&signer).await else {
        return;
    };
    let policy = Policy {
        routes: Routes::new(vec![
            route("file", PathMatch::template("/files/{id}"), "files.read"),
            route("files", PathMatch::Exact("/files".into()), "files.read"),
        ]),
        ..Policy::empty()
    };
    let mut wrong = Vec::new();
    for (what, path, scopes, cause, detail, confidence, hint) in ROWS {
        let claims = claims(serde_json::from_str(scopes).expect("row JSON"));
        let token = signer.sign(&claims);
        let answer = get(node.addr, path, Some(&token)).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{what}: express must answer 403"
        );
        let req = request_facts(&policy, path, &token);
        let report = report(&token, &claims);
        let outcome = Outcome::Response(response_facts(&answer));
        let c = classify(&Exchange {
            request: &req,
            token: Some(&report),
            outcome: &outcome,
            policy: &policy,
            history: History::default(),
            now: SystemTime::now(),
        });
        let f = c.failure.expect("a 403 is a failure");
        let got = (f.cause.label(), f.detail.label(), f.confidence.label());
        if got != (*cause, *detail, *confidence) || !f.hint.contains(hint) {
            wrong.push(format!(
                "{what}: got {got:?} ({}) from {:?}",
                f.hint, c.upstream_words
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// The same middleware's 401s: its real words must reach the catalogue's causes (the 401
/// verdict itself belongs to the authn classifier).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_oauth2_jwt_bearer_401_words_reach_the_catalogue() {
    let signer = Signer::es256("k1");
    let stranger = Signer::es256("k1"); // same kid, other key: a bad signature
    let Some((node, _jwks)) = start(&signer).await else {
        return;
    };
    let good = |extra: Value| signer.sign(&claims(extra));
    let rows: Vec<(&str, Option<String>, Named)> = vec![
        ("no token: a bare challenge names nothing", None, None),
        (
            "wrong audience",
            Some(good(json!({"aud": "https://other.example/"}))),
            Some((Cause::AudienceMismatch, Detail::None)),
        ),
        (
            "wrong issuer",
            Some(good(json!({"iss": "https://idp.example"}))),
            Some((Cause::IssuerMismatch, Detail::None)),
        ),
        (
            "expired",
            Some(good(json!({"exp": now() - 3600}))),
            Some((Cause::TokenExpired, Detail::None)),
        ),
        (
            "bad signature",
            Some(stranger.sign(&claims(json!({})))),
            Some((Cause::SignatureInvalid, Detail::None)),
        ),
        (
            "not a JWT",
            Some("opaque-token".into()),
            Some((Cause::TokenMalformed, Detail::None)),
        ),
    ];
    let mut wrong = Vec::new();
    for (what, token, want) in rows {
        let answer = get(node.addr, "/files", token.as_deref()).await;
        let w = words(&response_facts(&answer).answer());
        let got = cause_from_words(&w);
        // auth() failures carry two challenges in one header: Bearer (with the error), DPoP.
        let both = w
            .www_authenticate
            .as_deref()
            .is_some_and(|h| h.contains(", DPoP algs="));
        if answer.status != StatusCode::UNAUTHORIZED || got != want || !both {
            wrong.push(format!("{what}: {} {got:?} from {w:?}", answer.status));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
