//! End to end through the real binary: a real upstream that answers as JWT middlewares do, a
//! real key server, tokens minted in the test. For every authn cause and detail authlens can
//! prove on its own: the client's response is the upstream's, the log line names the cause,
//! detail and hint, and the failure counter moves.

mod support;
mod token_kit;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::collections::HashMap;
use support::upstream::reply;
use support::{Authlens, Upstream, send};
use token_kit::{AUD, Idp, TestKey, claims, now};

const CHALLENGE: &str = "Bearer realm=\"api\", error=\"invalid_token\"";
const BODY_401: &str = "{\"error\":\"invalid_token\"}";

/// 401 with a challenge by default; `/files/ok` 200, `/files/bare` 401 without a challenge,
/// `/files/skew` 401 with a `Date` an hour ahead.
async fn api() -> Upstream {
    Upstream::start(|req| async move {
        match req.uri().path() {
            "/files/ok" => reply(200, &[("content-type", "text/plain")], "files"),
            "/files/bare" => reply(401, &[("content-type", "text/plain")], "not logged in"),
            "/files/skew" => {
                let ahead = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
                let mut r = reply(401, &[("www-authenticate", CHALLENGE)], BODY_401);
                let date = http::HeaderValue::from_str(&httpdate::fmt_http_date(ahead));
                r.headers_mut().insert("date", date.expect("a date"));
                r
            }
            _ => reply(
                401,
                &[
                    ("www-authenticate", CHALLENGE),
                    ("content-type", "application/json"),
                ],
                BODY_401,
            ),
        }
    })
    .await
}

fn config(idp: &Idp, jwks_uri: &str) -> String {
    format!(
        "auth:\n  issuers:\n    - name: resource-as\n      issuer: {}\n      jwks_uri: {jwks_uri}\n      \
         audiences: [\"{AUD}\"]\n      algorithms: [RS256]\n      client_ids: [client-1]\n      \
         required_claims: [iss, exp, aud, sub]\n      jwks_timeout: 1s\n  identity_providers: [\"https://idp.example\"]\n\
         routes:\n  - name: files\n    path_prefix: /files\n",
        idp.issuer
    )
}

fn unsigned(header: Value, claims: &Value) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", enc(&header), enc(claims))
}

fn with(mut c: Value, k: &str, v: Value) -> Value {
    c[k] = v;
    c
}

struct Row {
    path: &'static str,
    authorization: Option<String>,
    query: &'static str,
    cause: &'static str,
    detail: &'static str,
    hint: String,
}

fn row(auth: Option<String>, cause: &'static str, detail: &'static str, hint: &str) -> Row {
    Row {
        path: "/files/x",
        authorization: auth,
        query: "",
        cause,
        detail,
        hint: hint.into(),
    }
}

fn bearer(t: &str) -> Option<String> {
    Some(format!("Bearer {t}"))
}

