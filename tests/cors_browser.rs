//! CORS in a real browser. A page on one loopback origin (`http://localhost:P`) calls `fetch()`
//! with an `Authorization` header on authlens at another (`http://127.0.0.1:Q`), in front of a
//! real hyper upstream with one misconfiguration per path. For every call the test records
//! what headless Chromium actually did and what authlens logged, and asserts both the expected
//! outcome and their agreement: every blocked call carries the right CORS cause, every allowed
//! call none. The agreement table is printed (`--nocapture`).

#[path = "cors_browser/cases.rs"]
mod cases;
mod support;

use cases::{CONFIG, Case, Did, FETCH, PAGE, Page, cases, upstream};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::browser::{self, Browser};
use support::upstream::reply;
use support::{Authlens, Upstream};

/// One row of the agreement table: case, what the browser did, what authlens said.
type Row = [String; 3];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_and_authlens_agree_on_every_cors_case() {
    if !browser::available() {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(
            !ci,
            "CI is set but Chromium/chromedriver are missing: apt-get install chromium chromium-driver"
        );
        eprintln!(
            "SKIPPED: Chromium or chromedriver not installed (apt-get install chromium chromium-driver)"
        );
        return;
    }
    let api = Upstream::start(upstream).await;
    let pages =
        Upstream::start(|_req| async { reply(200, &[("content-type", "text/html")], PAGE) }).await;
    let authlens = Authlens::start(&api.url(), CONFIG);
    let mut run = Run {
        browsers: [
            Browser::start(&[]).await,
            Browser::start(&["--enable-features=CorsNonWildcardRequestHeadersSupport"]).await,
        ],
        opened: [None, None],
        page_port: pages.addr.port(),
        api,
        authlens,
        table: Vec::new(),
    };
    for c in cases() {
        run.case(&c).await;
    }
    run.non_browser_call().await;
    run.metrics_match_the_log().await;
    let rows: Vec<String> = run
        .table
        .iter()
        .map(|r| format!("| {} |", r.join(" | ")))
        .collect();
    println!(
        "| case | browser | authlens |\n|---|---|---|\n{}",
        rows.join("\n")
    );
}

struct Run {
    /// A stock Chromium, and one enforcing the Fetch rule "`*` never covers Authorization".
    browsers: [Browser; 2],
    opened: [Option<String>; 2],
    page_port: u16,
    api: Upstream,
    authlens: Authlens,
    table: Vec<Row>,
}

impl Run {
    async fn case(&mut self, c: &Case) {
        let page = match c.page {
            Page::Localhost => format!("http://localhost:{}/", self.page_port),
            Page::LoopbackWithCookie => format!("http://127.0.0.1:{}/", self.page_port),
            Page::Authlens => format!("{}/c/{}/page", self.authlens.proxy, c.path),
        };
        let b = usize::from(c.strict);
        if self.opened[b].as_ref() != Some(&page) {
            self.browsers[b].open(&page).await;
            self.opened[b] = Some(page);
        }
        if let Some(route) = c.after_unfollowed {
            let series = format!("authlens_cors_preflights_unfollowed_total{{route=\"{route}\"}}");
            self.authlens.wait_metric(&series, 1.0).await;
            if let Some(row) = self.table.last_mut() {
                row[2].push_str("; its preflight counted as unfollowed");
            }
        }
        let api_path = format!("/c/{}/api", c.path);
        let url = match c.page {
            Page::Authlens => api_path.clone(),
            _ => format!("{}{api_path}", self.authlens.proxy),
        };
        let before = verdict_lines(&self.authlens, &api_path).len();
        let sent_before = sent_on(&self.api, &api_path);
        let cookie = c.page == Page::LoopbackWithCookie;
        let args = json!([url, c.method, c.token, c.credentials, cookie]);
        let got = self.browsers[b].run_async(FETCH, args).await;
        let seen = match got["status"].as_u64() {
            Some(s) => Did::Status(s as u16),
            None => Did::Blocked,
        };
        let mut lines =
            wait_verdicts(&self.authlens, &self.api, &api_path, (before, sent_before)).await;
        if c.late {
            lines = wait_late_verdict(&self.authlens, &api_path, before).await;
        }
        let flagged: Vec<&Value> = lines[before..]
            .iter()
            .filter(|v| v["message"] == "exchange failed" && v["category"] == "cors")
            .collect();
        self.table.push(row(c, seen, &flagged));

        assert_eq!(seen, c.browser, "{}: the browser did {got}", c.name);
        let causes: Vec<(&str, &str)> = flagged
            .iter()
            .map(|v| (text(&v["cause"]), text(&v["detail"])))
            .collect();
        let want: Vec<_> = c.authlens.into_iter().collect();
        assert_eq!(causes, want, "{}: authlens logged {flagged:?}", c.name);
        if c.authlens.is_some() {
            assert_eq!(
                seen,
                Did::Blocked,
                "{}: flagged but the browser allowed it",
                c.name
            );
        }
        check_details(c, &flagged, self.page_port);
        check_premise(c, &self.api, &api_path);
    }

    /// Non-browser traffic (no Origin) is never a CORS failure, whatever the headers.
    async fn non_browser_call(&mut self) {
        let path = "/c/error_no_cors/api";
        let url = format!("{}{path}", self.authlens.proxy);
        let since = (
            verdict_lines(&self.authlens, path).len(),
            sent_on(&self.api, path),
        );
        let plain = support::send(support::client::get(&url)).await;
        assert_eq!(plain.status.as_u16(), 401);
        let lines = wait_verdicts(&self.authlens, &self.api, path, since).await;
        let last = lines.last().expect("logged");
        assert_ne!(last["category"], "cors", "{last}");
        self.table.push([
            "no Origin (plain client)".into(),
            "n/a (401)".into(),
            format!("{} (not cors)", text(&last["cause"])),
        ]);
    }

