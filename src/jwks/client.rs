//! authlens's own HTTP client for metadata and key sets: hyper-util's pooled client over
//! hyper-rustls (Mozilla roots plus an optional CA file), with a deadline and a size cap.

use bytes::Bytes;
use http::{Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Metadata documents and key sets are small; anything bigger is not one.
const MAX_BODY: usize = 1024 * 1024;

/// Why a fetch failed, in authlens's words. Never carries a response body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {reason}")]
    Network { url: String, reason: String },
    #[error("{url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("{url}: {reason}")]
    Invalid { url: String, reason: String },
}

impl FetchError {
    /// The `result` label (one of `metrics::JWKS_RESULTS`).
    pub fn result(&self) -> &'static str {
        match self {
            FetchError::Status { .. } => "http_error",
            FetchError::Network { .. } | FetchError::Timeout { .. } => "network_error",
            FetchError::Invalid { .. } => "invalid",
        }
    }

    pub fn invalid(url: &Uri, reason: impl Into<String>) -> Self {
        FetchError::Invalid {
            url: url.to_string(),
            reason: reason.into(),
        }
    }
}

/// A CA file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("CA file {path}: {reason}")]
pub struct CaError {
    path: String,
    reason: String,
}

/// A successful fetch: the body and how long the server lets it be cached.
pub struct Fetched {
    pub body: Bytes,
    pub max_age: Option<Duration>,
}

#[derive(Clone)]
pub struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl HttpClient {
    pub fn new(ca_file: Option<&Path>) -> Result<Self, CaError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = ca_file {
            let err = |reason: String| CaError {
                path: path.display().to_string(),
                reason,
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| err(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| err(e.to_string()))?;
            if certs.is_empty() {
                return Err(err("no certificates in it".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| err(e.to_string()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| CaError {
                path: String::new(),
                reason: e.to_string(),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        Ok(HttpClient {
            inner: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// GETs `url` as JSON within `timeout`; only 200 counts as success.
    pub async fn get(&self, url: &Uri, timeout: Duration) -> Result<Fetched, FetchError> {
        match tokio::time::timeout(timeout, self.get_inner(url)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout {
                url: url.to_string(),
                timeout,
            }),
        }
    }

    async fn get_inner(&self, url: &Uri) -> Result<Fetched, FetchError> {
        let network = |reason: String| FetchError::Network {
            url: url.to_string(),
            reason,
        };
        let req = Request::get(url.clone())
            .header(header::ACCEPT, "application/json")
            .header(
                header::USER_AGENT,
                concat!("authlens/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::new())
            .map_err(|e| FetchError::invalid(url, e.to_string()))?;
        let resp = self
            .inner
            .request(req)
            .await
            .map_err(|e| network(error_chain(&e)))?;
        if resp.status() != StatusCode::OK {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: resp.status().as_u16(),
            });
        }
        let max_age = resp
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let body = Limited::new(resp.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| network(format!("reading the body: {e}")))?
            .to_bytes();
        Ok(Fetched { body, max_age })
    }
}

/// `max-age` of a `Cache-Control` value; `no-store`/`no-cache` mean zero.
pub fn max_age(value: &str) -> Option<Duration> {
    value.split(',').map(str::trim).find_map(|d| {
        if d.eq_ignore_ascii_case("no-store") || d.eq_ignore_ascii_case("no-cache") {
            return Some(Duration::ZERO);
        }
        let (k, v) = d.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| {
                v.trim()
                    .trim_matches('"')
                    .parse()
                    .ok()
                    .map(Duration::from_secs)
            })
            .flatten()
    })
}

/// The error and its sources on one line: hyper's top-level message alone says little.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