// Two threads: `wait_log` blocks its thread, and the key server must go on answering authlens's
// on-demand fetch meanwhile (on one thread that fetch timed out under load and was not `ok`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authn_cause_is_logged_counted_and_passed_through_unchanged() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    let upstream = api().await;
    let authlens = Authlens::start(&upstream.url(), &config(&idp, &idp.jwks_url()));
    let fetched_ok = "authlens_jwks_fetches_total{issuer=\"resource-as\",result=\"ok\"}";
    let iss = idp.issuer.clone();
    let good = || claims(&iss);
    let sign = |c: &Value| key.sign(c);
    let valid = sign(&good());
    let h = |typ: &str| {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("k1".into());
        h.typ = Some(typ.into());
        h
    };
    let parts: Vec<&str> = valid.split('.').collect();
    let port_part = iss.trim_start_matches("http://").to_string();

    let mut rows = vec![
        row(None, "token_missing", "", "no access token"),
        row(
            Some("Basic dXNlcjpwYXNz".into()),
            "auth_scheme_not_bearer",
            "basic",
            "Basic",
        ),
        row(
            Some("Token abc".into()),
            "auth_scheme_not_bearer",
            "other_scheme",
            "other than Bearer",
        ),
        row(
            Some(format!("Bearer  {valid}")),
            "auth_scheme_not_bearer",
            "malformed",
            "extra",
        ),
        Row {
            query: "?access_token=abc",
            ..row(
                bearer(&valid),
                "token_multiple_methods",
                "",
                "more than once",
            )
        },
        row(
            bearer("2YotnFZFEjr1zCsicMWpAA"),
            "token_malformed",
            "opaque",
            "opaque",
        ),
        row(
            bearer(&format!("{}.{}", parts[0], parts[1])),
            "token_malformed",
            "segments",
            "three",
        ),
        row(bearer("a.b.c.d.e"), "token_malformed", "jwe", "JWE"),
        row(
            bearer(&format!("{valid}=")),
            "token_malformed",
            "base64",
            "base64url",
        ),
        row(
            bearer(&format!("bm90IGpzb24.{}.{}", parts[1], parts[2])),
            "token_malformed",
            "json",
            "JSON",
        ),
        row(
            bearer(&key.sign_with(h("oauth-id-jag+jwt"), &good())),
            "id_jag_sent",
            "",
            "ID-JAG",
        ),
        row(
            bearer(&key.sign_with(h("JWT"), &with(good(), "nonce", json!("n")))),
            "id_token_sent",
            "",
            "ID token",
        ),
        row(
            bearer(&unsigned(json!({"alg": "none"}), &good())),
            "alg_not_allowed",
            "none",
            "unsigned (alg none)",
        ),
        row(
            bearer(
                &jsonwebtoken::encode(
                    &Header::new(Algorithm::HS256),
                    &good(),
                    &EncodingKey::from_secret(b"s"),
                )
                .unwrap(),
            ),
            "alg_not_allowed",
            "hmac",
            "signed with HS256",
        ),
        row(
            bearer(&key.sign_with(
                Header {
                    kid: Some("k1".into()),
                    ..Header::new(Algorithm::RS384)
                },
                &good(),
            )),
            "alg_not_allowed",
            "other",
            "signed with RS384 but this API accepts RS256",
        ),
        row(
            bearer(&TestKey::rsa("k9", Algorithm::RS256).sign(&good())),
            "kid_unknown",
            "",
            "kid k9 is not in the issuer's key set (kids: k1)",
        ),
        row(
            bearer(&TestKey::rsa("k1", Algorithm::RS256).sign(&good())),
            "signature_invalid",
            "",
            "published key k1",
        ),
        row(
            bearer(&sign(&with(good(), "iss", json!(format!("{iss}/"))))),
            "issuer_mismatch",
            "trailing_slash",
            &format!("iss is {iss}/ but this API trusts {iss} (trailing slash)"),
        ),
        row(
            bearer(&sign(&with(
                good(),
                "iss",
                json!(format!("https://{port_part}")),
            ))),
            "issuer_mismatch",
            "scheme",
            "(http vs https)",
        ),
        row(
            bearer(&sign(&with(
                good(),
                "iss",
                json!(format!("HTTP://{port_part}")),
            ))),
            "issuer_mismatch",
            "case",
            "(letter case)",
        ),
        row(
            bearer(&sign(&with(good(), "iss", json!("https://idp.example")))),
            "issuer_mismatch",
            "idp_issuer",
            "identity provider",
        ),
        row(
            bearer(&sign(&with(
                good(),
                "iss",
                json!("https://elsewhere.example"),
            ))),
            "issuer_mismatch",
            "other",
            "iss is https://elsewhere.example",
        ),
        row(
            bearer(&sign(&with(
                good(),
                "aud",
                json!("https://api.example.com"),
            ))),
            "audience_mismatch",
            "trailing_slash",
            "aud is https://api.example.com but this API expects https://api.example.com/ (trailing slash)",
        ),
        row(
            bearer(&sign(&with(
                good(),
                "aud",
                json!("http://api.example.com/"),
            ))),
            "audience_mismatch",
            "scheme",
            "(http vs https)",
        ),
        row(
            bearer(&sign(&with(
                good(),
                "aud",
                json!("https://API.example.com/"),
            ))),
            "audience_mismatch",
            "case",
            "(letter case)",
        ),
        row(
            bearer(&sign(&with(good(), "aud", json!(iss.clone())))),
            "audience_mismatch",
            "aud_is_issuer",
            "authorization server",
        ),
        row(
            bearer(&sign(&with(good(), "aud", json!("client-1")))),
            "audience_mismatch",
            "aud_is_client_id",
            "client id",
        ),
        row(
            bearer(&sign(&with(good(), "aud", json!("https://other.example/")))),
            "audience_mismatch",
            "other_resource",
            "another API",
        ),
        row(
            bearer(&sign(&token_kit_without(good(), "aud"))),
            "audience_mismatch",
            "missing",
            "has no aud",
        ),
        row(
            bearer(&sign(&with(good(), "exp", json!(now() - 3600)))),
            "token_expired",
            "",
            "expired",
        ),
        row(
            bearer(&sign(&with(good(), "nbf", json!(now() + 3600)))),
            "token_not_yet_valid",
            "",
            "not valid for another",
        ),
        row(
            bearer(&sign(&token_kit_without(good(), "sub"))),
            "required_claim_missing",
            "sub",
            "sub claim is absent",
        ),
        Row {
            path: "/files/bare",
            ..row(
                bearer(&valid),
                "upstream_auth_layer_absent",
                "",
                "not mounted",
            )
        },
        row(
            bearer(&valid),
            "upstream_rejected_valid_token",
            "",
            "passes every check",
        ),
        Row {
            path: "/files/skew",
            ..row(
                bearer(&valid),
                "clock_skew",
                "upstream_clock",
                "ahead of authlens's",
            )
        },
    ];
    // The last row is a success: nothing is logged as failed.
    rows.push(Row {
        path: "/files/ok",
        ..row(bearer(&valid), "", "", "")
    });

    let mut counts: HashMap<(&str, &str), f64> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let rid = format!("row-{i}");
        let uri = format!("{}{}{}", authlens.proxy, r.path, r.query);
        let direct = format!("{}{}{}", upstream.url(), r.path, r.query);
        let build = |u: &str| {
            let mut b = Request::get(u).header("x-request-id", rid.as_str());
            if let Some(a) = &r.authorization {
                b = b.header("authorization", a.as_str());
            }
            b.body(Full::new(Bytes::new())).unwrap()
        };
        let via = send(build(&uri)).await;
        let straight = send(build(&direct)).await;
        assert_eq!(via.status, straight.status, "{rid}");
        assert_eq!(
            via.body, straight.body,
            "{rid}: the body is the upstream's, byte for byte"
        );
        for name in ["www-authenticate", "content-type"] {
            assert_eq!(
                via.headers.get(name),
                straight.headers.get(name),
                "{rid}: {name}"
            );
        }
        if r.cause.is_empty() {
            continue;
        }
        let line =
            authlens.wait_log(|v| v["request_id"] == *rid && v["message"] == "exchange failed");
        assert_eq!(line["cause"], r.cause, "{rid}: {line}");
        assert_eq!(line["detail"], r.detail, "{rid}: {line}");
        assert_eq!(line["category"], "authn");
        let hint = line["hint"].as_str().unwrap_or_default();
        assert!(hint.contains(&r.hint), "{rid}: {hint}");
        assert!(
            !line.to_string().contains(parts[2]),
            "{rid}: no signature in the log"
        );
        if r.cause == "audience_mismatch" {
            assert_eq!(line["expected.aud"], AUD, "{rid}: {line}");
        }
        *counts.entry((r.cause, r.detail)).or_default() += 1.0;
    }
    for ((cause, detail), n) in counts {
        let series = format!(
            "authlens_failures_total{{category=\"authn\",cause=\"{cause}\",detail=\"{detail}\",route=\"files\"}}"
        );
        assert_eq!(authlens.metric(&series).await, n, "{series}");
    }
    let last = format!("row-{}", rows.len() - 1);
    assert!(
        !authlens
            .logs()
            .iter()
            .any(|v| v["request_id"] == *last && v["message"] == "exchange failed")
    );
    // The valid token was seen many times: later looks came from the cache.
    assert!(
        authlens
            .metric("authlens_token_cache_lookups_total{result=\"hit\"}")
            .await
            >= 1.0
    );
    // One fetch at start, one on demand for the unknown kid k9; none more (min refetch).
    assert_eq!(authlens.metric(fetched_ok).await, 2.0);
}

