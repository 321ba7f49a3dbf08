//! Step 3 through the binary against a real authorization server: Authlib's `IDJAGGrant`
//! (`authlib.oauth2.drafts.id_jag`, PyPI Authlib 1.9.10) behind Flask (`tests/authlib_as/app.py`),
//! trusting an IdP whose keys (RSA and EC) are made here. Every cause that server can produce,
//! each answer passed through byte-identical, cause, detail and hint checked, and no ID-JAG or
//! client secret in authlens's output or `/metrics`.
//!
//! The Python environment is made by scripts/test.sh in target/authlib-venv (or
//! `AUTHLENS_AUTHLIB_PYTHON`); without it the test is skipped with a message, unless CI=true.

mod support;
mod te_kit;
mod token_kit;

use jsonwebtoken::Algorithm;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use support::agree::{assert_logs_agree, failures_by_cause};
use support::{Authlens, send};
use te_kit::*;
use token_kit::{Idp, TestKey, now};

const AS_ISSUER: &str = "https://as.files.example/";
const CLIENT: &str = "app-at-files";
const CLIENT_SECRET: &str = "resource-secret";

fn python() -> Option<PathBuf> {
    let path = std::env::var_os("AUTHLENS_AUTHLIB_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/authlib-venv/bin/python")
        });
    if path.exists() {
        return Some(path);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(
        !ci,
        "CI is set but {} is missing: run scripts/test.sh",
        path.display()
    );
    eprintln!(
        "skipped: no Authlib environment at {} (scripts/test.sh makes it)",
        path.display()
    );
    None
}

/// The Flask app, killed when dropped.
struct AuthlibAs {
    child: Child,
    url: String,
}