    /// /metrics counts what the log says, and followed preflights are never unfollowed.
    async fn metrics_match_the_log(&self) {
        let logged = self
            .authlens
            .logs()
            .iter()
            .filter(|v| v["category"] == "cors")
            .count();
        let metrics = self.authlens.metrics().await;
        let counted: f64 = metrics
            .lines()
            .filter(|l| l.starts_with("authlens_failures_total{category=\"cors\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert_eq!(counted, logged as f64, "{metrics}");
        for route in ["unmatched", "errors"] {
            let series = format!("authlens_cors_preflights_unfollowed_total{{route=\"{route}\"}}");
            let n = support::authlens::find_series(&metrics, &series);
            assert_eq!(n, 0.0, "{series}");
        }
    }
}

fn row(c: &Case, seen: Did, flagged: &[&Value]) -> Row {
    let named: Vec<String> = flagged
        .iter()
        .map(|v| {
            let detail = match text(&v["detail"]) {
                "" => String::new(),
                d => format!("/{d}"),
            };
            let how = text(&v["confidence"]);
            let method = text(&v["http.request.method"]);
            format!("{}{detail} on {method} ({how})", text(&v["cause"]))
        })
        .collect();
    let strict = if c.strict {
        " [spec-enforcing Chromium]"
    } else {
        ""
    };
    [
        format!("{}{strict}", c.name),
        match seen {
            Did::Blocked => "blocked".into(),
            Did::Status(s) => s.to_string(),
        },
        if named.is_empty() {
            "not flagged".into()
        } else {
            named.join(", ")
        },
    ]
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Case-specific promises beyond the cause: hint wording and the masked cause.
fn check_details(c: &Case, flagged: &[&Value], page_port: u16) {
    let Some(f) = flagged.first() else { return };
    let hint = f["hint"].as_str().unwrap_or("");
    match c.name {
        "wrong_origin" | "no_acao" => assert!(
            hint.contains(&format!(
                "origin http://localhost:{page_port} is not in the allowed list [https://xaa.dev, https://app.xaa.dev]"
            )),
            "{hint}"
        ),
        "error_no_cors" => {
            assert_eq!(f["http.response.status_code"], 401, "{f}");
            assert!(f["secondary_causes"].as_str().is_some_and(|s| !s.is_empty()), "masked cause kept: {f}");
        }
        "cred_star_preflight" | "acah_star_strict" => {
            assert_eq!(f["confidence"], "heuristic", "{f}");
            assert!(hint.contains("earlier preflight"), "{hint}");
        }
        "cred_star_preflight (1st)" | "acah_star_strict (1st)" => {
            assert_eq!(f["confidence"], "heuristic", "{f}");
            assert_eq!(f["http.request.method"], "OPTIONS", "{f}");
            assert!(hint.contains("never sent the real request"), "{hint}");
            if c.name.starts_with("cred") {
                assert!(
                    hint.contains("Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true"),
                    "{hint}"
                );
            }
        }
        _ => assert_eq!(f["confidence"], "proxy", "{f}"),
    }
}

/// What makes a case mean something: the browser really sent what the case is about.
fn check_premise(c: &Case, api: &Upstream, path: &str) {
    let seen = api.seen();
    let mut on_path = seen.iter().filter(|s| s.uri.path() == path);
    let has = |name: &str| on_path.clone().any(|s| s.headers.contains_key(name));
    match c.page {
        Page::Authlens => assert!(
            has("origin"),
            "{}: the same-origin PUT carried no Origin",
            c.name
        ),
        Page::LoopbackWithCookie if c.name == "cred_star" => {
            assert!(has("cookie"), "{}: the browser sent no cookie", c.name)
        }
        _ => {}
    }
    // Every cross-origin call with Authorization is preflighted first.
    if c.page != Page::Authlens {
        assert_eq!(
            on_path.next().map(|s| s.method.as_str()),
            Some("OPTIONS"),
            "{}",
            c.name
        );
    }
}

/// The per-exchange verdict lines for a path: a failure, or the access-log line of a clean one.
fn verdict_lines(authlens: &Authlens, path: &str) -> Vec<Value> {
    authlens
        .logs()
        .into_iter()
        .filter(|v| {
            v["url.path"] == path
                && (v["message"] == "exchange failed" || v["message"] == "request")
        })
        .collect()
}

/// Waits (bounded) for the failure line authlens writes when a preflight's window passes
/// without its request (1s in this config).
async fn wait_late_verdict(authlens: &Authlens, path: &str, before: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let lines = verdict_lines(authlens, path);
        if lines[before.min(lines.len())..]
            .iter()
            .any(|v| v["message"] == "exchange failed")
        {
            return lines;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no late verdict on {path}: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sent_on(api: &Upstream, path: &str) -> usize {
    api.seen().iter().filter(|s| s.uri.path() == path).count()
}

/// Waits (bounded) until every request the upstream got on `path` since `(lines, sent)` were
/// counted has its verdict line. Counted from there because a late verdict (an unfollowed
/// preflight) is a line without a request, and lines are written a few milliseconds after
/// the response (`telemetry::log_writer`).
async fn wait_verdicts(
    authlens: &Authlens,
    api: &Upstream,
    path: &str,
    (lines_before, sent_before): (usize, usize),
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let sent = sent_on(api, path) - sent_before;
        let lines = verdict_lines(authlens, path);
        if lines.len() - lines_before.min(lines.len()) >= sent {
            return lines;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{sent} requests on {path}, lines: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
