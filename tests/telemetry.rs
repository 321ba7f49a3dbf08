//! The telemetry contract (CONTRACT §3-4): metric names that promtool accepts, JSON log lines
//! with the contract's fields, bounded label sets, no secrets anywhere, and trace context.

mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use std::time::Duration;
use support::{Authlens, Upstream, send};

const ROUTES: &str = "\
routes:
  - name: files
    path_prefix: /files
    required_scopes: [files.read]
auth:
  issuers:
    - name: resource-as
      issuer: https://as.example.com
      jwks_uri: http://127.0.0.1:1/jwks
      audiences: [https://api.example.com/]
";

/// A JWT-shaped token (not validly signed) with the given claims and signature segment.
fn token(claims: serde_json::Value, kid: &str, signature: &str) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "at+jwt", "kid": kid});
    format!(
        "{}.{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string()),
        signature
    )
}

fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut b = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::default()).unwrap()
}

fn promtool_check(text: &str) {
    let Ok(mut child) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is required under CI (apt-get install prometheus)"
        );
        eprintln!("SKIPPED promtool check: promtool not installed (scripts/test.sh installs it)");
        return;
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool rejected /metrics:\n{report}"
    );
    assert!(
        report.trim().is_empty(),
        "promtool lint findings:\n{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_carry_every_contract_family_and_pass_promtool() {
    let upstream =
        Upstream::fixed(401, &[("www-authenticate", "Bearer realm=\"api\"")], "no").await;
    let authlens = Authlens::start(&upstream.url(), ROUTES);
    send(request("GET", &format!("{}/files/1", authlens.proxy), &[])).await;
    authlens
        .wait_metric(
            "authlens_failures_total{category=\"authn\",cause=\"token_missing\",detail=\"\",route=\"files\"}",
            1.0,
        )
        .await;
    let text = authlens.metrics().await;
    for family in [
        "authlens_requests_total counter",
        "authlens_failures_total counter",
        "authlens_findings_total counter",
        "authlens_request_duration_seconds histogram",
        "authlens_upstream_duration_seconds histogram",
        "authlens_token_remaining_lifetime_seconds histogram",
        "authlens_clock_skew_seconds histogram",
        "authlens_jwks_fetches_total counter",
        "authlens_jwks_keys gauge",
        "authlens_jwks_last_success_timestamp_seconds gauge",
        "authlens_token_cache_lookups_total counter",
        "authlens_upstream_up gauge",
        "authlens_health_checks_total counter",
        "authlens_config_reloads_total counter",
        "authlens_config_last_reload_success_timestamp_seconds gauge",
        "authlens_build_info gauge",
        "process_resident_memory_bytes gauge",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}\n")),
            "missing {family}"
        );
    }
    // Known combinations start at 0 so rate() sees the first failure.
    assert!(text.contains(
        "authlens_failures_total{category=\"authn\",cause=\"audience_mismatch\",detail=\"trailing_slash\",route=\"files\"} 0"
    ));
    assert!(text.contains(
        "authlens_failures_total{category=\"upstream\",cause=\"upstream_connection_refused\",detail=\"\",route=\"unmatched\"} 0"
    ));
    // Only what can happen on a route starts there: no token-endpoint causes on an API route,
    // no health-probe or listener causes outside `unmatched`.
    for absent in [
        "category=\"token_endpoint\",cause=\"te_invalid_target\",detail=\"\",route=\"files\"",
        "cause=\"health_check_failed\",detail=\"\",route=\"files\"",
        "cause=\"request_rejected\",detail=\"\",route=\"files\"",
    ] {
        assert!(!text.contains(absent), "{absent}");
    }
    assert!(text.contains(
        "authlens_failures_total{category=\"client\",cause=\"request_rejected\",detail=\"head_too_large\",route=\"unmatched\"} 0"
    ));
    assert!(text.contains("authlens_build_info{revision=\""));
    assert!(text.contains(&format!("version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"))));
    promtool_check(&text);
}

