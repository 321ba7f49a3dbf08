//! The shipped dashboards, recording rules and alerts against a real Prometheus and a real
//! Alertmanager (Debian's `prometheus` 2.42 and `prometheus-alertmanager` 0.25).
//!
//! Two authlens sidecars (the real binary, one service `files-api`, two "pods") sit in front of
//! one test API and one test authorization server; a traffic loop sends a mix of good and broken
//! requests through both. Prometheus scrapes them every second with the recording rules and a
//! copy of the alert rules whose `for:` durations are shortened to 0s (the shipped file keeps
//! its production values). Then:
//! - every PromQL expression of both dashboards, the recording rules and the alert rules parses
//!   and returns series, except those listed in `EXPECTED_EMPTY` (which must stay empty);
//! - the failure-ratio and unprotected-route alerts fire and reach Alertmanager with their
//!   runbook link and sensible annotations; the per-pod upstream alert names only the pod whose
//!   API is down; the recorded key-set age is an age.
//!
//! Everything listens on 127.0.0.1, on ports picked free; every wait is bounded; every child
//! process is killed when the test ends (also on panic). Under CI=true a missing Prometheus or
//! Alertmanager fails the test instead of skipping it.

mod support;
mod token_kit;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::upstream::reply;
use support::{Authlens, Upstream};
use token_kit::{AUD, Idp, TestKey, claims, now};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const PROMETHEUS: &str = "/usr/bin/prometheus";
const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// Expressions that must return no series on this traffic, and why.
const EXPECTED_EMPTY: &[(&str, &str)] = &[
    // No traffic here fails on the client side or at a token endpoint; those panels only list
    // causes whose rate is above zero.
    (
        "category=\"client\"}[1m])) > 0",
        "no client-side failures in this traffic",
    ),
    (
        "category=\"token_endpoint\"}[1m])) > 0",
        "no token endpoint in front of authlens",
    ),
    (
        "{category=\"token_endpoint\"} > 0.05",
        "no token endpoint in front of authlens",
    ),
    // The test's key server answers every fetch.
    (
        "jwks_fetches:rate5m{result!=\"ok\"}",
        "every key set fetch succeeds",
    ),
    (
        "jwks_fetches_total{result!=\"ok\"}",
        "every key set fetch succeeds",
    ),
    (
        "authlens_jwks_last_success_timestamp_seconds > 1800",
        "key sets are seconds old",
    ),
    // The API is reachable (it answers, sometimes with errors).
    (
        "upstream_connection_refused",
        "the API always accepts connections",
    ),
    (
        "finding=\"config_drift\"",
        "the API never accepts a token authlens rejects",
    ),
];

/// A child process killed (and reaped) when the guard drops.
struct Proc {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &'static str, cmd: &mut Command, dir: &Path) -> Proc {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        Proc { name, child, log }
    }

    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "--- {} log (last lines) ---\n{}",
            self.name,
            lines[lines.len().saturating_sub(20)..].join("\n")
        )
    }

    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited with {status}\n{}", self.name, self.tail());
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stops the traffic loop when dropped, also on panic.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The binary, or `None` (skip) outside CI; under CI a missing binary fails the test.
fn binary(path: &str, package: &str) -> Option<PathBuf> {
    if Path::new(path).exists() {
        return Some(path.into());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{path} is required under CI (apt-get install {package}; scripts/test.sh does)"
    );
    eprintln!("SKIPPED: {path} not installed (scripts/test.sh installs {package})");
    None
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GET returning status and body, or `None` on a transport error; bounded by 10 s.
async fn get(url: &str) -> Option<(u16, String)> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let req = Request::get(url).body(Full::new(Bytes::new())).ok()?;
    let resp = tokio::time::timeout(Duration::from_secs(10), client.request(req))
        .await
        .ok()?
        .ok()?;
    let status = resp.status().as_u16();
    let body = tokio::time::timeout(Duration::from_secs(10), resp.into_body().collect())
        .await
        .ok()?
        .ok()?
        .to_bytes();
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Polls `check` every 250 ms until it returns `Some`, for at most `limit`.
async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

struct Prometheus {
    base: String,
}

impl Prometheus {
    /// Runs an instant query; panics if Prometheus rejects it (a parse error, say).
    async fn query(&self, expr: &str) -> Vec<Value> {
        let url = format!("{}/api/v1/query?query={}", self.base, encode(expr));
        let (status, body) = get(&url)
            .await
            .unwrap_or_else(|| panic!("no answer: {expr}"));
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}"));
        assert!(
            status == 200 && v["status"] == "success",
            "query failed: {expr}\n{body}"
        );
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }
}

