//! What a reload needs from the config layer: where the settings came from (so the same file
//! and flags can be read again), and which changed settings only a restart applies.

use super::load::{Overrides, load_file, load_str};
use super::problem::ConfigError;
use super::validate::{Fixed, Settings};
use std::path::PathBuf;

/// The file (if any) and command-line flags the running settings were made from.
#[derive(Clone, Debug, Default)]
pub struct Source {
    pub path: Option<PathBuf>,
    pub overrides: Overrides,
}

impl Source {
    /// Reads and validates the whole configuration again. Without a file it is the defaults
    /// with the flags, as at start.
    pub fn load(&self) -> Result<Settings, ConfigError> {
        match &self.path {
            Some(path) => load_file(path, &self.overrides),
            None => load_str("", &self.overrides),
        }
    }
}

/// The keys of `Fixed` settings that differ between `old` and `new`: a reload keeps the running
/// values for these and says a restart is needed.
pub fn needs_restart(old: &Fixed, new: &Fixed) -> Vec<&'static str> {
    // Compared by their debug form, so a setting added to `Fixed` later is still caught (as
    // "other settings") without each one having to implement equality.
    let differ =
        |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") != format!("{b:?}");
    let named: [(&'static str, bool); 11] = [
        ("listen", old.listen != new.listen),
        ("admin_listen", old.admin_listen != new.admin_listen),
        ("workers", old.workers != new.workers),
        ("drain_timeout", old.drain_timeout != new.drain_timeout),
        (
            "downstream.header_read_timeout",
            old.header_read_timeout != new.header_read_timeout,
        ),
        (
            "downstream.max_header_bytes",
            old.max_header_bytes != new.max_header_bytes,
        ),
        ("log.format", old.log_format != new.log_format),
        (
            "auth.token_cache_entries",
            old.token_cache_entries != new.token_cache_entries,
        ),
        (
            "upstream (connect_timeout, idle_timeout, ca_file, protocol)",
            differ(&old.connector, &new.connector),
        ),
        ("upstream.health", differ(&old.health, &new.health)),
        ("downstream.tls", differ(&old.tls, &new.tls)),
    ];
    let mut keys: Vec<&'static str> = named.iter().filter(|(_, d)| *d).map(|(k, _)| *k).collect();
    if keys.is_empty() && differ(old, new) {
        keys.push("other settings");
    }
    keys
}

#[cfg(test)]
mod tests;
