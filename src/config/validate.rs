//! Turns a parsed `Config` into runtime `Settings`, collecting every problem on the way so the
//! operator sees all mistakes at once.

use super::model::{Config, Located, LogFormat};
use super::problem::Problem;
use crate::policy::{IssuerPolicy, JwksSource, PathMatch, Policy, RoutePolicy, Routes, ScopeRule};
use http::{Method, Uri};
use jsonwebtoken::Algorithm;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
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
#[derive(Debug)]
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

#[derive(Default)]
struct Collector(Vec<Problem>);

impl Collector {
    fn push<T>(&mut self, key: impl Into<String>, at: &Located<T>, msg: impl Into<String>) {
        self.0.push(Problem::at(key, at, msg));
    }

    fn addr(&mut self, key: &str, v: &Located<String>) -> SocketAddr {
        v.value.parse().unwrap_or_else(|_| {
            self.push(
                key,
                v,
                format!(
                    "`{}` is not an IP address with a port, e.g. 127.0.0.1:8080",
                    v.value
                ),
            );
            SocketAddr::from(([127, 0, 0, 1], 0))
        })
    }

    fn url(&mut self, key: &str, v: &Located<String>, schemes: &[&str]) -> Uri {
        let parsed = Uri::from_str(&v.value)
            .ok()
            .filter(|u| u.authority().is_some());
        match parsed {
            Some(u) if schemes.contains(&u.scheme_str().unwrap_or("")) => u,
            _ => {
                self.push(
                    key,
                    v,
                    format!(
                        "`{}` is not an absolute {} URL",
                        v.value,
                        schemes.join(" or ")
                    ),
                );
                Uri::from_static("http://invalid.invalid/")
            }
        }
    }
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
            if let Some(ca) = &up.ca_file
                && !ca.value.is_file()
            {
                p.push(
                    "upstream.ca_file",
                    ca,
                    format!("{} is not a readable file", ca.value.display()),
                );
            }
            Some((
                UpstreamSettings {
                    uri,
                    response_timeout: up.response_timeout.get(),
                },
                ConnectorSettings {
                    connect_timeout: up.connect_timeout.get(),
                    idle_timeout: up.idle_timeout.get(),
                    ca_file: up.ca_file.as_ref().map(|f| f.value.clone()),
                    max_header_bytes: up.max_header_bytes,
                    max_headers: up.max_headers,
                },
                health,
            ))
        }
    };

    let issuers = issuers(&mut p, c);
    let routes = routes(&mut p, c);
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

    limits(&mut p, c);

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
        },
        log_level: c.log.level.clone(),
        access_log: c.log.access_log,
    };
    Ok(Settings { fixed, live })
}

/// A limit of zero would turn everything away.
fn limits(p: &mut Collector, c: &Config) {
    let d = &c.downstream;
    let mut limits = vec![
        ("downstream.max_connections", d.max_connections),
        ("downstream.max_headers", d.max_headers),
        ("downstream.max_header_bytes", d.max_header_bytes),
    ];
    if let Some(up) = &c.upstream {
        limits.push(("upstream.max_headers", up.max_headers));
        limits.push(("upstream.max_header_bytes", up.max_header_bytes));
    }
    for (key, value) in limits {
        if value == 0 {
            p.0.push(Problem {
                key: key.into(),
                line: 0,
                column: 0,
                message: "must be more than 0".into(),
            });
        }
    }
}

const KNOWN_CLAIMS: &[&str] = &[
    "iss",
    "exp",
    "aud",
    "sub",
    "client_id",
    "iat",
    "jti",
    "nbf",
    "scope",
];

fn issuers(p: &mut Collector, c: &Config) -> Vec<IssuerPolicy> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, is) in c.auth.issuers.iter().enumerate() {
        let key = |k: &str| format!("auth.issuers[{i}].{k}");
        if !valid_label(&is.name.value) {
            p.push(
                key("name"),
                &is.name,
                "must be 1-64 characters of a-z, 0-9, _ or -",
            );
        } else if !names.insert(is.name.value.as_str()) {
            p.push(
                key("name"),
                &is.name,
                format!("`{}` is used by another issuer", is.name.value),
            );
        }
        p.url(&key("issuer"), &is.issuer, &["https", "http"]);
        let jwks = match &is.jwks_uri {
            Some(u) => JwksSource::Uri(p.url(&key("jwks_uri"), u, &["https", "http"])),
            None => JwksSource::Discover,
        };
        let algorithms = is
            .algorithms
            .iter()
            .filter_map(|a| {
                let alg = Algorithm::from_str(&a.value).ok();
                if alg.is_none() {
                    p.push(
                        key("algorithms"),
                        a,
                        format!(
                            "`{}` is not a JWS algorithm (e.g. RS256, ES256, EdDSA)",
                            a.value
                        ),
                    );
                }
                alg
            })
            .collect();
        for claim in &is.required_claims {
            if !KNOWN_CLAIMS.contains(&claim.value.as_str()) {
                p.push(
                    key("required_claims"),
                    claim,
                    format!(
                        "`{}` is not one of {}",
                        claim.value,
                        KNOWN_CLAIMS.join(", ")
                    ),
                );
            }
        }
        if let Some(ca) = &is.ca_file
            && !ca.value.is_file()
        {
            p.push(
                key("ca_file"),
                ca,
                format!("{} is not a readable file", ca.value.display()),
            );
        }
        out.push(IssuerPolicy {
            name: is.name.value.clone(),
            issuer: is.issuer.value.clone(),
            jwks,
            audiences: is.audiences.iter().map(|a| a.value.clone()).collect(),
            algorithms,
            required_claims: is.required_claims.iter().map(|c| c.value.clone()).collect(),
            accepted_types: is.accepted_types.clone(),
            client_ids: is.client_ids.clone(),
            jwks_ttl: is.jwks_ttl.get(),
            jwks_min_refetch: is.jwks_min_refetch.get(),
            jwks_timeout: is.jwks_timeout.get(),
            ca_file: is.ca_file.as_ref().map(|f| f.value.clone()),
        });
    }
    out
}

fn routes(p: &mut Collector, c: &Config) -> Routes {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, r) in c.routes.iter().enumerate() {
        let key = |k: &str| format!("routes[{i}].{k}");
        if !valid_label(&r.name.value) || r.name.value == crate::policy::UNMATCHED {
            p.push(
                key("name"),
                &r.name,
                "must be 1-64 characters of a-z, 0-9, _ or -, and not `unmatched`",
            );
        } else if !names.insert(r.name.value.as_str()) {
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
    Routes::new(out)
}

/// Names become metric labels: keep them short and plain.
fn valid_label(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}
