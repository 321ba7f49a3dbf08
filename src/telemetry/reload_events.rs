//! Events of a running sidecar taking in new settings: a configuration reload and a rotated
//! listener certificate. Background events: they say what happened in `event`, `result` and
//! `error`, never in `cause`.

use crate::base::clock;
use crate::telemetry::metrics::Metrics;

/// The outcome of one reload (SIGHUP).
pub enum ConfigReload<'a> {
    /// The new settings serve every exchange that starts from now; `restart` names changed
    /// settings that keep their running values until a restart.
    Applied { epoch: u64, restart: &'a [&'a str] },
    /// The file was unreadable or invalid; the running settings stay. `error` names every
    /// problem.
    Refused { error: &'a str },
}

impl ConfigReload<'_> {
    pub fn emit(&self, metrics: &Metrics) {
        match self {
            ConfigReload::Applied { epoch, restart: [] } => {
                metrics.config_loaded(clock::unix_now_f64());
                tracing::info!(
                    event = "config_reload",
                    result = "ok",
                    epoch,
                    message = "configuration reloaded",
                );
            }
            ConfigReload::Applied { epoch, restart } => {
                metrics.config_loaded(clock::unix_now_f64());
                tracing::warn!(
                    event = "config_reload",
                    result = "ok",
                    epoch,
                    needs_restart = restart.join(", "),
                    message = "configuration reloaded; changed settings named in needs_restart keep their running values until a restart",
                );
            }
            ConfigReload::Refused { error } => {
                metrics.config_refused();
                tracing::error!(
                    event = "config_reload",
                    result = "error",
                    error,
                    message = "configuration reload refused; the running configuration stays",
                );
            }
        }
    }
}

/// The listener's certificate files changed on disk (or SIGHUP asked to check them).
pub enum CertificateReload<'a> {
    Loaded,
    /// The new files do not make a usable certificate; the running one stays.
    Refused {
        error: &'a str,
    },
}

impl CertificateReload<'_> {
    pub fn emit(&self) {
        match self {
            CertificateReload::Loaded => tracing::info!(
                event = "tls_certificate_reload",
                result = "ok",
                message = "listener certificate reloaded; new connections use it",
            ),
            CertificateReload::Refused { error } => tracing::error!(
                event = "tls_certificate_reload",
                result = "error",
                error,
                message = "listener certificate files unusable; the running certificate stays",
            ),
        }
    }
}
