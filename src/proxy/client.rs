//! The pooled keep-alive client to the upstream: plain HTTP or TLS (rustls), HTTP/1.1, with a
//! choice of resolver for the upstream's host name.

use crate::config::UpstreamSettings;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub type UpstreamConnector = HttpsConnector<HttpConnector<Resolver>>;
pub type UpstreamClient = Client<UpstreamConnector, super::request_body::RequestBody>;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
}

/// How the upstream's host name becomes addresses. An IP literal in `upstream.url` never
/// reaches the resolver.
#[derive(Clone, Debug)]
pub enum Resolver {
    /// The system resolver (`getaddrinfo`: hosts file, then DNS).
    System(GaiResolver),
    /// A fixed table, like `curl --resolve`: names are looked up here only, so a name missing
    /// from it fails to resolve and no query leaves the machine.
    Fixed(Arc<HashMap<String, Vec<IpAddr>>>),
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::System(GaiResolver::new())
    }
}

impl Resolver {
    /// A fixed table of lower-case host names to addresses.
    pub fn fixed<N: Into<String>>(entries: impl IntoIterator<Item = (N, IpAddr)>) -> Self {
        let mut table: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (name, ip) in entries {
            table
                .entry(name.into().to_ascii_lowercase())
                .or_default()
                .push(ip);
        }
        Resolver::Fixed(Arc::new(table))
    }
}

type Addrs = std::vec::IntoIter<SocketAddr>;

impl tower_service::Service<Name> for Resolver {
    type Response = Addrs;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Addrs>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Resolver::System(gai) => gai.poll_ready(cx),
            Resolver::Fixed(_) => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, name: Name) -> Self::Future {
        match self {
            Resolver::System(gai) => {
                let lookup = gai.call(name);
                Box::pin(async move { Ok(lookup.await?.collect::<Vec<_>>().into_iter()) })
            }
            Resolver::Fixed(table) => {
                // Port 0 is replaced by the URL's port in the connector.
                let found = table
                    .get(&name.as_str().to_ascii_lowercase())
                    .map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect());
                Box::pin(async move {
                    found.map(Vec::into_iter).ok_or_else(|| {
                        io::Error::new(io::ErrorKind::NotFound, "name not in the fixed table")
                    })
                })
            }
        }
    }
}

/// Roots: the bundled web PKI roots plus the configured CA file, if any.
pub fn tls_config(ca_file: Option<&std::path::Path>) -> Result<rustls::ClientConfig, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let err = |reason: String| ClientError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))? {
            roots
                .add(cert.map_err(|e| err(e.to_string()))?)
                .map_err(|e| err(e.to_string()))?;
        }
    }
    Ok(rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The connector both the proxy and the health probe use, so they fail the same way.
pub fn connector(
    settings: &UpstreamSettings,
    resolver: &Resolver,
) -> Result<UpstreamConnector, ClientError> {
    let mut http = HttpConnector::new_with_resolver(resolver.clone());
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(settings.connect_timeout));
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config(settings.ca_file.as_deref())?)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}

pub fn build_client(
    settings: &UpstreamSettings,
    resolver: &Resolver,
) -> Result<UpstreamClient, ClientError> {
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(settings.idle_timeout)
        .pool_timer(TokioTimer::new())
        .http1_preserve_header_case(true)
        .build(connector(settings, resolver)?))
}