fn token_kit_without(mut c: Value, k: &str) -> Value {
    if let Some(o) = c.as_object_mut() {
        o.remove(k);
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_server_down_for_the_whole_test_never_stops_traffic() {
    let key = TestKey::ec("k1");
    let idp = Idp::start("", &[&key]).await;
    idp.set(|s| s.fail = Some(503));
    let upstream = api().await;
    let authlens = Authlens::start(
        &upstream.url(),
        &config(&idp, &idp.jwks_url()).replace("RS256", "ES256"),
    );
    for i in 0..10 {
        let mut c = claims(&idp.issuer);
        c["jti"] = json!(format!("j{i}"));
        let token = key.sign(&c);
        let path = if i % 2 == 0 { "/files/ok" } else { "/files/x" };
        let req = Request::get(format!("{}{path}", authlens.proxy))
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let reply = send(req).await;
        let want = if i % 2 == 0 { 200 } else { 401 };
        assert_eq!(reply.status.as_u16(), want, "request {i} was proxied");
    }
    let series = "authlens_failures_total{category=\"authn\",cause=\"jwks_fetch_failed\",detail=\"\",route=\"files\"}";
    assert_eq!(authlens.wait_metric(series, 5.0).await, 5.0);
    assert_eq!(
        authlens
            .wait_metric(
                "authlens_requests_total{method=\"GET\",route=\"files\",status_class=\"2xx\"}",
                5.0
            )
            .await,
        5.0
    );
    assert!(
        authlens
            .metric("authlens_jwks_fetches_total{issuer=\"resource-as\",result=\"http_error\"}")
            .await
            >= 1.0
    );
    let line = authlens.wait_log(|v| v["message"] == "jwks fetch failed");
    assert_eq!(line["result"], "http_error");
    assert!(
        line["error"].as_str().is_some_and(|e| e.contains("503")),
        "{line}"
    );
}
