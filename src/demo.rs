//! `authlens demo`: a self-contained tour. It starts a demo authorization server and a demo
//! API on loopback, puts authlens in front of the API, sends one request per common mistake,
//! and prints what authlens named for each and its hint; then it keeps demo traffic flowing
//! while `/metrics`, `/failures.html` and the logs stay live.

mod keys;
mod scenarios;
mod servers;
mod table;
mod token_scenarios;
mod token_servers;
mod traffic;

pub use table::{table, where_to_look};
pub use traffic::EVERY as TRAFFIC_EVERY;

use crate::config::{self, Overrides};
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error("cannot listen on loopback: {0}")]
    Bind(#[from] std::io::Error),
    #[error("demo config: {0}")]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Start(#[from] crate::app::StartError),
    #[error("authlens did not start")]
    NotStarted,
}

pub struct DemoOptions {
    pub listen: String,
    pub admin_listen: String,
    /// After the tour, keep sending demo requests at a gentle pace until shutdown.
    pub keep_traffic: bool,
}

/// One scenario's result.
pub struct Row {
    pub name: &'static str,
    pub status: u16,
    pub expected: &'static str,
    pub got: String,
    /// The hint authlens gave for what it named (empty for `ok`).
    pub hint: String,
}

impl Row {
    pub fn matches(&self) -> bool {
        self.got == self.expected
    }
}

/// Runs the tour, then keeps everything serving until `shutdown` resolves. `on_done` gets the
/// table once the traffic has been sent.
pub async fn run(
    opts: DemoOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_done: impl FnOnce(&[Row], SocketAddr, SocketAddr),
) -> Result<Vec<Row>, DemoError> {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let published = keys::DemoKey::generate("demo-key-1")?;
    let unpublished = keys::DemoKey::generate("demo-key-2")?;
    let idp = Arc::new(token_servers::DemoIdp {
        key: keys::DemoKey::generate("demo-idp-key")?,
        seen: Default::default(),
    });
    let jwks = Arc::new(keys::jwks(&[&published, &idp.key])?);

    // The issuer URL names the port, so bind before serving.
    let as_listener = TcpListener::bind(loopback).await?;
    let issuer = format!("http://{}", as_listener.local_addr()?);
    let as_task = servers::serve(
        as_listener,
        servers::authorization_server(issuer.clone(), jwks.clone()),
    );
    let api_listener = TcpListener::bind(loopback).await?;
    let api_addr = api_listener.local_addr()?;
    let api_task = servers::serve(
        api_listener,
        token_servers::with_token_endpoints(
            servers::api(issuer.clone(), jwks.clone()),
            idp.clone(),
            issuer.clone(),
            jwks.clone(),
        ),
    );

    let yaml = demo_config(&issuer, api_addr);
    let settings = config::load_str(
        &yaml,
        &Overrides {
            listen: Some(opts.listen),
            admin_listen: Some(opts.admin_listen),
            ..Overrides::default()
        },
    )?;
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let authlens = tokio::spawn(crate::app::run(settings, shutdown, move |proxy, admin| {
        let _ = bound_tx.send((proxy, admin));
    }));
    let (proxy, admin) = bound_rx.await.map_err(|_| DemoError::NotStarted)?;
    wait_for_keys(admin).await;
    let tokens = scenarios::Tokens::minted_now(&issuer, &published, &unpublished);
    let mut rows = Vec::new();
    for s in tour(&tokens) {
        let before = counters(admin).await;
        let status = send(proxy, s.method, s.path, &s.headers, s.body).await;
        rows.push(Row {
            name: s.name,
            status,
            expected: s.expect,
            got: changed(admin, &before).await,
            hint: String::new(),
        });
    }
    // Last: the API goes away, as when it crashes or listens elsewhere; then it comes back.
    api_task.abort();
    let _ = api_task.await; // the listener is closed once the task is gone
    let before = counters(admin).await;
    let status = send(proxy, "GET", "/files", &[], None).await;
    rows.push(Row {
        name: "the API is down",
        status,
        expected: "upstream_connection_refused/",
        got: changed(admin, &before).await,
        hint: String::new(),
    });
    add_hints(admin, &mut rows).await;
    let api_again = match TcpListener::bind(api_addr).await {
        Ok(l) => Some(servers::serve(
            l,
            token_servers::with_token_endpoints(
                servers::api(issuer.clone(), jwks.clone()),
                idp,
                issuer.clone(),
                jwks,
            ),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "the demo API could not come back on its port");
            None
        }
    };

    on_done(&rows, proxy, admin);
    let traffic = opts
        .keep_traffic
        .then(|| tokio::spawn(traffic::keep_flowing(proxy, issuer, published, unpublished)));
    let result = authlens.await;
    if let Some(task) = traffic {
        task.abort();
    }
    as_task.abort();
    if let Some(task) = api_again {
        task.abort();
    }
    match result {
        Ok(Ok(_)) => Ok(rows),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(DemoError::NotStarted),
    }
}

/// Every scenario: the API's, then the token endpoints'.
fn tour(t: &scenarios::Tokens<'_>) -> Vec<scenarios::Scenario> {
    let mut all = scenarios::all(t);
    all.extend(token_scenarios::all(t));
    all
}

