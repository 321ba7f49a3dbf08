//! One tracing subscriber for the process: JSON lines on stdout by default (CONTRACT §4), or a
//! readable format for a terminal.

use crate::config::LogFormat;
use crate::telemetry::log_writer::{self, BatchedWriter};
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;

type SetFilter = Box<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

/// Changes the process's filter on reload. Set once with the process's one subscriber.
static SET_FILTER: OnceLock<SetFilter> = OnceLock::new();

/// `AUTHLENS_LOG` overrides the config's filter, like `RUST_LOG`.
pub const ENV_LOG: &str = "AUTHLENS_LOG";
/// `AUTHLENS_LOG_FORMAT=json|plain` overrides the config's format.
pub const ENV_LOG_FORMAT: &str = "AUTHLENS_LOG_FORMAT";

/// Logs to stdout in batches (`log_writer`); lines still logged when the process ends are
/// written by `FlushOnDrop`.
pub fn init(level: &str, format: LogFormat) {
    match log_writer::stdout() {
        Some(batched) => init_to(level, format, BatchedWriter(batched)),
        None => init_to(level, format, std::io::stdout),
    }
}

/// Held by `main` for the life of the process: writes the lines still batched on every way
/// out (a normal end, a drained SIGTERM, an error return).
pub struct FlushOnDrop;

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        log_writer::flush_stdout();
    }
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
    // A second init (tests) keeps the first subscriber.
    macro_rules! install {
        ($b:expr) => {{
            let b = $b.with_filter_reloading();
            let handle = b.reload_handle();
            if b.try_init().is_ok() {
                let set: SetFilter = Box::new(move |f| handle.reload(f).map_err(|e| e.to_string()));
                let _ = SET_FILTER.set(set);
            }
        }};
    }
    match format {
        LogFormat::Json => install!(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
        ),
        LogFormat::Plain => install!(builder.with_target(false)),
    }
}

/// Applies a reloaded `log.level`, unless `AUTHLENS_LOG` set the filter (the environment
/// outranks the file, at start and on reload).
pub fn set_level(level: &str) -> Result<(), String> {
    if std::env::var(ENV_LOG).is_ok_and(|f| EnvFilter::try_new(f).is_ok()) {
        return Ok(());
    }
    let filter = EnvFilter::try_new(level).map_err(|e| e.to_string())?;
    match SET_FILTER.get() {
        Some(set) => set(filter),
        None => Ok(()),
    }
}
