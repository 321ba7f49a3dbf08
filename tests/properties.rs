//! Property tests (proptest, on stable) for every reader of outside bytes that the library
//! exposes: the `Authorization` header and the whole request head, JWT segments and claims,
//! form bodies, `WWW-Authenticate` challenges and JSON error bodies, CORS response headers,
//! `traceparent`, key-set documents and the config file. Each must never panic, must bound
//! what it returns, and must give back what a well-formed input says. The same readers are
//! the cargo-fuzz targets under `fuzz/`.

use authlens::config::{Overrides, load_str};
use authlens::evidence::challenge::parse::{MAX_CHALLENGES, challenges};
use authlens::evidence::challenge::{Answer, MAX_WORDS, words};
use authlens::evidence::token::decode::decode;
use authlens::evidence::token::{KeySet, ScopeClaim, extract, form_token};
use authlens::facts::trace_context::TraceContext;
use authlens::facts::{RequestFacts, ResponseFacts};
use authlens::policy::Routes;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, Uri};
use proptest::prelude::*;
use tokio::time::Instant;

fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

/// Header values as a client could send them (any byte but CR, LF and NUL).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        any::<u8>().prop_filter("no CR LF NUL", |b| !matches!(b, 0 | b'\r' | b'\n')),
        0..512,
    )
}