/// The test API: answers like a JWT-protected API. `/files/ok` 200 for a token with
/// `files.read`, other `/files` 401 with a challenge; `/admin` 403 for everyone; `/public` 200
/// for everyone (auth middleware forgotten); `/boom` 500; `/health` 200.
async fn api() -> Upstream {
    Upstream::start(|req| async move {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        match req.uri().path() {
            "/health" | "/public" => reply(200, &[], "ok"),
            "/boom" => reply(500, &[], "{\"error\":\"database unavailable\"}"),
            "/admin" => reply(
                403,
                &[],
                "{\"error\":\"forbidden\",\"message\":\"admin role required\"}",
            ),
            "/files/ok" if auth.starts_with("Bearer ") => reply(200, &[], "files"),
            _ if auth.starts_with("Bearer ") => reply(
                401,
                &[(
                    "www-authenticate",
                    "Bearer realm=\"api\", error=\"invalid_token\"",
                )],
                "{\"error\":\"invalid_token\"}",
            ),
            _ => reply(401, &[("www-authenticate", "Bearer realm=\"api\"")], ""),
        }
    })
    .await
}

fn authlens_config(upstream: &str, idp: &Idp, health_path: &str) -> String {
    Authlens::config(upstream, "")
        .replace(
            "  health:\n    enabled: false\n",
            &format!("  response_timeout: 2s\n  health: {{ path: {health_path}, interval: 1s, timeout: 1s }}\n"),
        )
        + &format!(
            "\
auth:
  issuers:
    - name: resource-as
      issuer: {issuer}
      jwks_uri: {jwks}
      audiences: [\"{AUD}\"]
      algorithms: [RS256]
      jwks_min_refetch: 1s
routes:
  - {{ name: files, path_prefix: /files, methods: [GET, OPTIONS], required_scopes: [files.read] }}
  - {{ name: admin, path_prefix: /admin }}
  - {{ name: public, path: /public }}
  - {{ name: health, path: /health, protected: false }}
cors:
  allowed_origins: [https://app.example]
",
            issuer = idp.issuer,
            jwks = idp.jwks_url(),
        )
}

/// One request of the traffic loop: method, path, headers.
type Req = (&'static str, &'static str, Vec<(&'static str, String)>);

/// One round of requests per proxy.
fn traffic(issuer: &str, key: &TestKey, stranger: &TestKey) -> Vec<Req> {
    let bearer = |t: String| vec![("authorization", format!("Bearer {t}"))];
    let with = |k: &str, v: Value| {
        let mut c = claims(issuer);
        c[k] = v;
        c
    };
    vec![
        ("GET", "/files/ok", bearer(key.sign(&claims(issuer)))),
        ("GET", "/files/ok", bearer(key.sign(&claims(issuer)))),
        ("GET", "/files", vec![]),
        (
            "GET",
            "/files",
            vec![("authorization", "Basic ZGVtbzpkZW1v".into())],
        ),
        (
            "GET",
            "/files",
            bearer("8f14e45fceea167a5a36dedd4bea2543".into()),
        ),
        (
            "GET",
            "/files",
            bearer(key.sign(&with("exp", json!(now() - 3600)))),
        ),
        (
            "GET",
            "/files",
            bearer(key.sign(&with("nbf", json!(now() + 600)))),
        ),
        (
            "GET",
            "/files",
            bearer(key.sign(&with("aud", json!(AUD.trim_end_matches('/'))))),
        ),
        ("GET", "/files", bearer(stranger.sign(&claims(issuer)))),
        ("GET", "/admin", bearer(key.sign(&claims(issuer)))),
        ("GET", "/public", vec![]),
        ("GET", "/boom", vec![]),
        (
            "OPTIONS",
            "/files",
            vec![
                ("origin", "https://app.example".into()),
                ("access-control-request-method", "GET".into()),
                ("access-control-request-headers", "authorization".into()),
            ],
        ),
    ]
}

/// Every PromQL expression of a dashboard, with Grafana's variables resolved as "All" and
/// `label_values()` variable queries turned into the query Grafana runs for them.
fn dashboard_exprs(name: &str) -> Vec<(String, String)> {
    let d: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("dashboards").join(name)).unwrap(),
    )
    .unwrap();
    let resolve = |e: &str| {
        e.replace("$__rate_interval", "1m")
            .replace("$__range", "5m")
            .replace("$__interval", "15s")
            .replace("$job", ".*")
            .replace("$instance", ".*")
            .replace("$route", ".*")
    };
    let mut out = Vec::new();
    for panel in d["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().into_iter().flatten() {
            let what = format!("{name}: {} [{}]", panel["title"], t["refId"]);
            out.push((what, resolve(t["expr"].as_str().unwrap())));
        }
    }
    for v in d["templating"]["list"].as_array().unwrap() {
        if v["type"] != "query" {
            continue;
        }
        let q = v["query"]
            .as_str()
            .or(v["query"]["query"].as_str())
            .unwrap();
        let inner = q
            .strip_prefix("label_values(")
            .and_then(|r| r.strip_suffix(')'))
            .unwrap();
        let (metric, label) = inner.rsplit_once(',').unwrap();
        out.push((
            format!("{name}: variable {}", v["name"]),
            resolve(&format!("count by ({}) ({metric})", label.trim())),
        ));
    }
    out
}

/// `(what, expr)` of every rule in a rules file.
fn rule_exprs(rules: &Value, file: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for group in rules["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            let name = rule["record"].as_str().or(rule["alert"].as_str()).unwrap();
            out.push((
                format!("{file}: {name}"),
                rule["expr"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

/// The alert rules with every `for:` shortened to 0s, so alerts fire within the test.
fn shortened(alerts: &str) -> String {
    alerts
        .lines()
        .map(|l| match l.trim_start().strip_prefix("for: ") {
            Some(_) => format!("{}for: 0s", &l[..l.len() - l.trim_start().len()]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_rules_and_alerts_work_against_real_prometheus_and_alertmanager() {
    let (Some(prometheus_bin), Some(alertmanager_bin)) = (
        binary(PROMETHEUS, "prometheus"),
        binary(ALERTMANAGER, "prometheus-alertmanager"),
    ) else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();

    // --- the service: one API, one authorization server, two authlens pods ------------------
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let stranger = TestKey::rsa("k-unpublished", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    let upstream = api().await;
    // Pod b probes a health path its API does not have: its upstream_up is 0, pod a's is 1.
    let pod_a = Authlens::with_config(&authlens_config(&upstream.url(), &idp, "/health"));
    let pod_b = Authlens::with_config(&authlens_config(&upstream.url(), &idp, "/no-such-health"));
    let admin = |a: &Authlens| a.admin.trim_start_matches("http://").to_string();
    let (admin_a, admin_b) = (admin(&pod_a), admin(&pod_b));

    // --- traffic through both pods until the test ends ----------------------------------------
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_traffic = StopOnDrop(stop.clone());
    let round = Arc::new(traffic(&idp.issuer, &key, &stranger));
    for proxy in [pod_a.proxy.clone(), pod_b.proxy.clone()] {
        let (stop, round) = (stop.clone(), round.clone());
        tokio::spawn(async move {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<Bytes>>();
            while !stop.load(Ordering::SeqCst) {
                for (method, path, headers) in round.iter() {
                    let mut req = Request::builder()
                        .method(*method)
                        .uri(format!("{proxy}{path}"));
                    for (k, v) in headers {
                        req = req.header(*k, v);
                    }
                    let req = req.body(Full::new(Bytes::new())).unwrap();
                    if let Ok(Ok(resp)) =
                        tokio::time::timeout(Duration::from_secs(5), client.request(req)).await
                    {
                        let _ = resp.into_body().collect().await;
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    }

    // --- Alertmanager, with a webhook receiver on a loopback port this test owns --------------
    let hook = Upstream::fixed(200, &[], "").await;
    let am_port = free_port();
    std::fs::write(
        dir.path().join("alertmanager.yml"),
        format!(
            "route:\n  receiver: test\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: test\n    webhook_configs:\n      - url: {}/hook\n        send_resolved: false\n",
            hook.url()
        ),
    )
    .unwrap();
    let mut alertmanager = Proc::spawn(
        "alertmanager",
        Command::new(&alertmanager_bin)
            .arg(format!(
                "--config.file={}",
                dir.path().join("alertmanager.yml").display()
            ))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("am-data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address="),
        dir.path(),
    );
    let am = format!("http://127.0.0.1:{am_port}");

    // --- Prometheus: 1 s scrapes and evaluations, recording rules, shortened alerts -----------
    let rules_dir = Path::new(ROOT).join("deploy/prometheus");
    let recording_text = std::fs::read_to_string(rules_dir.join("recording_rules.yaml")).unwrap();
    let alerts_text = std::fs::read_to_string(rules_dir.join("alerts.yaml")).unwrap();
    std::fs::write(dir.path().join("recording_rules.yaml"), &recording_text).unwrap();
    std::fs::write(dir.path().join("alerts.yaml"), shortened(&alerts_text)).unwrap();
    let prom_port = free_port();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\n\
             rule_files:\n  - {rec}\n  - {alerts}\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n\
             scrape_configs:\n  - job_name: files-api\n    static_configs:\n      - targets: ['{admin_a}', '{admin_b}']\n        labels:\n          namespace: test\n",
            rec = dir.path().join("recording_rules.yaml").display(),
            alerts = dir.path().join("alerts.yaml").display(),
        ),
    )
    .unwrap();
    let mut prometheus = Proc::spawn(
        "prometheus",
        Command::new(&prometheus_bin)
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("prom-data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .arg("--rules.alert.resend-delay=1s"),
        dir.path(),
    );
    let prom = Prometheus {
        base: format!("http://127.0.0.1:{prom_port}"),
    };

    for (base, p) in [(&am, &mut alertmanager), (&prom.base, &mut prometheus)] {
        let url = format!("{base}/-/ready");
        let started = Instant::now();
        while get(&url).await.map(|(s, _)| s) != Some(200) {
            p.assert_running();
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{url} not ready\n{}",
                p.tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Both pods scraped, and rates above zero in the recorded series.
    let p = &prom;
    wait_for(
        "both targets up",
        Duration::from_secs(15),
        move || async move {
            let up = p.query("sum(up{job=\"files-api\"})").await;
            (up.first()?["value"][1] == "2").then_some(())
        },
    )
    .await;
    wait_for("recorded failure ratios", Duration::from_secs(20), move || async move {
        let r = p
            .query("job_route_category:authlens_failures:ratio_rate5m{route=\"files\",category=\"authn\"} > 0")
            .await;
        (!r.is_empty()).then_some(())
    })
    .await;
    // A few more scrapes so every 1m window holds several samples of the whole mix.
    tokio::time::sleep(Duration::from_secs(4)).await;

    // --- every expression parses and returns series (or is expected empty) --------------------
    let recording: Value = serde_saphyr::from_str(&recording_text).unwrap();
    let alerts: Value = serde_saphyr::from_str(&alerts_text).unwrap();
    let mut exprs = dashboard_exprs("authlens-overview.json");
    exprs.extend(dashboard_exprs("authlens-triage.json"));
    exprs.extend(rule_exprs(&recording, "recording_rules.yaml"));
    exprs.extend(rule_exprs(&alerts, "alerts.yaml"));
    assert!(exprs.len() >= 70, "{} expressions", exprs.len());
    let mut empty_as_expected = BTreeSet::new();
    let mut failures = Vec::new();
    for (what, expr) in &exprs {
        let result = prom.query(expr).await;
        let reason = EXPECTED_EMPTY
            .iter()
            .find(|(needle, _)| expr.contains(needle));
        match (reason, result.is_empty()) {
            (None, false) => {}
            (Some((needle, _)), true) => {
                empty_as_expected.insert(*needle);
            }
            (None, true) => failures.push(format!("no series: {what}\n    {expr}")),
            (Some((_, why)), false) => failures.push(format!(
                "expected empty ({why}) but got {} series: {what}\n    {expr}",
                result.len()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every entry of the list is used, so it stays honest.
    for (needle, _) in EXPECTED_EMPTY {
        assert!(empty_as_expected.contains(needle), "unused: {needle}");
    }

    // --- aggregation across pods, per-pod health, ages ------------------------------------
    let per_pod = prom
        .query("count by (instance) (authlens_requests_total{route=\"files\"})")
        .await;
    assert_eq!(per_pod.len(), 2, "{per_pod:?}");
    let fleet = prom
        .query("job_route:authlens_requests:rate5m{route=\"files\"}")
        .await;
    assert_eq!(fleet.len(), 1, "one series for both pods: {fleet:?}");
    assert!(fleet[0]["metric"].get("instance").is_none(), "{fleet:?}");
    assert_eq!(fleet[0]["metric"]["namespace"], "test");
    let ages = prom
        .query("instance_issuer:authlens_jwks_age:seconds")
        .await;
    assert_eq!(ages.len(), 2, "{ages:?}");
    for age in &ages {
        let secs: f64 = age["value"][1].as_str().unwrap().parse().unwrap();
        assert!(
            (0.0..600.0).contains(&secs),
            "an age in seconds, not a timestamp: {age}"
        );
    }
    let down = prom.query("authlens_upstream_up == 0").await;
    assert_eq!(down.len(), 1, "{down:?}");
    assert_eq!(down[0]["metric"]["instance"], admin_b.as_str());

    // --- alerts reach Alertmanager with their runbook link ----------------------------------
    let runbook = std::fs::read_to_string(Path::new(ROOT).join("docs/runbook.md")).unwrap();
    let must_fire = [
        "AuthlensAuthFailureRatioHigh",
        "AuthlensUnprotectedRoute",
        "AuthlensUpstreamHealthFailing",
    ];
    let am_alerts = format!("{am}/api/v2/alerts");
    let am_alerts = &am_alerts;
    let received = wait_for(
        "alerts at Alertmanager",
        Duration::from_secs(30),
        move || async move {
            let (status, body) = get(am_alerts).await?;
            let alerts: Vec<Value> = serde_json::from_str(&body).ok()?;
            let names: BTreeSet<&str> = alerts
                .iter()
                .filter_map(|a| a["labels"]["alertname"].as_str())
                .collect();
            (status == 200 && must_fire.iter().all(|n| names.contains(n))).then_some(alerts)
        },
    )
    .await;
    for alert in &received {
        let name = alert["labels"]["alertname"].as_str().unwrap();
        let ann = &alert["annotations"];
        let summary = ann["summary"].as_str().unwrap();
        for bad in ["<no value>", "NaN", "+Inf", "%!", "{{"] {
            assert!(!summary.contains(bad), "{name}: {summary}");
        }
        assert!(
            ann["description"].as_str().unwrap().contains("Fix"),
            "{name}"
        );
        let url = ann["runbook_url"].as_str().unwrap();
        let anchor = url
            .strip_prefix("docs/runbook.md#")
            .unwrap_or_else(|| panic!("{name}: {url}"));
        assert!(
            runbook.contains(&format!("\n### {anchor}\n")),
            "{name}: {url} has no section"
        );
        assert_eq!(alert["labels"]["job"], "files-api", "{name}");
        assert_eq!(alert["labels"]["namespace"], "test", "{name}");
    }
    let find = |name: &str| -> Vec<&Value> {
        received
            .iter()
            .filter(|a| a["labels"]["alertname"] == name)
            .collect()
    };
    let ratio = find("AuthlensAuthFailureRatioHigh");
    let token_missing = ratio
        .iter()
        .find(|a| a["labels"]["cause"] == "token_missing" && a["labels"]["route"] == "files")
        .unwrap_or_else(|| panic!("{ratio:?}"));
    assert_eq!(
        token_missing["annotations"]["runbook_url"],
        "docs/runbook.md#token_missing"
    );
    let summary = token_missing["annotations"]["summary"].as_str().unwrap();
    let percent: f64 = summary
        .split_whitespace()
        .find_map(|w| w.strip_suffix('%'))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no percentage: {summary}"));
    assert!((5.0..=100.0).contains(&percent), "{summary}");
    assert!(summary.contains("on route files of files-api"), "{summary}");
    let unprotected = find("AuthlensUnprotectedRoute");
    assert_eq!(unprotected.len(), 1, "{unprotected:?}");
    assert_eq!(unprotected[0]["labels"]["route"], "public");
    assert_eq!(
        unprotected[0]["annotations"]["runbook_url"],
        "docs/runbook.md#unprotected_route"
    );
    let health = find("AuthlensUpstreamHealthFailing");
    assert_eq!(health.len(), 1, "only pod b's API is down: {health:?}");
    assert_eq!(health[0]["labels"]["instance"], admin_b.as_str());
    // The webhook receiver (a loopback port this test owns) got the notifications.
    let h = &hook;
    wait_for(
        "webhook notification",
        Duration::from_secs(10),
        move || async move {
            h.seen()
                .iter()
                .any(|s| s.method == http::Method::POST && s.uri.path() == "/hook")
                .then_some(())
        },
    )
    .await;

    prometheus.assert_running();
    alertmanager.assert_running();
    let names: BTreeSet<&str> = received
        .iter()
        .filter_map(|a| a["labels"]["alertname"].as_str())
        .collect();
    eprintln!(
        "observability stack: {} expressions ({} expected empty), {} alerts at Alertmanager \
         ({names:?}), {:?}",
        exprs.len(),
        empty_as_expected.len(),
        received.len(),
        started.elapsed()
    );
    drop(pod_a);
    drop(pod_b);
}
