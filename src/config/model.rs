//! The configuration file's shape (CONTRACT §6). Every struct refuses unknown keys.

use super::Duration;
use crate::policy::ScopeMatch;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::PathBuf;

/// A value with the place in the file it came from, for validation messages.
pub type Located<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "defaults::listen")]
    pub listen: Located<String>,
    #[serde(default = "defaults::admin_listen")]
    pub admin_listen: Located<String>,
    /// Runtime worker threads; 0 means one per core.
    #[serde(default)]
    pub workers: usize,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    #[serde(default = "defaults::drain_timeout")]
    pub drain_timeout: Duration,
    #[serde(default)]
    pub downstream: Downstream,
    pub upstream: Option<Upstream>,
    #[serde(default)]
    pub auth: Auth,
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Paths that are OAuth token endpoints (an IdP's token exchange, an authorization
    /// server's JWT-bearer grant), watched in the token-endpoint mode.
    #[serde(default)]
    pub token_endpoints: Vec<TokenEndpoint>,
    #[serde(default)]
    pub cors: Cors,
    #[serde(default)]
    pub log: Log,
}

/// The client-facing side of the proxy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Downstream {
    /// Time allowed for a client to send a complete request head (slowloris guard).
    #[serde(default = "defaults::header_read_timeout")]
    pub header_read_timeout: Duration,
    /// Largest request head accepted; larger ones get 431.
    #[serde(default = "defaults::max_header_bytes", deserialize_with = "positive")]
    pub max_header_bytes: usize,
    /// Most header fields in a request head; more get 431.
    #[serde(default = "defaults::max_headers", deserialize_with = "positive")]
    pub max_headers: usize,
    /// Open client connections at most; one more is closed at once and counted.
    #[serde(default = "defaults::max_connections", deserialize_with = "positive")]
    pub max_connections: usize,
    /// Adds `authlens-cause` to failed responses. Off by default: authlens is passive.
    #[serde(default)]
    pub diagnostic_header: bool,
    /// Serve TLS instead of plain HTTP (absent: plain, the sidecar-behind-a-mesh case).
    pub tls: Option<Tls>,
}

/// The client-facing listener's TLS: PEM files, re-read when they change on disk.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Certificate chain, leaf first.
    pub cert_file: Located<PathBuf>,
    pub key_file: Located<PathBuf>,
    /// CA certificates that sign client certificates; when set, clients are asked for one.
    pub client_ca_file: Option<Located<PathBuf>>,
    /// With `client_ca_file`: refuse a client without a certificate.
    #[serde(default = "defaults::enabled")]
    pub client_cert_required: bool,
    /// How often the files are checked for a new certificate (SIGHUP checks at once).
    #[serde(default = "defaults::tls_check_interval")]
    pub check_interval: Duration,
}

impl Default for Downstream {
    fn default() -> Self {
        Downstream {
            header_read_timeout: defaults::header_read_timeout(),
            max_header_bytes: defaults::max_header_bytes(),
            max_headers: defaults::max_headers(),
            max_connections: defaults::max_connections(),
            diagnostic_header: false,
            tls: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    pub url: Located<String>,
    #[serde(default = "defaults::connect_timeout")]
    pub connect_timeout: Duration,
    #[serde(default = "defaults::response_timeout")]
    pub response_timeout: Duration,
    /// How long an idle pooled connection to the upstream is kept.
    #[serde(default = "defaults::idle_timeout")]
    pub idle_timeout: Duration,
    /// Extra CA certificates (PEM) trusted for an https upstream.
    pub ca_file: Option<Located<PathBuf>>,
    /// What the upstream connection speaks.
    #[serde(default)]
    pub protocol: UpstreamProtocol,
    /// Largest response head accepted from the upstream; beyond it the client gets 502
    /// `upstream_response_invalid/head_too_large`.
    #[serde(
        default = "defaults::upstream_max_header_bytes",
        deserialize_with = "positive"
    )]
    pub max_header_bytes: usize,
    /// Most header fields in a response head from the upstream.
    #[serde(
        default = "defaults::upstream_max_headers",
        deserialize_with = "positive"
    )]
    pub max_headers: usize,
    /// Bytes of an error response body read for the middleware's words (the rest streams on
    /// unread).
    #[serde(default = "defaults::error_body_bytes", deserialize_with = "positive")]
    pub error_body_bytes: usize,
    #[serde(default)]
    pub health: Health,
}

