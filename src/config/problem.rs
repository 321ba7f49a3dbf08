//! What can be wrong with a configuration, with the key and its place in the file.

use super::model::Located;
use serde_saphyr::Location;
use std::fmt;

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
