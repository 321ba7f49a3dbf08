//! TLS client configuration: the bundled web PKI roots plus an optional CA file. The proxy's
//! upstream client and the key-set client both build theirs here, so a CA file means the same
//! thing to both.

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// A certificate, key or CA file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct CaError {
    pub path: String,
    pub reason: String,
}

impl CaError {
    pub fn at(path: &Path, reason: impl Into<String>) -> Self {
        CaError {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

/// Every certificate in a PEM file. A file without a single certificate is refused: it is
/// almost always the wrong file.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| CaError::at(path, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CaError::at(path, e.to_string()))?;
    if certs.is_empty() {
        return Err(CaError::at(path, "no certificates in it"));
    }
    Ok(certs)
}

/// Client config trusting the web PKI and every certificate in `ca_file`.
pub fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, CaError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        for cert in read_certs(path)? {
            roots
                .add(cert)
                .map_err(|e| CaError::at(path, e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CaError {
            path: String::new(),
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