/// `auto`: HTTP/2 when an https upstream offers it by ALPN, else HTTP/1.1. `h2c`: HTTP/2 with
/// prior knowledge (plain or TLS; what gRPC servers speak). `http1`: HTTP/1.1 only.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamProtocol {
    #[default]
    Auto,
    H2c,
    Http1,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    #[serde(default = "defaults::enabled")]
    pub enabled: bool,
    #[serde(default = "defaults::health_path")]
    pub path: Located<String>,
    #[serde(default = "defaults::health_interval")]
    pub interval: Duration,
    #[serde(default = "defaults::health_timeout")]
    pub timeout: Duration,
    /// When true, `/readyz` answers 503 while the upstream's health probe fails.
    #[serde(default)]
    pub gate_readiness: bool,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            enabled: true,
            path: defaults::health_path(),
            interval: defaults::health_interval(),
            timeout: defaults::health_timeout(),
            gate_readiness: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    #[serde(default)]
    pub issuers: Vec<Issuer>,
    /// Clock tolerance applied to `exp`, `nbf` and `iat`.
    #[serde(default = "defaults::leeway")]
    pub leeway: Duration,
    /// Identity providers whose tokens must never reach the API (e.g. `https://idp.xaa.dev`):
    /// a token from one of them is an ID token or ID-JAG sent by mistake.
    #[serde(default)]
    pub identity_providers: Vec<Located<String>>,
    /// Log `sub`, `email` and `name` claims. Off by default: they are personal data.
    #[serde(default)]
    pub log_personal_claims: bool,
    /// A token this close to expiry is counted as the finding `token_expiring_soon`.
    #[serde(default = "defaults::expiring_soon")]
    pub expiring_soon: Duration,
    /// Entries in the verified-token cache.
    #[serde(default = "defaults::token_cache_entries")]
    pub token_cache_entries: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuer {
    /// The name used in metric labels (`issuer`), so the label set stays closed.
    pub name: Located<String>,
    pub issuer: Located<String>,
    /// Where the keys are; when absent they are discovered from the issuer's metadata.
    pub jwks_uri: Option<Located<String>>,
    #[serde(default)]
    pub audiences: Vec<Located<String>>,
    #[serde(default = "defaults::algorithms")]
    pub algorithms: Vec<Located<String>>,
    /// Claims every token must carry (RFC 9068 §2.2 lists iss, exp, aud, sub, client_id, iat, jti).
    #[serde(default = "defaults::required_claims")]
    pub required_claims: Vec<Located<String>>,
    /// `typ` values the API accepts, when it enforces one (e.g. `[at+jwt]`).
    pub accepted_types: Option<Vec<String>>,
    /// Client ids known to this issuer, to recognise an ID token's `aud`.
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// How long a key set is kept when the server sends no `Cache-Control: max-age`.
    #[serde(default = "defaults::jwks_ttl")]
    pub jwks_ttl: Duration,
    /// Least time between two fetches triggered by unknown `kid`s.
    #[serde(default = "defaults::jwks_min_refetch")]
    pub jwks_min_refetch: Duration,
    #[serde(default = "defaults::jwks_timeout")]
    pub jwks_timeout: Duration,
    /// Extra CA certificates (PEM) for fetching metadata and keys.
    pub ca_file: Option<Located<PathBuf>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub name: Located<String>,
    /// Exactly one of `path`, `path_prefix` and `path_template`.
    pub path: Option<Located<String>>,
    pub path_prefix: Option<Located<String>>,
    /// `/files/{id}`: a `{name}` segment matches any one path segment.
    pub path_template: Option<Located<String>>,
    /// Empty means every method.
    #[serde(default)]
    pub methods: Vec<Located<String>>,
    #[serde(default)]
    pub required_scopes: Vec<Located<String>>,
    #[serde(default)]
    pub scope_match: ScopeMatch,
    /// The claim the API reads scopes from; `scope` (space separated) by default.
    #[serde(default = "defaults::scope_claim")]
    pub scope_claim: String,
    /// Whether the API is expected to reject requests without a valid token here.
    #[serde(default = "defaults::enabled")]
    pub protected: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEndpoint {
    /// The route label.
    pub name: Located<String>,
    /// The token endpoint's path, e.g. `/oauth2/token`.
    pub path: Located<String>,
    /// This server's issuer: the `aud` an ID-JAG sent here must carry, and the `issuer` its
    /// metadata must name.
    pub issuer: Option<Located<String>>,
    /// Watch this server's metadata (`/.well-known/oauth-authorization-server` and
    /// `/.well-known/openid-configuration`) as the `{name}_discovery` route. Needs `issuer`.
    #[serde(default = "defaults::enabled")]
    pub discovery: bool,
    /// Issuers whose ID-JAGs (or, at an IdP, whose ID tokens) this server accepts; same keys
    /// as `auth.issuers` (`audiences` unused: the expected `aud` is `issuer` above).
    #[serde(default)]
    pub trusted_issuers: Vec<Issuer>,
    /// Clients registered here; `{name}` placeholders match any text, e.g.
    /// `{client_id}-at-{resource_id}`.
    #[serde(default)]
    pub client_ids: Vec<Located<String>>,
    /// At an IdP: the audience and resource values that have a resource connection.
    #[serde(default)]
    pub resources: Vec<Located<String>>,
    /// The client authentication the server accepts, when it accepts only one.
    pub client_auth: Option<crate::policy::ClientAuthMethod>,
    /// ID-JAGs living longer than this are noted in the log (the draft says 5 minutes).
    #[serde(default = "defaults::assertion_lifetime")]
    pub assertion_lifetime: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cors {
    /// The origins the operator expects the API to allow; used to word hints.
    #[serde(default)]
    pub allowed_origins: Vec<Located<String>>,
    /// How long to wait for the real request after a successful preflight.
    #[serde(default = "defaults::preflight_window")]
    pub preflight_window: Duration,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            issuers: Vec::new(),
            leeway: defaults::leeway(),
            identity_providers: Vec::new(),
            log_personal_claims: false,
            expiring_soon: defaults::expiring_soon(),
            token_cache_entries: defaults::token_cache_entries(),
        }
    }
}

