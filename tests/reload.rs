//! Hot reload on SIGHUP, against the real binary: a new required scope classifies the next
//! request while a slow one started before finishes under the old rules; a broken file is
//! refused with every problem named and the old rules keep serving; settings that need a
//! restart are named; SIGHUP never ends the process.

mod interop;
mod support;

use authlens::evidence::token::Fingerprint;
use http::Request;
use http_body_util::Full;
use interop::{Signer, serve_json};
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::upstream::reply;
use support::{Authlens, Upstream, send};

const ISSUER: &str = "https://auth.resource.example";
const AUDIENCE: &str = "https://api.example/";
const SLOW: Duration = Duration::from_millis(1500);

fn config(upstream: &str, jwks: &str, scope: &str, extra: &str) -> String {
    Authlens::config(
        upstream,
        &format!(
            "\
routes:
  - name: files
    path_prefix: /
    required_scopes: [{scope}]
auth:
  issuers:
    - name: resource-as
      issuer: {ISSUER}
      jwks_uri: http://{jwks}/jwks
      audiences: [{AUDIENCE}]
      algorithms: [ES256]
{extra}"
        ),
    )
}

/// A valid token with scope `files.read`; `jti` makes each one's fingerprint its own.
fn token(signer: &Signer, jti: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    signer.sign(&json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "client_id": "app",
        "iat": now, "exp": now + 600, "jti": jti, "scope": "files.read",
    }))
}

/// Every path answers a bare 403 (no challenge), `/slow` after `SLOW`: the cause then rests
/// on authlens's own view of the route's required scopes.
async fn start(scope: &str) -> (Authlens, Upstream, Signer, String) {
    let signer = Signer::es256("k1");
    let jwks = serve_json(signer.jwks.clone()).await.to_string();
    let upstream = Upstream::start(|req| async move {
        if req.uri().path() == "/slow" {
            tokio::time::sleep(SLOW).await;
        }
        reply(403, &[], "")
    })
    .await;
    let authlens = Authlens::with_config(&config(&upstream.url(), &jwks, scope, ""));
    (authlens, upstream, signer, jwks)
}

