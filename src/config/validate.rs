//! Turns a parsed `Config` into runtime `Settings`, collecting every problem on the way so the
//! operator sees all mistakes at once.

use super::collect::{Collector, issuer, valid_label};
use super::model::{Config, LogFormat, UpstreamProtocol};
use super::problem::Problem;
use crate::base::server_tls::ServerTlsFiles;
use crate::policy::{IssuerPolicy, PathMatch, Policy, RoutePolicy, Routes, ScopeRule};
use http::{Method, Uri};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Everything the running sidecar needs, validated: what is fixed for the life of the process,
/// and what a reload may change.
#[derive(Debug)]
pub struct Settings {
    pub fixed: Fixed,
    pub live: Live,
}

/// Settings read once at start: sockets, runtime, limits, and what durable state is sized by.
#[derive(Debug, Clone)]
pub struct Fixed {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub workers: usize,
    pub drain_timeout: Duration,
    pub header_read_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_headers: usize,
    pub max_connections: usize,
    /// Bytes of an upstream error body read for its words.
    pub error_body_bytes: usize,
    pub log_format: LogFormat,
    /// Bound of the verified-token cache.
    pub token_cache_entries: usize,
    /// How the upstream client connects; its pool lives as long as the process.
    pub connector: ConnectorSettings,
    pub health: Option<HealthSettings>,
    /// TLS on the client-facing listener; `None` serves plain HTTP.
    pub tls: Option<ListenerTls>,
}

/// The listener's TLS files and how often they are checked for a rotated certificate.
#[derive(Debug, Clone)]
pub struct ListenerTls {
    pub files: ServerTlsFiles,
    pub check_interval: Duration,
}

/// Settings a reload may change; one `Generation` is built from each.
#[derive(Debug)]
pub struct Live {
    pub upstream: UpstreamSettings,
    pub policy: Policy,
    pub log_level: String,
    pub access_log: bool,
    pub diagnostic_header: bool,
}

/// Where requests go and how long the upstream may take to answer.
#[derive(Debug, Clone)]
pub struct UpstreamSettings {
    pub uri: Uri,
    pub response_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct ConnectorSettings {
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
    pub ca_file: Option<PathBuf>,
    /// SHA-256 of `ca_file`'s bytes as read now: the connector reads the file once at start, so
    /// a reload that finds other bytes at the same path must say a restart is needed.
    pub ca_digest: Option<[u8; 32]>,
    pub protocol: UpstreamProtocol,
    /// Largest response head and most header fields accepted from the upstream.
    pub max_header_bytes: usize,
    pub max_headers: usize,
}

#[derive(Debug, Clone)]
pub struct HealthSettings {
    pub path: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub gate_readiness: bool,
}

pub(super) fn build(c: &Config) -> Result<Settings, Vec<Problem>> {
    let mut p = Collector::default();
    let listen = p.addr("listen", &c.listen);
    let admin_listen = p.addr("admin_listen", &c.admin_listen);

    let upstream = match &c.upstream {
        None => {
            p.0.push(Problem {
                key: "upstream.url".into(),
                line: 0,
                column: 0,
                message: "no upstream: set upstream.url in the file or pass --upstream URL".into(),
            });
            None
        }
        Some(up) => {
            let uri = p.url("upstream.url", &up.url, &["http", "https"]);
            let health = up.health.enabled.then(|| {
                if !up.health.path.value.starts_with('/') {
                    p.push("upstream.health.path", &up.health.path, "must start with /");
                }
                if up.health.interval.get().is_zero() {
                    p.0.push(Problem {
                        key: "upstream.health.interval".into(),
                        line: 0,
                        column: 0,
                        message: "must be more than 0 (or set upstream.health.enabled: false)"
                            .into(),
                    });
                }
                HealthSettings {
                    path: up.health.path.value.clone(),
                    interval: up.health.interval.get(),
                    timeout: up.health.timeout.get(),
                    gate_readiness: up.health.gate_readiness,
                }
            });
            p.ca_file("upstream.ca_file", &up.ca_file);
            Some((
                UpstreamSettings {
                    uri,
                    response_timeout: up.response_timeout.get(),
                },
                ConnectorSettings {
                    connect_timeout: up.connect_timeout.get(),
                    idle_timeout: up.idle_timeout.get(),
                    ca_file: up.ca_file.as_ref().map(|f| f.value.clone()),
                    ca_digest: up.ca_file.as_ref().and_then(|f| file_digest(&f.value)),
                    protocol: up.protocol,
                    max_header_bytes: up.max_header_bytes,
                    max_headers: up.max_headers,
                },
                health,
            ))
        }
    };

    let tls = listener_tls(&mut p, c);
    let issuers = issuers(&mut p, c);
    let mut route_names = HashSet::new();
    let (token_endpoints, mut route_list) =
        super::token_endpoints::build(&mut p, c, issuers.len(), &mut route_names);
    route_list.extend(routes(&mut p, c, &mut route_names));
    let routes = Routes::new(route_list);
    for (i, o) in c.cors.allowed_origins.iter().enumerate() {
        let ok = Uri::from_str(&o.value).is_ok_and(|u| {
            u.scheme().is_some()
                && u.authority().is_some()
                && u.path() == "/"
                && !o.value.ends_with('/')
        });
        if !ok && o.value != "*" {
            p.push(
                format!("cors.allowed_origins[{i}]"),
                o,
                format!(
                    "`{}` is not an origin like https://app.example.com",
                    o.value
                ),
            );
        }
    }
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&c.log.level) {
        p.0.push(Problem {
            key: "log.level".into(),
            line: 0,
            column: 0,
            message: e.to_string(),
        });
    }