impl Default for Cors {
    fn default() -> Self {
        Cors {
            allowed_origins: Vec::new(),
            preflight_window: defaults::preflight_window(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// A `RUST_LOG`-style filter; `AUTHLENS_LOG` overrides it.
    #[serde(default = "defaults::log_level")]
    pub level: String,
    #[serde(default)]
    pub format: LogFormat,
    /// One line per request, not only per failure.
    #[serde(default)]
    pub access_log: bool,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            level: defaults::log_level(),
            format: LogFormat::default(),
            access_log: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Json,
    Plain,
}

impl Upstream {
    /// An upstream with every setting at its default, as `--upstream URL` alone gives.
    pub fn new(url: Located<String>) -> Self {
        Upstream {
            url,
            connect_timeout: defaults::connect_timeout(),
            response_timeout: defaults::response_timeout(),
            idle_timeout: defaults::idle_timeout(),
            ca_file: None,
            protocol: UpstreamProtocol::default(),
            max_header_bytes: defaults::upstream_max_header_bytes(),
            max_headers: defaults::upstream_max_headers(),
            error_body_bytes: defaults::error_body_bytes(),
            health: Health::default(),
        }
    }
}

/// A limit of zero would turn everything away; refused where it is written.
fn positive<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    match <usize as serde::Deserialize>::deserialize(d)? {
        0 => Err(serde::de::Error::custom("must be more than 0")),
        n => Ok(n),
    }
}

mod defaults {
    use super::*;

    fn at<T>(value: T) -> Located<T> {
        Spanned {
            value,
            referenced: serde_saphyr::Location::UNKNOWN,
            defined: serde_saphyr::Location::UNKNOWN,
        }
    }
    pub fn listen() -> Located<String> {
        at("127.0.0.1:8080".into())
    }
    pub fn admin_listen() -> Located<String> {
        at("127.0.0.1:9901".into())
    }
    pub fn drain_timeout() -> Duration {
        Duration::from_secs(15)
    }
    pub fn header_read_timeout() -> Duration {
        Duration::from_secs(10)
    }
    pub fn max_header_bytes() -> usize {
        64 * 1024
    }
    /// hyper's own default is 100 (kept on the stack); clients behind several proxies with
    /// tracing and cookies pass it. Above 100 hyper's parser allocates its field table.
    pub fn max_headers() -> usize {
        200
    }
    pub fn max_connections() -> usize {
        10_000
    }
    /// nginx refuses upstream heads over its proxy buffer (4-8 KiB by default); real APIs with
    /// large `WWW-Authenticate` or cookie sets get far more room here.
    pub fn upstream_max_header_bytes() -> usize {
        1024 * 1024
    }
    pub fn upstream_max_headers() -> usize {
        1000
    }
    pub fn error_body_bytes() -> usize {
        4096
    }

    pub fn connect_timeout() -> Duration {
        Duration::from_secs(2)
    }
    pub fn response_timeout() -> Duration {
        Duration::from_secs(30)
    }
    pub fn idle_timeout() -> Duration {
        Duration::from_secs(90)
    }
    pub fn enabled() -> bool {
        true
    }
    pub fn health_path() -> Located<String> {
        at("/health".into())
    }
    pub fn health_interval() -> Duration {
        Duration::from_secs(10)
    }
    pub fn health_timeout() -> Duration {
        Duration::from_secs(5)
    }
    pub fn leeway() -> Duration {
        Duration::from_secs(30)
    }
    pub fn expiring_soon() -> Duration {
        Duration::from_secs(60)
    }
    pub fn token_cache_entries() -> usize {
        10_000
    }
    pub fn algorithms() -> Vec<Located<String>> {
        vec![at("RS256".into())]
    }
    pub fn required_claims() -> Vec<Located<String>> {
        ["iss", "exp", "aud"]
            .into_iter()
            .map(|c| at(c.into()))
            .collect()
    }
    pub fn jwks_ttl() -> Duration {
        Duration::from_secs(300)
    }
    pub fn jwks_min_refetch() -> Duration {
        Duration::from_secs(30)
    }
    pub fn jwks_timeout() -> Duration {
        Duration::from_secs(5)
    }
    pub fn scope_claim() -> String {
        "scope".into()
    }
    pub fn tls_check_interval() -> Duration {
        Duration::from_secs(10)
    }
    pub fn assertion_lifetime() -> Duration {
        Duration::from_secs(300)
    }
    pub fn preflight_window() -> Duration {
        Duration::from_secs(5)
    }
    pub fn log_level() -> String {
        "info".into()
    }
}
