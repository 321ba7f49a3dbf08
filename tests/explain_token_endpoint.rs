//! `authlens explain` on the tokens a token endpoint receives: an ID-JAG is checked against the
//! `token_endpoints` entry that trusts its issuer (keys over real HTTP from an IdP made here),
//! an ID token against the IdP's own; the verdict, cause and hint are the token-endpoint mode's,
//! the exit code follows them, and neither the token nor its signature is printed.

mod support;
mod te_kit;
mod token_kit;

use jsonwebtoken::Algorithm;
use serde_json::Value;
use std::process::Command;
use te_kit::{id_jag, id_jag_claims, id_token_claims};
use token_kit::{Idp, TestKey, now};

const AS_ISSUER: &str = "https://as.files.example/";

fn explain(config: &std::path::Path, token: &str, json: bool) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_authlens"));
    cmd.args(["explain", "--config"]).arg(config);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.arg(token).output().expect("run authlens explain");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let sig = token.rsplit('.').next().unwrap();
    assert!(
        !text.contains(token) && !text.contains(sig),
        "the token is printed"
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_checks_id_jags_and_id_tokens_against_the_token_endpoints() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("authlens.yaml");
    std::fs::write(
        &config,
        format!(
            "token_endpoints:\n  - name: as_token\n    path: /token\n    issuer: {AS_ISSUER}\n    \
             trusted_issuers:\n      - name: idp\n        issuer: {iss}\n        jwks_uri: {jwks}\n    \
             client_ids: [\"{{client_id}}-at-{{resource_id}}\"]\n  - name: idp_token\n    path: /idp/token\n    \
             issuer: {iss}\n    discovery: false\n    trusted_issuers:\n      - name: idp-self\n        issuer: {iss}\n        jwks_uri: {jwks}\n",
            iss = idp.issuer,
            jwks = idp.jwks_url()
        ),
    )
    .unwrap();
    let good = id_jag(&key, &id_jag_claims(&idp.issuer, AS_ISSUER, "app-at-files"));
    let (code, text) = explain(&config, &good, false);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("token endpoint     as_token (jwt_bearer): accepted"),
        "{text}"
    );

    let mut slash = id_jag_claims(&idp.issuer, AS_ISSUER.trim_end_matches('/'), "app-at-files");
    slash["exp"] = (now() + 3600).into();
    let (code, text) = explain(&config, &id_jag(&key, &slash), false);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("cause            idjag_audience_mismatch / trailing_slash"),
        "{text}"
    );
    assert!(text.contains(AS_ISSUER), "{text}");
    assert!(text.contains("longer than the 300s"), "{text}");

    let mut unknown = id_jag_claims(&idp.issuer, AS_ISSUER, "app");
    unknown["jti"] = "j-unknown".into();
    let (code, json) = explain(&config, &id_jag(&key, &unknown), true);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kind"], "id_jag");
    assert_eq!(
        v["token_endpoint"]["cause"], "idjag_client_id_unknown",
        "{v}"
    );
    assert_eq!(v["token_endpoint"]["verdict"], "rejected");

    let mut expired = id_token_claims(&idp.issuer, "app");
    expired["exp"] = (now() - 900).into();
    let (code, text) = explain(&config, &key.sign_with(header(&key), &expired), false);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("token endpoint     idp_token (token_exchange): rejected"),
        "{text}"
    );
    assert!(
        text.contains("te_subject_token_invalid / expired"),
        "{text}"
    );
    let fresh = key.sign_with(header(&key), &id_token_claims(&idp.issuer, "app"));
    let (code, text) = explain(&config, &fresh, false);
    assert_eq!(code, 0, "{text}");
}

fn header(key: &TestKey) -> jsonwebtoken::Header {
    let mut h = jsonwebtoken::Header::new(key.alg);
    h.kid = Some(key.kid.clone());
    h
}
