//! The listener's certificate, swappable: each new connection handshakes with the current
//! server configuration, connections already open keep the one they started with. The files
//! are re-read when their bytes change, so a rotated certificate is picked up without a restart
//! and without dropping anyone.

use crate::base::server_tls::ServerTlsFiles;
use crate::base::tls::CaError;
use arc_swap::ArcSwap;
use rustls::ServerConfig;
use std::sync::{Arc, Mutex};

pub struct Certs {
    files: ServerTlsFiles,
    current: ArcSwap<ServerConfig>,
    /// The files' bytes the current configuration was built from.
    loaded: Mutex<Vec<Option<Vec<u8>>>>,
}

impl Certs {
    /// Reads the files once; an unusable one is an error naming it.
    pub fn load(files: ServerTlsFiles) -> Result<Self, CaError> {
        let loaded = files.contents();
        let config = files.server_config()?;
        Ok(Certs {
            files,
            current: ArcSwap::from_pointee(config),
            loaded: Mutex::new(loaded),
        })
    }

    pub fn current(&self) -> Arc<ServerConfig> {
        self.current.load_full()
    }

    /// Rebuilds the configuration if a file's bytes changed since the last load: `None` when
    /// nothing changed, else whether the new files were taken. Unusable new files leave the
    /// running certificate in place (they are checked again next time, so a rotation caught
    /// half-written is taken once it is complete).
    pub fn refresh(&self) -> Option<Result<(), CaError>> {
        let now = self.files.contents();
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if *loaded == now {
            return None;
        }
        Some(self.files.server_config().map(|config| {
            self.current.store(Arc::new(config));
            *loaded = now;
        }))
    }
}