fn demo_config(issuer: &str, api: SocketAddr) -> String {
    format!(
        "\
upstream:
  url: http://{api}
  response_timeout: 1s
  health: {{ path: /health, interval: 10s, timeout: 2s }}
auth:
  issuers:
    - name: demo-as
      issuer: {issuer}
      audiences: [{aud}]
      algorithms: [RS256]
      jwks_min_refetch: 1s
routes:
  - {{ name: files, path_prefix: /files, methods: [GET, OPTIONS], required_scopes: [files.read] }}
  - {{ name: admin, path_prefix: /admin }}
  - {{ name: public, path: /public }}
  - {{ name: health, path: /health, protected: false }}
token_endpoints:
  - name: idp_token
    path: /idp/token
    issuer: {issuer}
    discovery: false
    trusted_issuers:
      - {{ name: demo-idp, issuer: {issuer}, jwks_uri: {issuer}/jwks }}
    client_ids: [{idp_client}]
    resources: [{resource_as}, {aud}]
    client_auth: client_secret_post
  - name: resource_as_token
    path: /oauth2/token
    issuer: {resource_as}
    discovery: false
    trusted_issuers:
      - {{ name: demo-idp-at-as, issuer: {issuer}, jwks_uri: {issuer}/jwks }}
    client_ids: [\"{{client_id}}-at-{{resource_id}}\"]
    client_auth: client_secret_post
cors:
  allowed_origins: [{origin}]
log:
  level: warn
  format: plain
",
        aud = servers::AUDIENCE,
        origin = servers::APP_ORIGIN,
        idp_client = token_servers::IDP_CLIENT,
        resource_as = token_servers::RESOURCE_AS,
    )
}

/// The hint authlens gave for each row's cause, from its own `/failures`.
async fn add_hints(admin: SocketAddr, rows: &mut [Row]) {
    let Ok(url) = crate::top::failures_url(&admin.to_string()) else {
        return;
    };
    let Ok(failures) = crate::top::fetch(&url).await else {
        return;
    };
    for row in rows {
        let first = row.got.split('+').next().unwrap_or("");
        row.hint = match first.split_once('/') {
            Some((cause, detail)) => failures
                .groups
                .iter()
                .find(|g| g.cause == cause && g.detail == detail)
                .map(|g| g.hint.clone())
                .unwrap_or_default(),
            None if first == "finding:unprotected_route" => {
                "the API answered 2xx without a valid token on a route configured as protected: \
                 add its auth middleware"
                    .into()
            }
            None => String::new(),
        };
    }
}

async fn get(url: String) -> Option<(u16, Bytes)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = Request::get(url).body(Full::default()).ok()?;
    let resp = tokio::time::timeout(Duration::from_secs(5), client.request(req))
        .await
        .ok()?
        .ok()?;
    let status = resp.status().as_u16();
    Some((status, resp.into_body().collect().await.ok()?.to_bytes()))
}

async fn send(
    proxy: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<String>,
) -> u16 {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{proxy}{path}"));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let Ok(req) = req.body(Full::new(Bytes::from(body.unwrap_or_default()))) else {
        return 0;
    };
    match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
        Ok(Ok(resp)) => {
            let status = resp.status().as_u16();
            let _ = resp.into_body().collect().await;
            status
        }
        _ => 0,
    }
}

/// Failure and finding counters by series, from the admin listener.
async fn counters(admin: SocketAddr) -> BTreeMap<String, f64> {
    let Some((_, body)) = get(format!("http://{admin}/metrics")).await else {
        return BTreeMap::new();
    };
    String::from_utf8_lossy(&body)
        .lines()
        .filter(|l| {
            l.starts_with("authlens_failures_total{") || l.starts_with("authlens_findings_total{")
        })
        .filter_map(|l| {
            l.rsplit_once(' ')
                .and_then(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        })
        .collect()
}

fn label<'a>(series: &'a str, name: &str) -> &'a str {
    series
        .split(&format!("{name}=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
}

/// What the last exchange added: `cause/detail` or `finding:NAME` (joined by `+`), or `ok`.
/// Events are emitted as the response ends, so wait briefly for them.
async fn changed(admin: SocketAddr, before: &BTreeMap<String, f64>) -> String {
    let started = Instant::now();
    loop {
        let now = counters(admin).await;
        let mut got: Vec<String> = now
            .iter()
            .filter(|(k, v)| **v > before.get(*k).copied().unwrap_or(0.0))
            .filter(|(k, _)| !k.contains("health_check_failed"))
            .map(|(k, _)| match k.starts_with("authlens_findings_total") {
                true => format!("finding:{}", label(k, "finding")),
                false => format!("{}/{}", label(k, "cause"), label(k, "detail")),
            })
            .collect();
        if !got.is_empty() || started.elapsed() > Duration::from_millis(500) {
            got.sort();
            return if got.is_empty() {
                "ok".into()
            } else {
                got.join("+")
            };
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// authlens never waits for keys; the demo does, so its first verdicts are complete.
async fn wait_for_keys(admin: SocketAddr) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if let Some((_, body)) = get(format!("http://{admin}/metrics")).await
            && String::from_utf8_lossy(&body).contains("authlens_jwks_keys{issuer=\"demo-as\"} 2")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