fn header(name: &'static str, value: &[u8]) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(value) {
        h.insert(HeaderName::from_static(name), v);
    }
    h
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn authorization_header_never_panics_and_bearer_round_trips(value in header_bytes(), token in "[A-Za-z0-9._~+/-]{1,200}") {
        let uri = Uri::from_static("/api");
        let _ = extract(&header("authorization", &value), &uri);
        let presented = extract(&header("authorization", format!("Bearer {token}").as_bytes()), &uri);
        prop_assert_eq!(presented.token().map(|t| t.as_str().to_string()), Some(token));
    }

    #[test]
    fn any_request_head_gives_facts(path in "/[ -~]{0,100}", names in prop::collection::vec("[a-z-]{1,20}", 0..20), value in header_bytes()) {
        let mut req = Request::get("/");
        if let Ok(uri) = path.parse::<Uri>() {
            req = Request::get(uri);
        }
        let mut req = req.body(()).unwrap();
        for n in &names {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(n.as_bytes()), HeaderValue::from_bytes(&value)) {
                req.headers_mut().append(n, v);
            }
        }
        for n in ["authorization", "origin", "traceparent", "x-request-id", "access-control-request-headers"] {
            if let Ok(v) = HeaderValue::from_bytes(&value) {
                req.headers_mut().append(HeaderName::from_static(n), v);
            }
        }
        let facts = RequestFacts::from_head(&req, &Routes::new(Vec::new()), "127.0.0.1:1".parse().unwrap());
        prop_assert!(facts.path().len() <= path.len().max(1));
    }

    #[test]
    fn jwt_segments_never_panic(token in "[ -~]{0,600}") {
        let _ = decode(&token);
    }

    #[test]
    fn jwt_claims_are_read_back(iss in "[ -~]{0,80}", exp in any::<i64>(), scopes in prop::collection::vec("[a-z:._-]{1,12}", 0..50), junk in "[ -~]{0,200}") {
        let claims = serde_json::json!({
            "iss": iss, "exp": exp, "scope": scopes.join(" "), "junk": junk,
            "nested": [[[[{"a": junk}]]]],
        });
        let token = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256","kid":"k"}"#), b64(&claims.to_string()));
        let d = decode(&token).expect("well-formed");
        prop_assert_eq!(d.claims.iss.as_deref(), Some(iss.as_str()));
        prop_assert_eq!(d.claims.exp, Some(exp));
        let scope = d.claims.scopes.iter().find(|(n, _)| n == "scope").map(|(_, s)| s.clone());
        prop_assert_eq!(scope, Some(ScopeClaim::Text(scopes.join(" "))));
    }

    #[test]
    fn arbitrary_claims_json_never_panics(claims in "[ -~]{0,400}", header in "[ -~]{0,100}") {
        let _ = decode(&format!("{}.{}.c2ln", b64(&header), b64(&claims)));
    }

    #[test]
    fn form_bodies_never_panic_and_the_token_round_trips(body in prop::collection::vec(any::<u8>(), 0..1024), token in "[A-Za-z0-9._-]{1,200}") {
        let _ = form_token(&body);
        let form = format!("a=1&access_token={token}&b=%ZZ");
        prop_assert_eq!(form_token(form.as_bytes()).map(|t| t.as_str().to_string()), Some(token));
    }

    #[test]
    fn challenges_are_bounded(values in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..2048), 0..4)) {
        let all = challenges(values.iter().map(Vec::as_slice));
        prop_assert!(all.len() <= MAX_CHALLENGES);
    }

    #[test]
    fn error_words_are_bounded(challenge in header_bytes(), body in prop::collection::vec(any::<u8>(), 0..9000), json_desc in "[ -~]{0,2000}", ct in prop::sample::select(vec!["application/json", "text/plain", "application/problem+json", "\u{0}"])) {
        let challenge = HeaderValue::from_bytes(&challenge).ok().into_iter().collect::<Vec<_>>();
        let ct = HeaderValue::from_str(ct).ok();
        for body in [body.clone(), serde_json::json!({"error": "invalid_token", "error_description": json_desc}).to_string().into_bytes()] {
            let w = words(&Answer { www_authenticate: &challenge, content_type: ct.as_ref(), body: Some(&body) });
            for field in [&w.www_authenticate, &w.error, &w.error_description] {
                prop_assert!(field.as_ref().is_none_or(|f| f.len() <= MAX_WORDS * 4));
            }
        }
    }

    #[test]
    fn cors_and_challenge_response_heads_never_panic(status in 100u16..600, values in prop::collection::vec(header_bytes(), 7)) {
        let mut h = HeaderMap::new();
        let names = ["access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-headers", "access-control-allow-methods", "access-control-expose-headers", "www-authenticate", "vary"];
        for (n, v) in names.iter().zip(&values) {
            if let Ok(v) = HeaderValue::from_bytes(v) {
                h.append(HeaderName::from_static(n), v.clone());
                h.append(HeaderName::from_static(n), v);
            }
        }
        let facts = ResponseFacts::from_head(StatusCode::from_u16(status).unwrap(), &h, true);
        let _ = facts.answer();
    }

    #[test]
    fn traceparent_is_always_well_formed_out(value in header_bytes(), id in "[0-9a-f]{32}", parent in "[0-9a-f]{16}") {
        let v = HeaderValue::from_bytes(&value).ok();
        let out = TraceContext::from_header(v.as_ref()).to_header();
        prop_assert_eq!(out.len(), 55);
        let good = HeaderValue::from_str(&format!("00-{id}-{parent}-01")).unwrap();
        let t = TraceContext::from_header(Some(&good));
        if id != "0".repeat(32) && parent != "0".repeat(16) {
            prop_assert_eq!(t.trace_id_hex(), id);
        }
    }

    #[test]
    fn key_set_documents_never_panic(doc in prop::collection::vec(any::<u8>(), 0..2048), kids in prop::collection::vec("[ -~]{0,20}", 0..30)) {
        let _ = KeySet::parse(&doc, None, Instant::now());
        let keys: Vec<_> = kids.iter().map(|k| serde_json::json!({"kty": "RSA", "kid": k, "n": "AQAB", "e": "AQAB"})).collect();
        let doc = serde_json::json!({"keys": keys}).to_string();
        let _ = KeySet::parse(doc.as_bytes(), None, Instant::now());
    }

    #[test]
    fn config_files_never_panic(text in "[ -~\n]{0,400}", value in "[ -~]{0,40}") {
        let _ = load_str(&text, &Overrides::default());
        for key in ["listen", "upstream", "routes", "auth", "downstream", "drain_timeout"] {
            let _ = load_str(&format!("{key}: {value}\nupstream:\n  url: {value}\n"), &Overrides::default());
        }
    }
}
