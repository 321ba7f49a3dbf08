//! Reading a config file, applying command-line overrides, and reporting problems with places.

use super::model::{Config, Located, Upstream};
use super::problem::{ConfigError, Problem};
use super::validate::{Settings, build};
use serde_saphyr::{Location, Spanned};
use std::path::Path;

/// Values given on the command line; each replaces the file's.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub admin_listen: Option<String>,
    pub upstream: Option<String>,
    pub workers: Option<usize>,
}

pub fn load_file(path: &Path, overrides: &Overrides) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    load_str(&text, overrides)
}

/// Parses and validates a whole file. An empty text is the all-defaults configuration.
pub fn load_str(text: &str, overrides: &Overrides) -> Result<Settings, ConfigError> {
    let mut config: Config = if text.trim().is_empty() {
        serde_saphyr::from_str("{}")
    } else {
        serde_saphyr::from_str(text)
    }
    .map_err(|e| ConfigError::Invalid(vec![parse_problem(&e)]))?;
    apply(&mut config, overrides);
    build(&config).map_err(ConfigError::Invalid)
}

fn parse_problem(e: &serde_saphyr::Error) -> Problem {
    let loc = e.location().unwrap_or(Location::UNKNOWN);
    // The crate's message repeats the place and adds a snippet; keep its first line only.
    let message = e.to_string();
    let message = message.lines().next().unwrap_or("invalid YAML").to_string();
    Problem::at_location("(file)", loc, message)
}

fn flag<T>(value: T) -> Located<T> {
    Spanned {
        value,
        referenced: Location::UNKNOWN,
        defined: Location::UNKNOWN,
    }
}

fn apply(config: &mut Config, o: &Overrides) {
    if let Some(listen) = &o.listen {
        config.listen = flag(listen.clone());
    }
    if let Some(admin) = &o.admin_listen {
        config.admin_listen = flag(admin.clone());
    }
    if let Some(workers) = o.workers {
        config.workers = workers;
    }
    if let Some(url) = &o.upstream {
        match &mut config.upstream {
            Some(up) => up.url = flag(url.clone()),
            None => config.upstream = Some(Upstream::new(flag(url.clone()))),
        }
    }
}