impl AuthlibAs {
    /// `clock_ahead_secs`: how far the server's clock runs ahead of the real one.
    fn start(python: &PathBuf, idp: &Idp, clock_ahead_secs: u32) -> AuthlibAs {
        let app = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/authlib_as/app.py");
        let mut child = Command::new(python)
            .arg(app)
            .env("IDP_ISSUER", &idp.issuer)
            .env("IDP_JWKS", idp.jwks_url())
            .env("AS_ISSUER", AS_ISSUER)
            .env("AS_CLOCK_AHEAD_SECS", clock_ahead_secs.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the Authlib server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read its port");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .expect("listening PORT")
            .to_string();
        AuthlibAs {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for AuthlibAs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Jag<'a> = Box<dyn Fn() -> String + 'a>;
/// Request id, ID-JAG, credentials, extra parameters; cause, detail, hint words.
type Row<'a> = (
    &'a str,
    Jag<'a>,
    (&'a str, &'a str),
    Vec<(&'a str, &'a str)>,
    &'a str,
    &'a str,
    Vec<&'a str>,
);

/// Sends the body `make` builds through authlens, then a fresh one (its own `jti`) straight to
/// the server, and checks the client got the server's answer byte for byte.
async fn exchange(
    a: &Authlens,
    direct: &str,
    id: &str,
    make: impl Fn() -> (String, Vec<(&'static str, String)>),
) -> support::Reply {
    let (body, headers) = make();
    let mut h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    h.push(("x-request-id", id));
    let via = send(post(&format!("{}/token", a.proxy), body, &h)).await;
    let (body, headers) = make();
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let straight = send(post(&format!("{direct}/token"), body, &h)).await;
    assert_eq!(via.status, straight.status, "{id}: status passes through");
    if !via.status.is_success() {
        assert_eq!(
            via.body, straight.body,
            "{id}: body passes through byte-identical"
        );
    }
    via
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_id_jag_grant_failures_are_named() {
    let Some(python) = python() else { return };
    let rsa = TestKey::rsa("k1", Algorithm::RS256);
    let ec = TestKey::ec("k2");
    let idp = Idp::start("", &[&rsa, &ec]).await;
    let server = AuthlibAs::start(&python, &idp, 0);
    let a = Authlens::start(
        &server.url,
        &format!(
            "token_endpoints:\n  - name: as_token\n    path: /token\n    issuer: {AS_ISSUER}\n    discovery: false\n    \
             trusted_issuers:\n      - name: idp\n        issuer: {iss}\n        jwks_uri: {jwks}\n        algorithms: [RS256, ES256]\n    \
             client_ids: [\"{{client_id}}-at-{{resource_id}}\"]\n    client_auth: client_secret_post\n",
            iss = idp.issuer,
            jwks = idp.jwks_url()
        ),
    );
    let before = failures_by_cause(&a.metrics().await);
    let stranger = TestKey::rsa("k1", Algorithm::RS256);
    let unknown_kid = TestKey::rsa("k9", Algorithm::RS256);
    let mut secrets = vec![SECRET_MARKER.to_string(), CLIENT_SECRET.to_string()];
    let record = std::sync::Mutex::new(Vec::<String>::new());

    // Builds a grant: the ID-JAG from `jag`, credentials from `auth`, then `extra` pairs.
    let grant = |jag: &dyn Fn() -> String, auth: (&str, &str), extra: &[(&str, &str)]| {
        let assertion = jag();
        record.lock().unwrap().push(assertion.clone());
        let mut pairs: Vec<(&str, &str)> =
            vec![("grant_type", JWT_BEARER), ("assertion", &assertion)];
        if !auth.0.is_empty() {
            pairs.push(("client_id", auth.0));
            pairs.push(("client_secret", auth.1));
        }
        pairs.extend_from_slice(extra);
        form(&pairs)
    };
    let claims = || id_jag_claims(&idp.issuer, AS_ISSUER, CLIENT);
    let with = |k: &str, v: Value| {
        let mut c = claims();
        c[k] = v;
        c
    };
    let good = || id_jag(&rsa, &claims());
    let ok = (CLIENT, CLIENT_SECRET);
    let plain = |body: String| (body, Vec::new());

    // Success with each key type; the access token is never logged.
    for (id, key) in [("ok-rsa", &rsa), ("ok-ec", &ec)] {
        let r = exchange(&a, &server.url, id, || {
            plain(grant(&|| id_jag(key, &claims()), ok, &[]))
        })
        .await;
        assert_eq!(r.status, 200, "{id}: {:?}", r.body);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        secrets.push(v["access_token"].as_str().unwrap().to_string());
    }

    // A one-hour ID-JAG is accepted: no failure, but a line (without `cause`) says so.
    let long = || id_jag(&rsa, &with("exp", (now() + 3600).into()));
    let r = exchange(&a, &server.url, "ok-long", || plain(grant(&long, ok, &[]))).await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    secrets.push(v["access_token"].as_str().unwrap().to_string());
    let line = a.wait_log(|l| l["lifetime_seconds"].as_i64().is_some_and(|s| s >= 3599));
    assert_eq!(line["expected.lifetime_seconds"], 300);
    assert!(line["cause"].is_null(), "{line}");

    // Replay: the same ID-JAG twice (the second is the one authlens names).
    let once = good();
    let replay_body = grant(&|| once.clone(), ok, &[]);
    assert_eq!(
        send(post(
            &format!("{}/token", a.proxy),
            replay_body.clone(),
            &[]
        ))
        .await
        .status,
        200
    );
    exchange(&a, &server.url, "replay", || plain(replay_body.clone())).await;
    expect_line(&a, "replay", "idjag_replayed", "", &["jti"]);

    let basic = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT}:{CLIENT_SECRET}"))
        )
    };
    let rows: Vec<Row> = vec![
        (
            "typ",
            Box::new(|| sign_typ(&rsa, Some("JWT"), &claims())),
            ok,
            vec![],
            "idjag_typ_invalid",
            "",
            vec!["`JWT`", "oauth-id-jag+jwt"],
        ),
        (
            "aud-slash",
            Box::new(|| id_jag(&rsa, &with("aud", AS_ISSUER.trim_end_matches('/').into()))),
            ok,
            vec![],
            "idjag_audience_mismatch",
            "trailing_slash",
            vec![AS_ISSUER],
        ),
        (
            "iss",
            Box::new(|| id_jag(&rsa, &with("iss", "https://idp.elsewhere.example".into()))),
            ok,
            vec![],
            "idjag_issuer_untrusted",
            "",
            vec!["https://idp.elsewhere.example"],
        ),
        (
            "kid",
            Box::new(|| id_jag(&unknown_kid, &claims())),
            ok,
            vec![],
            "idjag_signature_invalid",
            "kid_unknown",
            vec!["`k9`"],
        ),
        (
            "signature",
            Box::new(|| id_jag(&stranger, &claims())),
            ok,
            vec![],
            "idjag_signature_invalid",
            "signature",
            vec!["does not verify"],
        ),
        (
            "expired",
            Box::new(|| {
                id_jag(&rsa, &{
                    let mut c = claims();
                    c["exp"] = (now() - 600).into();
                    c["iat"] = (now() - 900).into();
                    c
                })
            }),
            ok,
            vec![],
            "idjag_expired",
            "expired",
            vec!["5 minutes"],
        ),
        (
            "client-unknown",
            Box::new(|| id_jag(&rsa, &with("client_id", "stranger".into()))),
            ok,
            vec![],
            "idjag_client_id_unknown",
            "",
            vec!["`stranger`"],
        ),
        (
            "wrong-pair",
            Box::new(good),
            ("app", SECRET_MARKER),
            vec![],
            "te_invalid_client_wrong_pair",
            "",
            vec!["`app`", CLIENT],
        ),
        (
            "secret",
            Box::new(good),
            (CLIENT, SECRET_MARKER),
            vec![],
            "te_invalid_client_credentials",
            "secret_or_deleted",
            vec![CLIENT],
        ),
        (
            "basic",
            Box::new(good),
            ("", ""),
            vec![],
            "te_invalid_client_credentials",
            "auth_method",
            vec!["client_secret_basic", "client_secret_post"],
        ),
        (
            "scope",
            Box::new(good),
            ok,
            vec![("scope", "files.read files.delete")],
            "te_invalid_scope",
            "not_in_assertion",
            vec!["`files.delete`"],
        ),
        (
            "sub",
            Box::new(|| id_jag(&rsa, &with("sub", "nobody".into()))),
            ok,
            vec![],
            "te_invalid_grant_unclassified",
            "",
            vec!["Invalid 'sub' value"],
        ),
        (
            "opaque",
            Box::new(|| "not-a-jwt".to_string()),
            ok,
            vec![],
            "te_invalid_grant_unclassified",
            "",
            vec!["not a JWT"],
        ),
    ];
    for (id, jag, auth, extra, cause, detail, words) in rows {
        let headers = if id == "basic" {
            vec![("authorization", basic.clone())]
        } else {
            vec![]
        };
        exchange(&a, &server.url, id, || {
            (grant(&*jag, auth, &extra), headers.clone())
        })
        .await;
        expect_line(&a, id, cause, detail, &words);
    }
    // Grant-type typo and a missing assertion, without an ID-JAG at all.
    let typo = form(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt_bearer"),
        ("client_id", CLIENT),
        ("client_secret", CLIENT_SECRET),
    ]);
    exchange(&a, &server.url, "grant-typo", || plain(typo.clone())).await;
    expect_line(
        &a,
        "grant-typo",
        "te_unsupported_grant_type",
        "grant_type",
        &[JWT_BEARER],
    );
    let missing = form(&[
        ("grant_type", JWT_BEARER),
        ("client_id", CLIENT),
        ("client_secret", CLIENT_SECRET),
    ]);
    exchange(&a, &server.url, "no-assertion", || plain(missing.clone())).await;
    expect_line(
        &a,
        "no-assertion",
        "te_missing_parameter",
        "assertion",
        &["`assertion`"],
    );

    // The log line carries the decoded ID-JAG, never the ID-JAG itself.
    let line = expect_line(
        &a,
        "aud-slash",
        "idjag_audience_mismatch",
        "trailing_slash",
        &[],
    );
    assert_eq!(line["token.typ"], "oauth-id-jag+jwt");
    assert_eq!(line["token.iss"], idp.issuer.as_str());
    assert_eq!(line["token.client_id"], CLIENT);
    assert_eq!(line["request.grant_type"], JWT_BEARER);
    assert_eq!(line["upstream.error"], "invalid_grant");
    let successes = a
        .logs()
        .iter()
        .filter(|l| {
            l["request_id"]
                .as_str()
                .is_some_and(|r| r.starts_with("ok-"))
                && l["cause"].is_string()
        })
        .count();
    assert_eq!(successes, 0, "a success is no failure");
    secrets.extend(
        record
            .into_inner()
            .unwrap()
            .into_iter()
            .filter(|t| t.len() > 20),
    );
    assert_logs_agree(&a, &before, 10).await;
    assert_no_secrets(&a, &secrets).await;
}

/// The server's clock runs 15 minutes ahead: a fresh ID-JAG (5 minutes) is expired by its clock
/// only. authlens's own clock finds it valid and the answer's `Date` shows why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_clock_ahead_is_named_clock_skew() {
    let Some(python) = python() else { return };
    let rsa = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&rsa]).await;
    let server = AuthlibAs::start(&python, &idp, 900);
    let a = Authlens::start(
        &server.url,
        &format!(
            "token_endpoints:\n  - name: as_token\n    path: /token\n    issuer: {AS_ISSUER}\n    discovery: false\n    \
             trusted_issuers:\n      - name: idp\n        issuer: {iss}\n        jwks_uri: {jwks}\n    \
             client_ids: [\"{{client_id}}-at-{{resource_id}}\"]\n    client_auth: client_secret_post\n",
            iss = idp.issuer,
            jwks = idp.jwks_url()
        ),
    );
    let grant = || {
        let assertion = id_jag(&rsa, &id_jag_claims(&idp.issuer, AS_ISSUER, CLIENT));
        let body = form(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &assertion),
            ("client_id", CLIENT),
            ("client_secret", CLIENT_SECRET),
        ]);
        (body, Vec::new())
    };
    let r = exchange(&a, &server.url, "skew", grant).await;
    assert_eq!(r.status, 400, "the server's clock says expired");
    expect_line(
        &a,
        "skew",
        "idjag_expired",
        "clock_skew",
        &["ahead of", "NTP"],
    );
}
