//! When every check of authlens's passes and the API still answers 401, its words and history
//! decide: a stale key set after a rotation, a key set that never matched, a clock that is off,
//! a `typ` policy. End to end through the real binary, with real keys and a real key server.

mod support;
mod token_kit;

use http::Request;
use http_body_util::Full;
use jsonwebtoken::Algorithm;
use support::upstream::reply;
use support::{Authlens, Upstream, send};
use token_kit::{AUD, Idp, TestKey, claims};

fn config(idp: &Idp, upstream: &Upstream) -> String {
    Authlens::config(
        &upstream.url(),
        &format!(
            "auth:\n  issuers:\n    - name: as\n      issuer: {}\n      jwks_uri: {}\n      audiences: [{AUD}]\n      jwks_min_refetch: 1s\n",
            idp.issuer,
            idp.jwks_url()
        ),
    )
}

async fn call(a: &Authlens, token: &str) -> u16 {
    let req = Request::get(format!("{}/files", a.proxy))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::default())
        .unwrap();
    send(req).await.status.as_u16()
}

fn series(cause: &str, detail: &str) -> String {
    format!(
        "authlens_failures_total{{category=\"authn\",cause=\"{cause}\",detail=\"{detail}\",route=\"unmatched\"}}"
    )
}

/// An API that knows only key `k1`, answering others the way ASP.NET does.
async fn api_knowing_k1() -> Upstream {
    Upstream::start(|req| async move {
        let token = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").trim_start_matches("Bearer ");
        match jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid).as_deref() {
            Some("k1") => reply(200, &[], "ok"),
            _ => reply(
                401,
                &[("www-authenticate", "Bearer error=\"invalid_token\", error_description=\"The signature key was not found\"")],
                "",
            ),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_the_api_has_not_fetched_is_upstream_jwks_stale() {
    let (k1, k2) = (
        TestKey::rsa("k1", Algorithm::RS256),
        TestKey::rsa("k2", Algorithm::RS256),
    );
    let idp = Idp::start("", &[&k1]).await;
    let api = api_knowing_k1().await;
    let authlens = Authlens::with_config(&config(&idp, &api));
    assert_eq!(call(&authlens, &k1.sign(&claims(&idp.issuer))).await, 200);
    authlens
        .wait_metric("authlens_token_cache_lookups_total{result=\"miss\"}", 1.0)
        .await;

    // The issuer rotates to k2; authlens refetches on the unknown kid, the API does not.
    idp.set(|s| s.keys.push(k2.jwk.clone()));
    assert_eq!(call(&authlens, &k2.sign(&claims(&idp.issuer))).await, 401);
    authlens
        .wait_metric(&series("upstream_jwks_stale", ""), 1.0)
        .await;
    let line = authlens.wait_log(|v| v["cause"] == "upstream_jwks_stale");
    assert!(line["hint"].as_str().unwrap().contains("k2"), "{line}");
    assert_eq!(line["confidence"], "heuristic");
    assert_eq!(
        authlens
            .metric(&series("upstream_jwks_misconfigured", ""))
            .await,
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_never_accepted_a_token_is_upstream_jwks_misconfigured() {
    let k2 = TestKey::rsa("k2", Algorithm::RS256);
    let idp = Idp::start("", &[&k2]).await;
    let api = api_knowing_k1().await; // verifies against some other key set
    let authlens = Authlens::with_config(&config(&idp, &api));
    assert_eq!(call(&authlens, &k2.sign(&claims(&idp.issuer))).await, 401);
    authlens
        .wait_metric(&series("upstream_jwks_misconfigured", ""), 1.0)
        .await;
    let line = authlens.wait_log(|v| v["cause"] == "upstream_jwks_misconfigured");
    assert!(
        line["hint"].as_str().unwrap().contains(&idp.jwks_url()),
        "{line}"
    );
    assert_eq!(
        line["upstream.error_description"],
        "The signature key was not found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_words_for_a_token_inside_its_window_are_clock_skew() {
    let k1 = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&k1]).await;
    // Envoy's answer for an expired token, for a token with ten minutes left.
    let api = Upstream::fixed(
        401,
        &[(
            "www-authenticate",
            "Bearer realm=\"http://api/files\", error=\"invalid_token\"",
        )],
        "Jwt is expired",
    )
    .await;
    let authlens = Authlens::with_config(&config(&idp, &api));
    assert_eq!(call(&authlens, &k1.sign(&claims(&idp.issuer))).await, 401);
    authlens
        .wait_metric(&series("clock_skew", "upstream_clock"), 1.0)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_typ_policy_upstream_is_typ_rejected() {
    let k1 = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&k1]).await;
    let api = Upstream::fixed(
        401,
        &[("www-authenticate", "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"unexpected \\\"typ\\\" value\"")],
        "",
    )
    .await;
    let authlens = Authlens::with_config(&config(&idp, &api));
    assert_eq!(call(&authlens, &k1.sign(&claims(&idp.issuer))).await, 401);
    authlens.wait_metric(&series("typ_rejected", ""), 1.0).await;
}
