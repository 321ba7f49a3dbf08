//! Step 2 through the binary: authlens fronts an IdP's token endpoint (RFC 8693 token exchange,
//! `requested_token_type=…:id-jag`). The IdP endpoint is written here from the ID-JAG draft's
//! processing rules (no registry package implements it); its keys, ID tokens and ID-JAGs are
//! made in the test. Each defect of taxonomy §1e Step 2 gets its cause, detail and hint, the
//! answer passes through byte-identical, and no ID token, ID-JAG or client secret leaves authlens.
//! Bad input (1 MiB body, JSON body, repeated parameters, a non-JWT subject token, malformed and
//! endless error answers) passes through unchanged.

mod support;
mod te_kit;
mod token_kit;

use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use support::agree::{assert_logs_agree, failures_by_cause};
use support::{Authlens, Upstream, send};
use te_kit::idp::{API, AS_ISSUER, ENDLESS_HEAD, json_reply, oauth_error, token_exchange};
use te_kit::*;
use token_kit::{Idp, TestKey, now};

struct Setup {
    _idp: Idp,
    server: Upstream,
    authlens: Authlens,
    key: Arc<TestKey>,
    issuer: String,
}

async fn setup() -> Setup {
    let key = Arc::new(TestKey::rsa("k1", jsonwebtoken::Algorithm::RS256));
    let idp = Idp::start("", &[&key]).await;
    let (k, issuer) = (key.clone(), idp.issuer.clone());
    let server = Upstream::start(move |req| {
        let (k, issuer) = (k.clone(), issuer.clone());
        async move {
            let path = req.uri().path().to_string();
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            match path.as_str() {
                "/token" => {
                    let mut r = token_exchange(body.clone(), &k, &issuer).await;
                    r.headers_mut().insert("x-received", body.len().into());
                    r
                }
                // The metadata names the issuer with a trailing slash: a discovery defect.
                "/.well-known/oauth-authorization-server" => json_reply(
                    200,
                    json!({
                        "issuer": format!("{issuer}/"), "token_endpoint": format!("{issuer}/token")
                    }),
                ),
                _ => oauth_error(404, "not_found", "no such endpoint"),
            }
        }
    })
    .await;
    let authlens = Authlens::start(
        &server.url(),
        &format!(
            "token_endpoints:\n  - name: idp_token\n    path: /token\n    issuer: {iss}\n    \
             trusted_issuers:\n      - name: idp\n        issuer: {iss}\n        jwks_uri: {jwks}\n    \
             client_ids: [app]\n    resources: [{AS_ISSUER}, {API}]\n    client_auth: client_secret_post\n  \
             - name: wrong_path\n    path: /oauth/token\n    discovery: false\n",
            iss = idp.issuer,
            jwks = idp.jwks_url()
        ),
    );
    let issuer = idp.issuer.clone();
    Setup {
        _idp: idp,
        server,
        authlens,
        key,
        issuer,
    }
}

