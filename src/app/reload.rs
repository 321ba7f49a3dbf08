//! Reloads: on each request (SIGHUP) the configuration is read and validated whole again. A
//! valid one becomes the next generation at once (exchanges under way finish under theirs);
//! an invalid one is refused with every problem named and the running one stays. Between
//! reloads the listener's certificate files are checked on a timer, so a rotated certificate
//! needs no signal.

use crate::config::{self, ConfigError, Fixed, Source};
use crate::generation::Generations;
use crate::proxy::Certs;
use crate::telemetry::logging;
use crate::telemetry::reload_events::{CertificateReload, ConfigReload};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Where the settings came from, and the requests to read them again.
pub struct Reloads {
    pub source: Source,
    pub requests: mpsc::Receiver<()>,
}

/// Serves reload requests until their sender is gone. `running` is what the process started
/// with: changes to it are reported, not applied.
pub(super) async fn serve(
    mut reloads: Reloads,
    running: Fixed,
    generations: Arc<Generations>,
    certs: Option<Arc<Certs>>,
) {
    while reloads.requests.recv().await.is_some() {
        reload(&reloads.source, &running, &generations, certs.as_deref());
    }
}

fn reload(source: &Source, running: &Fixed, generations: &Generations, certs: Option<&Certs>) {
    let metrics = &generations.durable.metrics;
    let settings = match source.load() {
        Ok(settings) => settings,
        Err(e) => {
            let error = refusal(&e);
            return ConfigReload::Refused { error: &error }.emit(metrics);
        }
    };
    if let Some(certs) = certs {
        refresh(certs);
    }
    // Validation has parsed the filter already; a failure here would leave the old level.
    if let Err(e) = logging::set_level(&settings.live.log_level) {
        tracing::warn!(event = "config_reload", error = %e, message = "log level unchanged");
    }
    let restart = config::needs_restart(running, &settings.fixed);
    let next = generations.swap(settings.live);
    ConfigReload::Applied {
        epoch: next.epoch,
        restart: &restart,
    }
    .emit(metrics);
}

/// Every problem on one line, each with its place in the file.
fn refusal(e: &ConfigError) -> String {
    match e {
        ConfigError::Invalid(problems) => problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Checks the listener's certificate files every `every`.
pub(super) async fn watch_certs(certs: Arc<Certs>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        refresh(&certs);
    }
}

fn refresh(certs: &Certs) {
    match certs.refresh() {
        None => {}
        Some(Ok(())) => CertificateReload::Loaded.emit(),
        Some(Err(e)) => CertificateReload::Refused {
            error: &e.to_string(),
        }
        .emit(),
    }
}