    if !p.0.is_empty() {
        return Err(p.0);
    }
    let Some((upstream, connector, health)) = upstream else {
        unreachable!("a missing upstream is a problem above")
    };
    let fixed = Fixed {
        listen,
        admin_listen,
        workers: c.workers,
        drain_timeout: c.drain_timeout.get(),
        header_read_timeout: c.downstream.header_read_timeout.get(),
        max_header_bytes: c.downstream.max_header_bytes,
        max_headers: c.downstream.max_headers,
        max_connections: c.downstream.max_connections,
        error_body_bytes: c.upstream.as_ref().map_or(0, |u| u.error_body_bytes),
        log_format: c.log.format,
        token_cache_entries: c.auth.token_cache_entries,
        connector,
        health,
        tls,
    };
    let live = Live {
        diagnostic_header: c.downstream.diagnostic_header,
        upstream,
        policy: Policy {
            routes,
            issuers,
            leeway: c.auth.leeway.get(),
            identity_providers: c
                .auth
                .identity_providers
                .iter()
                .map(|s| s.value.clone())
                .collect(),
            log_personal_claims: c.auth.log_personal_claims,
            expiring_soon: c.auth.expiring_soon.get(),
            cors_allowed_origins: c
                .cors
                .allowed_origins
                .iter()
                .map(|s| s.value.clone())
                .collect(),
            preflight_window: c.cors.preflight_window.get(),
            token_endpoints,
        },
        log_level: c.log.level.clone(),
        access_log: c.log.access_log,
    };
    Ok(Settings { fixed, live })
}

