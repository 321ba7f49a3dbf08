//! Logs and metrics agree one for one (CONTRACT §2): traffic through the real authlens binary
//! that produces every cause this suite can make on one sidecar (token, scheme, scope, CORS
//! with a masked 401, a one-shot unfollowed preflight, key-set fetch failure, server error,
//! timeout, a client that hangs up), then the log lines counted by `cause` and
//! `secondary_causes` must equal the `authlens_failures_total` deltas, cause by cause. The
//! key-set fetch failure's own background line carries no `cause`.

mod support;
mod token_kit;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::agree::{delta, failures_by_cause, logged_by_cause};
use support::upstream::reply;
use support::{Authlens, Upstream, send};
use token_kit::{AUD, Idp, TestKey, claims, now};

const PAGE: &str = "http://app.example";

/// The API: `/x/<how>/...` answers its own way.
async fn api(req: Request<hyper::body::Incoming>) -> http::Response<support::upstream::Body> {
    let path = req.uri().path().to_string();
    let how = path.split('/').nth(2).unwrap_or("").to_string();
    let preflight = req.method() == http::Method::OPTIONS;
    let echo = req
        .headers()
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let acao = |v: &str| ("access-control-allow-origin", v.to_string());
    let allow = [
        ("access-control-allow-methods", "GET, PUT".to_string()),
        ("access-control-allow-headers", "authorization".to_string()),
    ];
    let owned = |status, hs: Vec<(&str, String)>| {
        let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        reply(status, &hs, "")
    };
    let challenge = |v: &str| ("www-authenticate", v.to_string());
    match (how.as_str(), preflight) {
        ("slow", _) => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            reply(200, &[], "late")
        }
        ("boom", _) => reply(503, &[], "down"),
        ("bare400", _) => owned(400, vec![challenge("Bearer realm=\"api\"")]),
        ("nochallenge", _) => reply(401, &[], "no"),
        ("expiredwords", _) => owned(
            401,
            vec![challenge(
                "Bearer error=\"invalid_token\", error_description=\"jwt expired\"",
            )],
        ),
        ("scoped", _) => owned(
            403,
            vec![challenge(
                "Bearer error=\"insufficient_scope\", scope=\"files.read\"",
            )],
        ),
        ("denied", _) => reply(403, &[], "{\"message\":\"only the owner\"}"),
        ("pf401", true) => owned(401, vec![challenge("Bearer")]),
        ("pf404", true) => reply(404, &[], ""),
        ("wrongorigin", true) => owned(
            204,
            [vec![acao("https://other.example")], allow.to_vec()].concat(),
        ),
        ("twoorigins", true) => owned(
            204,
            [vec![acao(&echo), acao(&echo)], allow.to_vec()].concat(),
        ),
        ("noauthheader", true) => owned(
            204,
            vec![
                acao(&echo),
                ("access-control-allow-methods", "GET".into()),
                ("access-control-allow-headers", "content-type".into()),
            ],
        ),
        ("nomethod", true) => owned(
            204,
            vec![
                acao(&echo),
                ("access-control-allow-methods", "GET".into()),
                ("access-control-allow-headers", "authorization".into()),
            ],
        ),
        ("oneshot", true) => owned(
            204,
            [
                vec![
                    acao("*"),
                    ("access-control-allow-credentials", "true".into()),
                ],
                allow.to_vec(),
            ]
            .concat(),
        ),
        ("cookiestar", false) => owned(
            200,
            vec![
                acao("*"),
                ("access-control-allow-credentials", "true".into()),
            ],
        ),
        // CORS headers on success, none on the 401: the browser hides the real cause.
        ("masked", false) if req.headers().get("x-fail").is_some() => {
            owned(401, vec![challenge("Bearer error=\"invalid_token\"")])
        }
        ("masked", false) => owned(200, vec![acao(&echo)]),
        (_, true) => owned(204, [vec![acao(&echo)], allow.to_vec()].concat()),
        _ => owned(401, vec![challenge("Bearer error=\"invalid_token\"")]),
    }
}

