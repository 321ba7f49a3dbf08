//! Configuration: the YAML model, durations, loading, and whole-file validation.
//!
//! Unknown keys are refused by serde; every semantic problem is collected with its key, line and
//! column before anything starts serving.

mod collect;
mod duration;
mod load;
mod model;
mod problem;
mod reload;
mod token_endpoints;
mod validate;

pub use duration::Duration;
pub use load::{Overrides, load_file, load_str};
pub use model::*;
pub use problem::{ConfigError, Problem};
pub use reload::{Source, needs_restart};
pub use validate::{
    ConnectorSettings, Fixed, HealthSettings, ListenerTls, Live, Settings, UpstreamSettings,
};

#[cfg(test)]
mod tests;
