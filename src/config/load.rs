//! Reading a config file, applying command-line overrides, and reporting problems with places.

use super::model::{Config, Located, Upstream};
use super::validate::{Settings, build};
use serde_saphyr::{Location, Spanned};
use std::fmt;
use std::path::Path;

/// One thing wrong with the configuration, with the key and where it is in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl Problem {
    pub fn at<T>(key: impl Into<String>, value: &Located<T>, message: impl Into<String>) -> Self {
        Problem::at_location(key, value.referenced, message)
    }

    pub fn at_location(key: impl Into<String>, loc: Location, message: impl Into<String>) -> Self {
        Problem {
            key: key.into(),
            line: loc.line(),
            column: loc.column(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.key, self.message)
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.line, self.column, self.key, self.message
            )
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{} problem(s) in the configuration:\n{}", .0.len(), Problems(.0))]
    Invalid(Vec<Problem>),
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

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