async fn call(proxy: String, path: &str, token: String) -> u16 {
    let req = Request::get(format!("{proxy}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::default())
        .expect("request");
    send(req).await.status.as_u16()
}

fn cause_of(authlens: &Authlens, token: &str) -> Value {
    let fingerprint = Fingerprint::of(token).to_string();
    authlens.wait_log(|v| {
        v["message"] == "exchange failed" && v["token.fingerprint"] == fingerprint.as_str()
    })["cause"]
        .clone()
}

fn rewrite(authlens: &Authlens, yaml: &str) {
    std::fs::write(authlens.config_path(), yaml).expect("rewrite config");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_scope_applies_to_the_next_request_while_a_slow_one_finishes_under_the_old() {
    let (authlens, upstream, signer, jwks) = start("files.read").await;
    // Under the first config the token has every scope the route needs.
    let warm = token(&signer, "warm");
    assert_eq!(
        call(authlens.proxy.clone(), "/fast", warm.clone()).await,
        403
    );
    assert_eq!(cause_of(&authlens, &warm), "forbidden_other");

    let slow_token = token(&signer, "slow");
    let slow = tokio::spawn(call(authlens.proxy.clone(), "/slow", slow_token.clone()));
    let started = Instant::now();
    while !upstream.seen().iter().any(|s| s.uri.path() == "/slow") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "slow request never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    rewrite(
        &authlens,
        &config(&upstream.url(), &jwks, "files.write", ""),
    );
    authlens.signal("HUP");
    let line = authlens.reload_line(1);
    assert_eq!(line["result"], "ok", "{line}");
    assert!(line.get("cause").is_none(), "{line}");
    assert!(
        !slow.is_finished(),
        "the reload came while the slow request was in flight"
    );

    let fresh = token(&signer, "fresh");
    assert_eq!(
        call(authlens.proxy.clone(), "/fast", fresh.clone()).await,
        403
    );
    assert_eq!(cause_of(&authlens, &fresh), "scope_missing");
    assert_eq!(slow.await.expect("slow request"), 403);
    assert_eq!(
        cause_of(&authlens, &slow_token),
        "forbidden_other",
        "the slow request kept the rules it started under"
    );
    assert_eq!(
        authlens
            .metric("authlens_config_reloads_total{result=\"ok\"}")
            .await,
        2.0,
        "the start and the reload"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_file_is_refused_with_every_problem_and_the_old_config_keeps_serving() {
    let (mut authlens, upstream, signer, jwks) = start("files.read").await;
    let loaded_at = authlens
        .metric("authlens_config_last_reload_success_timestamp_seconds")
        .await;
    assert!(loaded_at > 0.0);

    // Two problems at once, and a CA file that holds no certificate.
    let dir = tempfile::tempdir().expect("tempdir");
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "not a certificate\n").expect("write");
    let broken = config(&upstream.url(), &jwks, "files write", "")
        .replace("name: files", "name: Files")
        .replace(
            "      algorithms: [ES256]\n",
            &format!(
                "      algorithms: [ES256]\n      ca_file: {}\n",
                not_pem.display()
            ),
        );
    rewrite(&authlens, &broken);
    authlens.signal("HUP");
    let line = authlens.reload_line(1);
    assert_eq!(line["result"], "error", "{line}");
    let error = line["error"].as_str().expect("error field");
    for key in [
        "routes[0].name",
        "routes[0].required_scopes",
        "auth.issuers[0].ca_file",
    ] {
        assert!(error.contains(key), "{key} missing from {error}");
    }
    assert!(line.get("cause").is_none(), "{line}");
    assert_eq!(
        authlens
            .metric("authlens_config_reloads_total{result=\"error\"}")
            .await,
        1.0
    );
    assert_eq!(
        authlens
            .metric("authlens_config_reloads_total{result=\"ok\"}")
            .await,
        1.0
    );
    assert_eq!(
        authlens
            .metric("authlens_config_last_reload_success_timestamp_seconds")
            .await,
        loaded_at
    );
    // Still the first config: the route is `files` and the token's scope suffices.
    let t = token(&signer, "after-refusal");
    assert_eq!(call(authlens.proxy.clone(), "/x", t.clone()).await, 403);
    assert_eq!(cause_of(&authlens, &t), "forbidden_other");
    assert!(authlens.alive());

    // A valid file that also moves the listener: applied, with the move named as needing a
    // restart, and the proxy still where it was.
    let moved = config(&upstream.url(), &jwks, "files.write", "").replacen(
        "listen: 127.0.0.1:0\n",
        "listen: 127.0.0.1:1\n",
        1,
    );
    rewrite(&authlens, &moved);
    authlens.signal("HUP");
    let line = authlens.reload_line(2);
    assert_eq!(line["result"], "ok", "{line}");
    assert_eq!(line["needs_restart"], "listen", "{line}");
    let t = token(&signer, "after-reload");
    assert_eq!(call(authlens.proxy.clone(), "/x", t.clone()).await, 403);
    assert_eq!(cause_of(&authlens, &t), "scope_missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_never_ends_the_process() {
    let upstream = Upstream::fixed(200, &[], "ok").await;
    let mut authlens = Authlens::start(&upstream.url(), "");
    for _ in 0..5 {
        authlens.signal("HUP");
    }
    // Requests that arrive together collapse; at least one reload runs, none kills.
    authlens.reload_line(1);
    std::thread::sleep(Duration::from_millis(200));
    assert!(authlens.alive());
    let reply = send(support::client::get(&format!("{}/", authlens.proxy))).await;
    assert_eq!(reply.status, 200);
    let before = authlens.reload_count();
    std::fs::remove_file(authlens.config_path()).expect("remove config");
    authlens.signal("HUP");
    let line = authlens.reload_line(before + 1);
    assert_eq!(line["result"], "error");
    assert!(
        line["error"].as_str().unwrap_or("").contains("cannot read"),
        "{line}"
    );
    assert!(authlens.alive());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_level_follows_a_reload() {
    let upstream = Upstream::fixed(200, &[], "ok").await;
    let authlens = Authlens::start(&upstream.url(), "");
    let base = Authlens::config(&upstream.url(), "");
    let ok = "authlens_config_reloads_total{result=\"ok\"}";
    // At `error`, the reload's own info line is filtered out, though the reload is counted.
    rewrite(&authlens, &format!("{base}log:\n  level: error\n"));
    authlens.signal("HUP");
    authlens.wait_metric(ok, 2.0).await;
    // The line would follow the count at once; give it time to show if it were written.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(authlens.reload_count(), 0, "{}", authlens.raw_output());
    // Back at `info`, the next reload is logged again.
    rewrite(&authlens, &format!("{base}log:\n  level: info\n"));
    authlens.signal("HUP");
    authlens.wait_metric(ok, 3.0).await;
    assert_eq!(authlens.reload_line(1)["epoch"], 3);
    assert_eq!(authlens.reload_count(), 1);
}