/// One request: `pairs` as the form, a request id to find its log line.
struct Case {
    id: &'static str,
    pairs: Vec<(&'static str, String)>,
    headers: Vec<(&'static str, String)>,
    path: &'static str,
}

impl Setup {
    /// A valid token exchange's parameters, with `change` applied.
    fn exchange(
        &self,
        id: &'static str,
        change: impl FnOnce(&mut Vec<(&'static str, String)>),
    ) -> Case {
        let mut pairs = vec![
            ("grant_type", TOKEN_EXCHANGE.to_string()),
            ("requested_token_type", ID_JAG.to_string()),
            ("audience", AS_ISSUER.to_string()),
            ("resource", API.to_string()),
            ("scope", "files.read".to_string()),
            (
                "subject_token",
                self.key
                    .sign_with(header(&self.key), &id_token_claims(&self.issuer, "app")),
            ),
            ("subject_token_type", ID_TOKEN.to_string()),
            ("client_id", "app".to_string()),
            ("client_secret", SECRET_MARKER.to_string()),
        ];
        change(&mut pairs);
        Case {
            id,
            pairs,
            headers: vec![],
            path: "/token",
        }
    }

    async fn send(&self, c: &Case) -> support::Reply {
        let pairs: Vec<(&str, &str)> = c.pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut headers: Vec<(&str, &str)> =
            c.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        headers.push(("x-request-id", c.id));
        through(
            &self.authlens,
            &self.server.url(),
            c.path,
            &form(&pairs),
            &headers,
        )
        .await
    }
}

fn header(key: &TestKey) -> jsonwebtoken::Header {
    let mut h = jsonwebtoken::Header::new(key.alg);
    h.kid = Some(key.kid.clone());
    h
}

fn set(pairs: &mut [(&'static str, String)], name: &str, value: &str) {
    for (k, v) in pairs.iter_mut() {
        if *k == name {
            *v = value.to_string();
        }
    }
}

fn remove(pairs: &mut Vec<(&'static str, String)>, name: &str) {
    pairs.retain(|(k, _)| *k != name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_step_2_defect_is_named_and_passes_through() {
    let s = setup().await;
    let a = &s.authlens;
    let series = |cause: &str, detail: &str| {
        format!(
            "authlens_failures_total{{category=\"token_endpoint\",cause=\"{cause}\",detail=\"{detail}\",route=\"idp_token\"}}"
        )
    };
    let before = failures_by_cause(&a.metrics().await);
    // Pre-created at 0 before any traffic.
    assert!(a.metrics().await.contains(&format!(
        "{} 0",
        series("te_invalid_target", "trailing_slash")
    )));
    let mut secrets = vec![SECRET_MARKER.to_string()];

    // A good exchange: the ID-JAG reaches the client, nothing is logged as a failure.
    let ok = s.exchange("ok", |_| {});
    let reply = s.send(&ok).await;
    assert_eq!(reply.status, 200);
    let jag = serde_json::from_slice::<Value>(&reply.body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    secrets.push(jag);
    secrets.extend(
        ok.pairs
            .iter()
            .filter(|(k, _)| *k == "subject_token")
            .map(|(_, v)| v.clone()),
    );

    let other_key = TestKey::rsa("k1", jsonwebtoken::Algorithm::RS256);
    let mut no_sub = id_token_claims(&s.issuer, "app");
    no_sub.as_object_mut().unwrap().remove("sub");
    let mut expired = id_token_claims(&s.issuer, "app");
    expired["exp"] = (now() - 900).into();
    let mut stale_login = id_token_claims(&s.issuer, "app");
    stale_login["auth_time"] = (now() - 7200).into();
    let sign = |c: &Value| s.key.sign_with(header(&s.key), c);
    let forged = other_key.sign_with(header(&other_key), &id_token_claims(&s.issuer, "app"));
    let (to_other, no_sub, expired, stale_login) = (
        sign(&id_token_claims(&s.issuer, "other-app")),
        sign(&no_sub),
        sign(&expired),
        sign(&stale_login),
    );
    secrets.extend([
        forged.clone(),
        to_other.clone(),
        no_sub.clone(),
        expired.clone(),
        stale_login.clone(),
    ]);

    let basic = format!("Basic {}", {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("app:{SECRET_MARKER}"))
    });
    let rows: Vec<(Case, &str, &str, Vec<&str>)> = vec![
        (
            s.exchange("no-audience", |p| remove(p, "audience")),
            "te_missing_parameter",
            "audience",
            vec!["`audience`"],
        ),
        (
            s.exchange("no-grant", |p| remove(p, "grant_type")),
            "te_missing_parameter",
            "grant_type",
            vec!["`grant_type`"],
        ),
        (
            s.exchange("id_jag", |p| {
                set(
                    p,
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:id_jag",
                )
            }),
            "te_unsupported_grant_type",
            "requested_token_type",
            vec![ID_JAG, "id_jag`"],
        ),
        (
            s.exchange("grant-typo", |p| {
                set(
                    p,
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token_exchange",
                )
            }),
            "te_unsupported_grant_type",
            "grant_type",
            vec![TOKEN_EXCHANGE],
        ),
        (
            s.exchange("type", |p| {
                set(
                    p,
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:access_token",
                )
            }),
            "te_subject_token_invalid",
            "type",
            vec![ID_TOKEN],
        ),
        (
            // The ID token in the type's place (and its own): a secret in a plain parameter.
            s.exchange("swapped", |p| {
                let token = p
                    .iter()
                    .find(|(k, _)| *k == "subject_token")
                    .unwrap()
                    .1
                    .clone();
                set(p, "subject_token_type", &token);
            }),
            "te_subject_token_invalid",
            "type",
            vec!["(a token,"],
        ),
        (
            s.exchange("forged", |p| set(p, "subject_token", &forged)),
            "te_subject_token_invalid",
            "signature",
            vec!["signature_invalid"],
        ),
        (
            s.exchange("aud", |p| set(p, "subject_token", &to_other)),
            "te_subject_token_invalid",
            "aud_client_mismatch",
            vec!["`other-app`", "`app`"],
        ),
        (
            s.exchange("no-sub", |p| set(p, "subject_token", &no_sub)),
            "te_subject_token_invalid",
            "no_sub",
            vec!["sub"],
        ),
        (
            s.exchange("expired", |p| set(p, "subject_token", &expired)),
            "te_subject_token_invalid",
            "expired",
            vec!["log in again"],
        ),
        (
            s.exchange("opaque", |p| set(p, "subject_token", "not-a-jwt")),
            "te_subject_token_invalid",
            "type",
            vec!["not a JWT"],
        ),
        (
            s.exchange("slash", |p| set(p, "resource", API.trim_end_matches('/'))),
            "te_invalid_target",
            "trailing_slash",
            vec![API],
        ),
        (
            s.exchange("target", |p| {
                set(p, "resource", "https://elsewhere.example/")
            }),
            "te_invalid_target",
            "other",
            vec!["https://elsewhere.example/"],
        ),
        (
            s.exchange("comma", |p| set(p, "scope", "files.read,files.write")),
            "te_invalid_scope",
            "comma_separated",
            vec!["`files.read files.write`"],
        ),
        (
            s.exchange("scope", |p| set(p, "scope", "admin")),
            "te_invalid_scope",
            "other",
            vec!["`admin`"],
        ),
        (
            s.exchange("step-up", |p| set(p, "subject_token", &stale_login)),
            "te_step_up_required",
            "",
            vec!["max_age=3600"],
        ),
        (
            s.exchange("boom", |p| set(p, "scope", "boom")),
            "te_server_error",
            "",
            vec!["500", "database unavailable"],
        ),
        (
            s.exchange("secret", |p| set(p, "client_secret", "wrong-MARKER")),
            "te_invalid_client_credentials",
            "secret_or_deleted",
            vec!["`app`"],
        ),
        (
            s.exchange("basic", |p| {
                remove(p, "client_secret");
                remove(p, "client_id");
            }),
            "te_invalid_client_credentials",
            "auth_method",
            vec!["client_secret_basic", "client_secret_post"],
        ),
        (
            s.exchange("repeated", |p| p.push(("scope", "files.read".into()))),
            "te_missing_parameter",
            "other",
            vec!["`scope`", "more than once"],
        ),
        (
            Case {
                path: "/oauth/token",
                ..s.exchange("path", |_| {})
            },
            "te_token_endpoint_not_found",
            "",
            vec!["404", "/oauth/token"],
        ),
    ];
    secrets.push("wrong-MARKER".into());
    // The Basic credentials, whole and encoded, and every subject token sent.
    secrets.push(basic.trim_start_matches("Basic ").to_string());
    for (case, ..) in &rows {
        secrets.extend(
            case.pairs
                .iter()
                .filter(|(k, _)| *k == "subject_token")
                .map(|(_, v)| v.clone()),
        );
    }
    for (mut case, cause, detail, words) in rows {
        if case.id == "basic" {
            case.headers.push(("authorization", basic.clone()));
        }
        s.send(&case).await;
        let route = if case.path == "/token" {
            "idp_token"
        } else {
            "wrong_path"
        };
        let line = expect_line(a, case.id, cause, detail, &words);
        assert_eq!(line["route"], route);
        assert!(
            line["upstream.error"].is_string() || cause == "te_token_endpoint_not_found",
            "{line}"
        );
    }
    // A decoded subject token is in the log line, as facts and a fingerprint.
    let line = expect_line(
        a,
        "aud",
        "te_subject_token_invalid",
        "aud_client_mismatch",
        &[],
    );
    assert_eq!(line["token.aud"], "other-app");
    assert_eq!(line["request.client_auth"], "client_secret_post");
    assert_eq!(line["token.fingerprint"].as_str().map(str::len), Some(16));
    a.wait_metric(&series("te_invalid_target", "trailing_slash"), 1.0)
        .await;
    // The good exchange was recorded (as a 2xx) and no line names a cause for it.
    a.wait_metric(
        "authlens_requests_total{method=\"POST\",route=\"idp_token\",status_class=\"2xx\"}",
        1.0,
    )
    .await;
    assert!(
        a.logs()
            .iter()
            .all(|l| l["request_id"] != "ok" || l["cause"].is_null())
    );

    // Discovery: the metadata names the issuer with a trailing slash.
    let meta = send(support::client::get(&format!(
        "{}/.well-known/oauth-authorization-server",
        a.proxy
    )))
    .await;
    assert_eq!(meta.status, 200);
    let line = a.wait_log(|l| l["cause"] == "te_discovery_failed");
    assert_eq!(line["route"], "idp_token_discovery");
    assert!(
        line["hint"]
            .as_str()
            .unwrap()
            .contains(&format!("`{}/`", s.issuer)),
        "{line}"
    );

    assert_logs_agree(a, &before, 10).await;

    assert_no_secrets(a, &secrets).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_passes_through_unchanged() {
    let s = setup().await;
    let a = &s.authlens;
    // 1 MiB of parameters: forwarded whole, classified without reading past the limit.
    let big = format!(
        "grant_type={}&{}",
        enc(TOKEN_EXCHANGE),
        "pad=".to_string() + &"x".repeat(1 << 20)
    );
    let r = through(
        a,
        &s.server.url(),
        "/token",
        &big,
        &[("x-request-id", "big")],
    )
    .await;
    assert_eq!(r.headers["x-received"], big.len().to_string().as_str());
    expect_line(
        a,
        "big",
        "te_invalid_client_credentials",
        "secret_or_deleted",
        &[],
    );
    // A JSON body is no form: the server sees no parameters.
    let json_body = send(
        http::Request::post(format!("{}/token", a.proxy))
            .header("content-type", "application/json")
            .header("x-request-id", "json")
            .body(http_body_util::Full::new(Bytes::from_static(
                b"{\"grant_type\":\"x\"}",
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(json_body.status, 401);
    expect_line(
        a,
        "json",
        "te_invalid_client_credentials",
        "auth_method",
        &["no client authentication"],
    );
    // Malformed and endless error answers: passed on, left unclassified or classified.
    let r = through(
        a,
        &s.server.url(),
        "/token",
        "client_id=malformed",
        &[("x-request-id", "malformed")],
    )
    .await;
    assert_eq!(r.status, 400);
    a.wait_log(|l| l["request_id"] == "malformed" && l["cause"].is_string());
    let r = through(
        a,
        &s.server.url(),
        "/token",
        "client_id=endless",
        &[("x-request-id", "endless")],
    )
    .await;
    assert_eq!(r.body.len(), ENDLESS_HEAD.len() + 511 * 4096);
    let line = a.wait_log(|l| l["request_id"] == "endless" && l["cause"].is_string());
    assert!(
        line["upstream.error"].is_null(),
        "an endless body is not read: {line}"
    );
    // authlens is still serving.
    assert_eq!(
        send(support::client::get(&format!("{}/healthz", a.admin)))
            .await
            .status,
        200
    );
}
