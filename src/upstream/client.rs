//! The pooled keep-alive client to the upstream: plain HTTP or TLS (rustls), with a choice of
//! resolver for the upstream's host name.

use crate::base::tls::{CaError, client_config};
use crate::config::{ConnectorSettings, UpstreamProtocol};
use http::Version;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub type UpstreamConnector = HttpsConnector<HttpConnector<Resolver>>;

/// What the upstream connection speaks; any client (h1 or h2) is served over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    /// HTTP/2 with prior knowledge (on `https://`, ALPN offers `h2` alone).
    H2c,
    /// ALPN offers `h2` and `http/1.1` on `https://`; plain `http://` speaks HTTP/1.1.
    Auto,
}

impl Protocol {
    /// The version requests to the upstream are sent with. Under `Auto` the pooled client
    /// speaks HTTP/2 on a connection that negotiated it whatever this says.
    pub fn version(self) -> Version {
        match self {
            Protocol::Http1 | Protocol::Auto => Version::HTTP_11,
            Protocol::H2c => Version::HTTP_2,
        }
    }
}

impl From<UpstreamProtocol> for Protocol {
    fn from(p: UpstreamProtocol) -> Self {
        match p {
            UpstreamProtocol::Http1 => Protocol::Http1,
            UpstreamProtocol::H2c => Protocol::H2c,
            UpstreamProtocol::Auto => Protocol::Auto,
        }
    }
}

/// A host name that could not be resolved: the connector's error chain carries this type, so
/// a DNS failure is recognised by type, not by message.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {name}")]
pub struct ResolveError {
    name: String,
    #[source]
    source: Option<io::Error>,
}

impl ResolveError {
    fn io(name: &Name, source: Option<io::Error>) -> io::Error {
        io::Error::other(ResolveError {
            name: name.as_str().to_string(),
            source,
        })
    }
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
                let lookup = gai.call(name.clone());
                Box::pin(async move {
                    match lookup.await {
                        Ok(addrs) => Ok(addrs.collect::<Vec<_>>().into_iter()),
                        Err(e) => Err(ResolveError::io(&name, Some(e))),
                    }
                })
            }
            Resolver::Fixed(table) => {
                // Port 0 is replaced by the URL's port in the connector.
                let found = table
                    .get(&name.as_str().to_ascii_lowercase())
                    .map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect());
                Box::pin(async move {
                    found
                        .map(Vec::into_iter)
                        .ok_or_else(|| ResolveError::io(&name, None))
                })
            }
        }
    }
}

/// The connector both the proxy and the health probe use, so they fail the same way.
pub fn connector(
    settings: &ConnectorSettings,
    resolver: &Resolver,
    protocol: Protocol,
) -> Result<UpstreamConnector, CaError> {
    let mut http = HttpConnector::new_with_resolver(resolver.clone());
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(settings.connect_timeout));
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(client_config(settings.ca_file.as_deref())?)
        .https_or_http();
    Ok(match protocol {
        Protocol::Http1 => builder.enable_http1().wrap_connector(http),
        Protocol::H2c => builder.enable_http2().wrap_connector(http),
        Protocol::Auto => builder.enable_all_versions().wrap_connector(http),
    })
}
