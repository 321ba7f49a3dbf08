//! authlens's own HTTP client for metadata and key sets: hyper-util's pooled client over
//! hyper-rustls (Mozilla roots plus an optional CA file), with a deadline and a size cap.

use super::FetchResult;
use crate::base::error::chain_text;
use crate::base::tls::{CaError, client_config};
use bytes::Bytes;
use http::{Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use std::path::Path;
use std::time::Duration;

/// Metadata documents and key sets are small; anything bigger is not one (10,000 RSA keys
/// are about 4 MiB, far past any real issuer's handful).
pub const MAX_BODY: usize = 1024 * 1024;

/// Why a fetch failed, in authlens's words. Never carries a response body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {}", chain_text(&**source))]
    Network {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("{url}: {reason}")]
    Invalid { url: String, reason: String },
    #[error("{url}: the document is larger than {limit} bytes, too large for a key set")]
    TooLarge { url: String, limit: usize },
}

impl FetchError {
    /// The `result` the fetch is counted under.
    pub fn result(&self) -> FetchResult {
        match self {
            FetchError::Status { .. } => FetchResult::HttpError,
            FetchError::Network { .. } | FetchError::Timeout { .. } => FetchResult::NetworkError,
            FetchError::Invalid { .. } | FetchError::TooLarge { .. } => FetchResult::Invalid,
        }
    }

    pub fn invalid(url: &Uri, reason: impl Into<String>) -> Self {
        FetchError::Invalid {
            url: url.to_string(),
            reason: reason.into(),
        }
    }
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
        let tls = client_config(ca_file)?;
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
        let network = |source: Box<dyn std::error::Error + Send + Sync>| FetchError::Network {
            url: url.to_string(),
            source,
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
            .map_err(|e| network(e.into()))?;
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
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    FetchError::TooLarge {
                        url: url.to_string(),
                        limit: MAX_BODY,
                    }
                } else {
                    network(e)
                }
            })?
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
