//! One tracing subscriber for the process: JSON lines on stdout by default (CONTRACT §4), or a
//! readable format for a terminal.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// `AUTHLENS_LOG` overrides the config's filter, like `RUST_LOG`.
pub const ENV_LOG: &str = "AUTHLENS_LOG";
/// `AUTHLENS_LOG_FORMAT=json|plain` overrides the config's format.
pub const ENV_LOG_FORMAT: &str = "AUTHLENS_LOG_FORMAT";

pub fn init(level: &str, format: LogFormat) {
    init_to(level, format, std::io::stdout);
}

/// As `init`, writing the lines to `writer` (e.g. a file for `authlens demo`).
pub fn init_to<W>(level: &str, format: LogFormat, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = std::env::var(ENV_LOG)
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info")));
    let format = match std::env::var(ENV_LOG_FORMAT).as_deref() {
        Ok("plain") => LogFormat::Plain,
        Ok("json") => LogFormat::Json,
        _ => format,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    // A second init (tests, reload) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
        LogFormat::Plain => builder.with_target(false).try_init(),
    };
}