/// The listener's certificate and key are read and matched here, so an unusable file stops a
/// start (and refuses a reload) instead of failing the first handshake.
fn listener_tls(p: &mut Collector, c: &Config) -> Option<ListenerTls> {
    let t = c.downstream.tls.as_ref()?;
    let files = ServerTlsFiles {
        cert_file: t.cert_file.value.clone(),
        key_file: t.key_file.value.clone(),
        client_ca_file: t.client_ca_file.as_ref().map(|f| f.value.clone()),
        client_cert_required: t.client_cert_required,
    };
    if let Err(e) = files.server_config() {
        let (key, at) = match &t.client_ca_file {
            Some(ca) if Path::new(&e.path) == ca.value => ("downstream.tls.client_ca_file", ca),
            _ if Path::new(&e.path) == t.key_file.value => ("downstream.tls.key_file", &t.key_file),
            _ => ("downstream.tls.cert_file", &t.cert_file),
        };
        p.push(key, at, e.to_string());
    }
    if t.check_interval.get().is_zero() {
        p.push(
            "downstream.tls.check_interval",
            &t.cert_file,
            "must be more than 0",
        );
    }
    Some(ListenerTls {
        files,
        check_interval: t.check_interval.get(),
    })
}
fn issuers(p: &mut Collector, c: &Config) -> Vec<IssuerPolicy> {
    let mut names = HashSet::new();
    c.auth
        .issuers
        .iter()
        .enumerate()
        .map(|(i, is)| issuer(p, &format!("auth.issuers[{i}]"), is, &mut names))
        .collect()
}

/// The API's routes; `names` holds the route names used so far.
fn routes(p: &mut Collector, c: &Config, names: &mut HashSet<String>) -> Vec<RoutePolicy> {
    let mut out = Vec::new();
    for (i, r) in c.routes.iter().enumerate() {
        let key = |k: &str| format!("routes[{i}].{k}");
        if !valid_label(&r.name.value) || r.name.value == crate::policy::UNMATCHED {
            p.push(
                key("name"),
                &r.name,
                "must be 1-64 characters of a-z, 0-9, _ or -, and not `unmatched`",
            );
        } else if !names.insert(r.name.value.clone()) {
            p.push(
                key("name"),
                &r.name,
                format!("`{}` is used by another route", r.name.value),
            );
        }
        let given: Vec<_> = [
            (&r.path, "path"),
            (&r.path_prefix, "path_prefix"),
            (&r.path_template, "path_template"),
        ]
        .into_iter()
        .filter_map(|(v, k)| v.as_ref().map(|v| (v, k)))
        .collect();
        let path = match given.as_slice() {
            [(v, k)] => {
                if !v.value.starts_with('/') {
                    p.push(key(k), v, "must start with /");
                }
                match *k {
                    "path" => PathMatch::Exact(v.value.clone()),
                    "path_prefix" => PathMatch::Prefix(v.value.clone()),
                    _ => PathMatch::template(&v.value),
                }
            }
            _ => {
                p.push(
                    key("name"),
                    &r.name,
                    "give exactly one of path, path_prefix and path_template",
                );
                PathMatch::Exact(String::new())
            }
        };
        let methods = r
            .methods
            .iter()
            .filter_map(|m| {
                let parsed = Method::from_bytes(m.value.to_ascii_uppercase().as_bytes()).ok();
                if parsed.is_none() {
                    p.push(
                        key("methods"),
                        m,
                        format!("`{}` is not an HTTP method", m.value),
                    );
                }
                parsed
            })
            .collect();
        for s in &r.required_scopes {
            if s.value.is_empty() || s.value.contains(|c: char| c.is_whitespace() || c == ',') {
                p.push(
                    key("required_scopes"),
                    s,
                    format!(
                        "`{}`: list each scope as its own item, without spaces or commas",
                        s.value
                    ),
                );
            }
        }
        out.push(RoutePolicy {
            name: r.name.value.clone(),
            path,
            methods,
            scopes: ScopeRule {
                required: r.required_scopes.iter().map(|s| s.value.clone()).collect(),
                matching: r.scope_match,
                claim: r.scope_claim.clone(),
            },
            protected: r.protected,
        });
    }
    out
}

fn file_digest(path: &std::path::Path) -> Option<[u8; 32]> {
    use sha2::{Digest, Sha256};
    std::fs::read(path).ok().map(|b| Sha256::digest(&b).into())
}
