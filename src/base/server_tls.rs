//! TLS server configuration for the client-facing listener: a certificate chain and key from
//! PEM files, ALPN `h2` and `http/1.1`, and optionally client certificates checked against a CA
//! file. Config validation builds one to prove the files usable; the listener builds one at
//! start and again whenever the files change.

use super::tls::{CaError, read_certs};
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the listener's certificate, key and (optional) client CA come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerTlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// When set, clients present a certificate signed by one of these CAs.
    pub client_ca_file: Option<PathBuf>,
    /// With a client CA: refuse clients without a certificate (else they may go without).
    pub client_cert_required: bool,
}

impl ServerTlsFiles {
    /// The files' bytes, to tell when one changed on disk.
    pub fn contents(&self) -> Vec<Option<Vec<u8>>> {
        [
            Some(self.cert_file.as_path()),
            Some(self.key_file.as_path()),
            self.client_ca_file.as_deref(),
        ]
        .into_iter()
        .map(|p| p.and_then(|p| std::fs::read(p).ok()))
        .collect()
    }

    /// Reads the files and builds the server configuration; any unusable file is an error
    /// naming it.
    pub fn server_config(&self) -> Result<ServerConfig, CaError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let chain = read_certs(&self.cert_file)?;
        let key = PrivateKeyDer::from_pem_file(&self.key_file)
            .map_err(|e| CaError::at(&self.key_file, format!("no usable private key: {e}")))?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| CaError::at(&self.cert_file, e.to_string()))?;
        let builder = match &self.client_ca_file {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in read_certs(ca)? {
                    roots
                        .add(cert)
                        .map_err(|e| CaError::at(ca, e.to_string()))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if self.client_cert_required {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                builder.with_client_cert_verifier(
                    verifier
                        .build()
                        .map_err(|e| CaError::at(ca, e.to_string()))?,
                )
            }
        };
        let mut config = builder.with_single_cert(chain, key).map_err(|e| match e {
            rustls::Error::InvalidCertificate(_) => CaError::at(&self.cert_file, e.to_string()),
            _ => CaError::at(
                &self.key_file,
                format!("does not fit {}: {e}", display(&self.cert_file)),
            ),
        })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
