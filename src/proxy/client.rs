//! The pooled keep-alive client to the upstream: plain HTTP or TLS (rustls), HTTP/1.1.

use crate::config::UpstreamSettings;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

pub type UpstreamClient = Client<HttpsConnector<HttpConnector>, Incoming>;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
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

pub fn connector(
    settings: &UpstreamSettings,
) -> Result<HttpsConnector<HttpConnector>, ClientError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(settings.connect_timeout));
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config(settings.ca_file.as_deref())?)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}

pub fn build_client(settings: &UpstreamSettings) -> Result<UpstreamClient, ClientError> {
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(settings.idle_timeout)
        .pool_timer(TokioTimer::new())
        .http1_preserve_header_case(true)
        .build(connector(settings)?))
}