/// One request: method, path, headers.
type Call = (&'static str, &'static str, Vec<(&'static str, String)>);

fn calls(key: &TestKey, stranger: &TestKey, idp: &str, broken: &str) -> Vec<Call> {
    let good = || claims(idp);
    let with = |k: &str, v: Value| {
        let mut c = good();
        c[k] = v;
        c
    };
    let bearer = |t: String| vec![("authorization", format!("Bearer {t}"))];
    let typed = |typ: &str, c: &Value| {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(key.kid.clone());
        h.typ = Some(typ.into());
        key.sign_with(h, c)
    };
    let hmac = {
        let mut h = Header::new(Algorithm::HS256);
        h.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&h, &good(), &jsonwebtoken::EncodingKey::from_secret(b"s"))
            .expect("hs256")
    };
    let browser = |extra: &[(&'static str, &str)]| {
        let mut h = vec![
            ("origin", PAGE.to_string()),
            ("sec-fetch-mode", "cors".to_string()),
        ];
        h.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        h
    };
    let preflight = |method: &str| {
        browser(&[
            ("access-control-request-method", method),
            ("access-control-request-headers", "authorization"),
        ])
    };
    let ok = key.sign(&good());
    let mut scp = with("scp", json!("files.read"));
    scp.as_object_mut().map(|c| c.remove("scope"));
    let mut masked = browser(&[("x-fail", "1")]);
    masked.extend(bearer(key.sign(&with("exp", json!(now() - 600)))));
    vec![
        // The API accepts nothing yet: a valid token rejected with no key words.
        ("GET", "/x/any", bearer(ok.clone())),
        ("GET", "/x/any", vec![]),
        (
            "GET",
            "/x/any",
            vec![("authorization", "Basic dXNlcjpwYXNz".into())],
        ),
        (
            "GET",
            "/x/any",
            vec![("authorization", format!("Token {ok}"))],
        ),
        (
            "GET",
            "/x/bare400",
            vec![("authorization", "Bearer".into())],
        ),
        ("GET", "/x/bare400", vec![]),
        ("GET", "/x/any?access_token=abc", bearer(ok.clone())),
        ("GET", "/x/any", bearer("opaque-token".into())),
        ("GET", "/x/any", bearer("eyJhbGciOiJSUzI1NiJ9.e30".into())),
        ("GET", "/x/any", bearer(typed("oauth-id-jag+jwt", &good()))),
        (
            "GET",
            "/x/any",
            bearer(typed("JWT", &with("nonce", json!("n")))),
        ),
        ("GET", "/x/any", bearer(typed("JWT", &good()))),
        ("GET", "/x/any", bearer(hmac)),
        (
            "GET",
            "/x/any",
            bearer(TestKey::rsa("k-other", Algorithm::RS256).sign(&good())),
        ),
        ("GET", "/x/any", bearer(stranger.sign(&good()))),
        (
            "GET",
            "/x/any",
            bearer(key.sign(&with("iss", json!(format!("{idp}/"))))),
        ),
        (
            "GET",
            "/x/any",
            bearer(key.sign(&with("aud", json!(AUD.trim_end_matches('/'))))),
        ),
        (
            "GET",
            "/x/any",
            bearer(key.sign(&with("exp", json!(now() - 600)))),
        ),
        (
            "GET",
            "/x/any",
            bearer(key.sign(&with("nbf", json!(now() + 600)))),
        ),
        (
            "GET",
            "/x/any",
            bearer(key.sign(&with("exp", json!("soon")))),
        ),
        (
            "GET",
            "/x/any",
            bearer(key.sign(&with("iss", json!(broken)))),
        ),
        ("GET", "/x/nochallenge", bearer(ok.clone())),
        ("GET", "/x/expiredwords", bearer(ok.clone())),
        (
            "GET",
            "/x/scoped",
            bearer(key.sign(&with("scope", json!("openid")))),
        ),
        (
            "GET",
            "/x/scoped",
            bearer(key.sign(&with("scope", json!("files.read,files.write")))),
        ),
        (
            "GET",
            "/x/scoped",
            bearer(key.sign(&with("scope", json!("files:read")))),
        ),
        ("GET", "/x/scoped", bearer(key.sign(&scp))),
        ("GET", "/x/denied", bearer(ok.clone())),
        ("GET", "/x/boom", bearer(ok.clone())),
        ("GET", "/x/slow", bearer(ok.clone())),
        ("OPTIONS", "/x/pf401", preflight("GET")),
        ("OPTIONS", "/x/pf404", preflight("GET")),
        ("OPTIONS", "/x/wrongorigin", preflight("GET")),
        ("OPTIONS", "/x/twoorigins", preflight("GET")),
        ("OPTIONS", "/x/noauthheader", preflight("GET")),
        ("OPTIONS", "/x/nomethod", preflight("PUT")),
        ("GET", "/x/cookiestar", browser(&[("cookie", "session=1")])),
        ("GET", "/x/masked", browser(&[])),
        ("GET", "/x/masked", masked),
        // One preflight, never followed: named when its window passes.
        ("OPTIONS", "/x/oneshot", preflight("GET")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_counted_by_cause_equal_the_metric_deltas() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let stranger = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    let broken = Idp::start("/broken", &[&key]).await;
    broken.set(|s| s.fail = Some(503));
    let upstream = Upstream::start(api).await;
    let authlens = Authlens::with_config(
        &Authlens::config(
            &upstream.url(),
            &format!(
            "auth:\n  issuers:\n    - name: as\n      issuer: {}\n      jwks_uri: {}\n      audiences: [{AUD}]\n      \
             accepted_types: [at+jwt]\n    - name: broken\n      issuer: {}\n      jwks_uri: {}\n      audiences: [{AUD}]\n\
             routes:\n  - {{ name: scoped, path_prefix: /x/scoped, required_scopes: [files.read] }}\n\
             cors:\n  preflight_window: 1s\n",
            idp.issuer,
            idp.jwks_url(),
            broken.issuer,
            broken.jwks_url(),
        ),
        )
        .replace("upstream:\n  url:", "upstream:\n  response_timeout: 1s\n  url:"),
    );
    let before = failures_by_cause(&authlens.metrics().await);

    let calls = calls(&key, &stranger, &idp.issuer, &broken.issuer);
    for (method, path, headers) in &calls {
        let mut req = Request::builder()
            .method(*method)
            .uri(format!("{}{path}", authlens.proxy));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        send(req.body(Full::new(Bytes::new())).expect("request")).await;
    }
    // A client that hangs up before the slow answer comes.
    let hang_up = send(support::client::get(&format!("{}/x/slow", authlens.proxy)));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), hang_up)
            .await
            .is_err()
    );

    // Every line is in once the counts agree (or time runs out, and the diff is the failure).
    let started = Instant::now();
    let (logged, counted) = loop {
        let counted = delta(&before, &failures_by_cause(&authlens.metrics().await));
        let logged = logged_by_cause(&authlens.logs());
        let settled = counted.contains_key("client_aborted")
            && counted.contains_key("cors_credentials_conflict")
            && counted.get("cors_credentials_conflict") == Some(&2);
        if (logged == counted && settled) || started.elapsed() > Duration::from_secs(10) {
            break (logged, counted);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        logged, counted,
        "log lines by cause vs failure metric deltas"
    );

    // Every cause the traffic is meant to produce is there (masked ones through secondary_causes).
    for cause in [
        "upstream_auth_layer_absent",
        "upstream_rejected_valid_token",
        "token_missing",
        "auth_scheme_not_bearer",
        "token_multiple_methods",
        "token_malformed",
        "id_jag_sent",
        "id_token_sent",
        "typ_rejected",
        "alg_not_allowed",
        "kid_unknown",
        "signature_invalid",
        "issuer_mismatch",
        "audience_mismatch",
        "token_expired",
        "token_not_yet_valid",
        "required_claim_missing",
        "jwks_fetch_failed",
        "clock_skew",
        "scope_missing",
        "scope_delimiter_wrong",
        "scope_name_mismatch",
        "scope_claim_name_mismatch",
        "forbidden_other",
        "upstream_server_error",
        "upstream_response_timeout",
        "client_aborted",
        "cors_preflight_auth_blocked",
        "cors_preflight_not_ok",
        "cors_origin_not_allowed",
        "cors_allow_origin_multiple",
        "cors_header_not_allowed",
        "cors_method_not_allowed",
        "cors_credentials_conflict",
        "cors_headers_missing_on_error",
    ] {
        assert!(
            counted.contains_key(cause),
            "{cause} not produced: {counted:?}"
        );
    }
    println!(
        "{} causes, {} failures: {counted:?}",
        counted.len(),
        counted.values().sum::<u64>()
    );

    // The masked 401 is counted under authn too, and named on the CORS line.
    let masked = authlens.wait_log(|v| v["cause"] == "cors_headers_missing_on_error");
    assert_eq!(masked["secondary_causes"], "token_expired", "{masked}");
    // The key-set fetch failure is a background event: what happened, no cause.
    let fetch = authlens.wait_log(|v| v["message"] == "jwks fetch failed");
    assert!(fetch.get("cause").is_none(), "{fetch}");
    assert_eq!(fetch["event"], "jwks_fetch", "{fetch}");
}