fn required(line: &serde_json::Value, fields: &[&str]) {
    for f in fields {
        assert!(
            line.get(*f).is_some_and(|v| !v.is_null()),
            "field {f} missing in {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_are_json_with_the_contract_fields() {
    let upstream = Upstream::fixed(
        401,
        &[("www-authenticate", "Bearer error=\"invalid_token\"")],
        "",
    )
    .await;
    let authlens = Authlens::start(
        &upstream.url(),
        &format!("{ROUTES}log:\n  access_log: true\n"),
    );
    let t = token(
        serde_json::json!({"iss": "https://as.example.com", "aud": "https://api.example.com/", "exp": 4102444800u64, "scope": "files.read"}),
        "k1",
        "c2ln",
    );
    send(request(
        "GET",
        &format!("{}/files/9?x=1", authlens.proxy),
        &[
            ("authorization", &format!("Bearer {t}")),
            ("user-agent", "ua-test/1"),
        ],
    ))
    .await;
    let dead = Authlens::start("http://127.0.0.1:1", "log:\n  access_log: true\n");
    send(request(
        "GET",
        &format!("{}/ok", dead.proxy),
        &[("user-agent", "ua-test/2")],
    ))
    .await;

    let failure = authlens.wait_log(|v| v["message"] == "exchange failed");
    required(
        &failure,
        &[
            "timestamp",
            "level",
            "message",
            "cause",
            "category",
            "detail",
            "hint",
            "confidence",
            "route",
            "http.request.method",
            "url.path",
            "http.response.status_code",
            "client.address",
            "user_agent.original",
            "trace_id",
            "span_id",
            "request_id",
            "token.fingerprint",
            "token.alg",
            "token.kid",
            "token.typ",
        ],
    );
    assert_eq!(
        failure["url.path"], "/files/9",
        "the query may carry secrets and is never logged"
    );
    assert_eq!(failure["route"], "files");
    assert_eq!(failure["http.response.status_code"], 401);
    assert_eq!(failure["user_agent.original"], "ua-test/1");
    assert_eq!(failure["token.fingerprint"].as_str().unwrap().len(), 16);
    assert!(chrono_like(failure["timestamp"].as_str().unwrap()));

    let refused = dead.wait_log(|v| v["message"] == "exchange failed");
    required(
        &refused,
        &[
            "cause",
            "category",
            "hint",
            "confidence",
            "trace_id",
            "span_id",
            "request_id",
            "client.address",
        ],
    );
    assert_eq!(refused["cause"], "upstream_connection_refused");
    assert_eq!(refused["http.response.status_code"], 502);

    for a in [&authlens, &dead] {
        for line in a.raw_output().lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            required(&v, &["timestamp", "level", "message"]);
        }
    }
}

/// RFC 3339 with a `T` and a zone designator.
fn chrono_like(ts: &str) -> bool {
    ts.len() >= 20 && ts.as_bytes()[10] == b'T' && (ts.ends_with('Z') || ts[19..].contains('+'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_is_off_by_default_and_on_by_config() {
    let upstream = Upstream::fixed(200, &[], "ok").await;
    let quiet = Authlens::start(&upstream.url(), "");
    let chatty = Authlens::start(&upstream.url(), "log:\n  access_log: true\n");
    for a in [&quiet, &chatty] {
        send(request("GET", &format!("{}/x", a.proxy), &[])).await;
    }
    let line = chatty.wait_log(|v| v["message"] == "request");
    required(
        &line,
        &[
            "route",
            "http.request.method",
            "url.path",
            "http.response.status_code",
            "trace_id",
            "request_id",
        ],
    );
    quiet
        .wait_metric(
            "authlens_requests_total{method=\"GET\",route=\"unmatched\",status_class=\"2xx\"}",
            1.0,
        )
        .await;
    assert!(!quiet.logs().iter().any(|v| v["message"] == "request"));
}

/// The series on a /metrics page, without their values.
fn series(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| Some(l.rsplit_once(' ')?.0.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_random_requests_add_no_series() {
    let upstream = Upstream::start(|req| async move {
        let status = match req.uri().path().len() % 4 {
            0 => 200,
            1 => 401,
            2 => 403,
            _ => 404,
        };
        support::upstream::reply(
            status,
            &[("access-control-allow-origin", "https://a.example")],
            "",
        )
    })
    .await;
    let authlens = Authlens::start(&upstream.url(), ROUTES);
    let methods = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "BREW", "X-CUSTOM",
    ];
    let make = |method: &str, path: &str, i: u64| {
        let claims = serde_json::json!({"iss": format!("https://iss-{i}.example"), "sub": format!("user-{i}"), "aud": format!("aud-{i}"), "exp": 4102444800u64});
        let auth = format!("Bearer {}", token(claims, &format!("kid-{i}"), "c2ln"));
        let origin = format!("https://o{i}.example");
        request(
            method,
            &format!("{}{path}", authlens.proxy),
            &[("authorization", &auth), ("origin", &origin)],
        )
    };
    let one = |i: u64| {
        let method = methods[(i % methods.len() as u64) as usize];
        let path = if i.is_multiple_of(3) {
            format!("/files/{i:x}")
        } else {
            format!("/r{}/{}", i * 7919 % 10007, "z".repeat((i % 5) as usize))
        };
        make(method, &path, i)
    };
    // Warm up: one request of each kind (method × route × status, each a series of its own
    // once counted; the paths' lengths pick the status), and of each cause.
    for method in methods {
        for path in [
            "/files/a",
            "/files/ab",
            "/files/abc",
            "/files/abcd",
            "/r1/",
            "/r1/z",
            "/r1/zz",
            "/r1/zzz",
        ] {
            send(make(method, path, 1)).await;
        }
    }
    for i in 0..40 {
        send(one(i)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = series(&authlens.metrics().await);

    let mut tasks = Vec::new();
    for worker in 0..16u64 {
        let reqs: Vec<_> = (0..625).map(|n| one(1000 + worker * 625 + n)).collect();
        tasks.push(tokio::spawn(async move {
            for r in reqs {
                send(r).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let total: f64 = {
        let text = authlens.metrics().await;
        text.lines()
            .filter(|l| l.starts_with("authlens_requests_total{"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    assert!(total >= 10_040.0, "only {total} requests counted");
    let after = series(&authlens.metrics().await);
    let added: Vec<_> = after.difference(&before).collect();
    assert!(
        added.is_empty(),
        "random paths, methods, iss, kid, sub and origins must not add series: {added:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_logs_errors_or_metrics() {
    let token_secret = "TOKENSIGNATUREMARKER0x7f";
    let cookie = "COOKIEMARKER0x7f";
    let client_secret = "CLIENTSECRETMARKER0x7f";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("client:{client_secret}"));
    let t = token(
        serde_json::json!({"iss": "https://as.example.com", "aud": "x", "exp": 1}),
        "k",
        token_secret,
    );
    let headers: Vec<(&str, String)> = vec![
        ("authorization", format!("Bearer {t}")),
        ("cookie", format!("session={cookie}")),
        ("origin", "https://app.example".into()),
    ];
    let upstreams = [
        Upstream::fixed(
            401,
            &[("www-authenticate", "Bearer error=\"invalid_token\"")],
            "{\"error\":\"invalid_token\"}",
        )
        .await,
        Upstream::fixed(
            403,
            &[("www-authenticate", "Bearer error=\"insufficient_scope\"")],
            "",
        )
        .await,
        Upstream::fixed(500, &[("set-cookie", "session=COOKIEMARKER0x7f")], "boom").await,
        Upstream::fixed(200, &[], "ok").await,
    ];
    let mut runs: Vec<Authlens> = upstreams
        .iter()
        .map(|u| {
            Authlens::with_config_env(
                &Authlens::config(&u.url(), ROUTES),
                &[("AUTHLENS_LOG", "debug")],
            )
        })
        .collect();
    runs.push(Authlens::with_config_env(
        &Authlens::config("http://127.0.0.1:1", ROUTES),
        &[("AUTHLENS_LOG", "debug")],
    ));
    for a in &runs {
        for path in [
            "/files/1",
            &format!("/x?access_token={t}&client_secret={client_secret}"),
        ] {
            let mut hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send(request("GET", &format!("{}{path}", a.proxy), &hs)).await;
            let b = format!("Basic {basic}");
            hs[0] = ("authorization", b.as_str());
            send(request("POST", &format!("{}{path}", a.proxy), &hs)).await;
            send(request(
                "OPTIONS",
                &format!("{}{path}", a.proxy),
                &[
                    ("origin", "https://app.example"),
                    ("access-control-request-method", "GET"),
                    ("cookie", &format!("s={cookie}")),
                ],
            ))
            .await;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for a in &runs {
        let everything = format!("{}\n{}", a.raw_output(), a.metrics().await);
        assert!(
            everything.contains("exchange failed") || everything.contains("\"finding\""),
            "{everything}"
        );
        for marker in [token_secret, cookie, client_secret, &basic, &t] {
            assert!(!everything.contains(marker), "a secret leaked: {marker}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traceparent_is_continued_restarted_or_started() {
    let upstream = Upstream::fixed(401, &[], "").await;
    let authlens = Authlens::start(&upstream.url(), "");
    let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let cases = [
        (
            Some(valid),
            Some("4bf92f3577b34da6a3ce929d0e0e4736"),
            "rid-valid",
        ),
        (
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None,
            "rid-invalid",
        ),
        (None, None, "rid-absent"),
    ];
    for (i, (tp, _, rid)) in cases.iter().enumerate() {
        let mut hs = vec![("x-request-id", *rid), ("tracestate", "vendor=opaque")];
        if let Some(tp) = tp {
            hs.push(("traceparent", tp));
        }
        send(request("GET", &format!("{}/t{i}", authlens.proxy), &hs)).await;
    }
    let seen = upstream.seen();
    for (i, (_, keep_trace, rid)) in cases.iter().enumerate() {
        let got = seen[i].headers["traceparent"].to_str().unwrap().to_string();
        let parts: Vec<_> = got.split('-').collect();
        assert_eq!(parts.len(), 4, "{got}");
        assert_eq!(parts[0], "00");
        match keep_trace {
            Some(trace) => {
                assert_eq!(parts[1], *trace);
                assert_ne!(
                    parts[2], "00f067aa0ba902b7",
                    "authlens forwards its own span id"
                );
                assert_eq!(parts[3], "01");
            }
            None => assert_ne!(parts[1], "00000000000000000000000000000000"),
        }
        assert_eq!(seen[i].headers["tracestate"], "vendor=opaque");
        assert_eq!(seen[i].headers["x-request-id"], *rid);
        let line = authlens.wait_log(|v| v["request_id"] == *rid);
        assert_eq!(line["trace_id"], parts[1]);
        assert_eq!(line["span_id"], parts[2]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_claims_are_logged_only_when_the_config_opts_in() {
    let upstream = Upstream::fixed(
        401,
        &[("www-authenticate", "Bearer error=\"invalid_token\"")],
        "",
    )
    .await;
    let claims = serde_json::json!({"iss": "https://as.example.com", "aud": "x", "exp": 4102444800u64,
        "sub": "PERSONALSUB", "email": "someone@example.com", "name": "Some One"});
    let t = token(claims, "k1", "c2ln");
    let quiet = Authlens::start(&upstream.url(), ROUTES);
    let opted = Authlens::start(
        &upstream.url(),
        &ROUTES.replace("auth:\n", "auth:\n  log_personal_claims: true\n"),
    );
    for a in [&quiet, &opted] {
        send(request(
            "GET",
            &format!("{}/files", a.proxy),
            &[("authorization", &format!("Bearer {t}"))],
        ))
        .await;
    }
    let line = opted.wait_log(|v| v["message"] == "exchange failed");
    assert_eq!(line["token.sub"], "PERSONALSUB");
    assert_eq!(line["token.email"], "someone@example.com");
    assert_eq!(line["token.name"], "Some One");
    quiet.wait_log(|v| v["message"] == "exchange failed");
    let out = quiet.raw_output();
    for personal in ["PERSONALSUB", "someone@example.com", "Some One"] {
        assert!(!out.contains(personal), "{personal} logged without opt-in");
    }
}
