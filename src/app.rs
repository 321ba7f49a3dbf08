//! Assembles the sidecar from validated settings: the durable state (one metrics registry, key
//! sets, the inspector), the first generation, the upstream client, the mode, the proxy and
//! admin listeners; and runs it until told to stop. The proxy runs on its own worker threads
//! (`workers`); the background tasks run on the caller's runtime.

mod reload;
mod workers;

pub use reload::Reloads;

use crate::admin::{self, AdminState};
use crate::base::tls::CaError;
use crate::config::Settings;
use crate::generation::{Durable, Generations};
use crate::health::Prober;
use crate::inspect::{Inspector, InspectorOptions};
use crate::keys::KeyStore;
use crate::modes::Modes;
use crate::modes::resource_server::ResourceServer;
use crate::modes::token_endpoint::TokenEndpoint;
use crate::proxy::{self, Certs, Shared};
use crate::telemetry::events::{self, DrainCut, KeySetEvents};
use crate::telemetry::metrics::Metrics;
use crate::upstream::{self, Protocol, Resolver};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error("starting the proxy workers: {0}")]
    Workers(std::io::Error),
}

/// Binds both listeners and serves until `shutdown` resolves; then drains. Returns whether the
/// drain finished before its deadline. `on_bound` learns the real addresses (port 0 in tests).
pub async fn run(
    settings: Settings,
    shutdown: impl Future<Output = ()>,
    on_bound: impl FnOnce(SocketAddr, SocketAddr),
) -> Result<bool, StartError> {
    run_with(settings, Resolver::default(), shutdown, on_bound).await
}

/// `run`, reading the configuration again from `reloads.source` on each of its requests.
pub async fn run_reloading(
    settings: Settings,
    reloads: Reloads,
    shutdown: impl Future<Output = ()>,
    on_bound: impl FnOnce(SocketAddr, SocketAddr),
) -> Result<bool, StartError> {
    serve(
        settings,
        Resolver::default(),
        Some(reloads),
        shutdown,
        on_bound,
    )
    .await
}

/// `run`, resolving the upstream's host name with `resolver` instead of the system's.
pub async fn run_with(
    settings: Settings,
    resolver: Resolver,
    shutdown: impl Future<Output = ()>,
    on_bound: impl FnOnce(SocketAddr, SocketAddr),
) -> Result<bool, StartError> {
    serve(settings, resolver, None, shutdown, on_bound).await
}

async fn serve(
    settings: Settings,
    resolver: Resolver,
    reloads: Option<Reloads>,
    shutdown: impl Future<Output = ()>,
    on_bound: impl FnOnce(SocketAddr, SocketAddr),
) -> Result<bool, StartError> {
    let Settings { fixed, live } = settings;
    let certs = match &fixed.tls {
        Some(tls) => Some(Arc::new(Certs::load(tls.files.clone())?)),
        None => None,
    };
    let bind = |addr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })
    };
    let listener = bind(fixed.listen).await?;
    let admin_listener = bind(fixed.admin_listen).await?;
    let (proxy_addr, admin_addr) = (
        local(&listener, fixed.listen),
        local(&admin_listener, fixed.admin_listen),
    );

    let metrics = Arc::new(Metrics::new()?);
    let inspector = Inspector::new(
        metrics.clone(),
        InspectorOptions {
            cache_entries: fixed.token_cache_entries,
            ..InspectorOptions::default()
        },
    );
    let durable = Durable {
        keys: KeyStore::new(Arc::new(KeySetEvents(metrics.clone()))),
        metrics: metrics.clone(),
        inspector: inspector.clone(),
    };
    let upstream_uri = live.upstream.uri.clone();
    let generations = Arc::new(Generations::new(live, durable));
    events::ConfigLoaded.emit(&metrics);
    let protocol = Protocol::from(fixed.connector.protocol);
    // Shared by every worker: the replay memory and the connection budget.
    let token_endpoint = TokenEndpoint::new(inspector.clone(), fixed.error_body_bytes);
    let connections = Arc::new(Semaphore::new(fixed.max_connections));
    // One upstream pool per worker: a pooled connection is driven by the thread that opened it.
    let shared = (0..workers::count(fixed.workers))
        .map(|_| {
            Ok(Shared {
                client: upstream::UpstreamClient::build(&fixed.connector, &resolver, protocol)?,
                generations: generations.clone(),
                mode: Modes {
                    token_endpoint: token_endpoint.clone(),
                    resource_server: ResourceServer {
                        inspector: inspector.clone(),
                        error_body_bytes: fixed.error_body_bytes,
                    },
                },
                protocol,
                cut: Default::default(),
                connections: connections.clone(),
            })
        })
        .collect::<Result<Vec<_>, CaError>>()?;
    let prober = match fixed.health.clone() {
        Some(h) => Some(Prober::new(
            &upstream_uri,
            &fixed.connector,
            h,
            &resolver,
            metrics.clone(),
        )?),
        None => None,
    };
    let admin = Arc::new(AdminState {
        metrics,
        serving: true.into(),
        gate_on_upstream: fixed.health.as_ref().is_some_and(|h| h.gate_readiness),
    });
    let options = proxy::ServeOptions {
        header_read_timeout: fixed.header_read_timeout,
        max_header_bytes: fixed.max_header_bytes,
        max_headers: fixed.max_headers,
        max_connections: fixed.max_connections,
        drain_timeout: fixed.drain_timeout,
    };
    let listener = listener.into_std().map_err(StartError::Workers)?;
    let tls = certs.clone().map(|c| (c, fixed.header_read_timeout));
    let pool = workers::spawn(listener, shared, options, tls).map_err(StartError::Workers)?;
    let admin_task = tokio::spawn(admin::serve(admin_listener, admin.clone()));
    let sweeper = tokio::spawn(sweep_preflights(generations.clone()));
    let mut background = vec![sweeper];
    if let Some(reloads) = reloads {
        let task = reload::serve(reloads, fixed.clone(), generations, certs.clone());
        background.push(tokio::spawn(task));
    }
    if let (Some(certs), Some(tls)) = (&certs, &fixed.tls) {
        let task = reload::watch_certs(certs.clone(), tls.check_interval);
        background.push(tokio::spawn(task));
    }
    tracing::info!(
        message = "authlens started",
        listen = %proxy_addr,
        tls = certs.is_some(),
        admin_listen = %admin_addr,
        upstream = %upstream_uri,
    );
    on_bound(proxy_addr, admin_addr);
    // Started after the start-up line so its first verdict reads as news.
    let health_task = prober.map(Prober::spawn);

    let admin_flag = admin.clone();
    let shutdown = async move {
        shutdown.await;
        admin_flag.serving.store(false, Ordering::Relaxed);
        tracing::info!(message = "shutting down: draining in-flight requests");
    };
    let ended = pool.serve_until(shutdown).await;
    if ended.cut > 0 {
        // One line for every worker's cut, so a log search finds one drain per shutdown.
        DrainCut {
            connections: ended.cut,
        }
        .emit(&admin.metrics);
    }
    let drained = ended.complete();
    admin_task.abort();
    for task in background {
        task.abort();
    }
    if let Some(task) = health_task {
        task.abort();
    }
    tracing::info!(message = "authlens stopped", drained);
    Ok(drained)
}

fn local(l: &TcpListener, fallback: SocketAddr) -> SocketAddr {
    l.local_addr().unwrap_or(fallback)
}

/// Counts preflights the browser never followed with their request (see `Preflights`), in
/// whichever generation is current, and emits the failure a suspect one's answer names.
async fn sweep_preflights(generations: Arc<Generations>) {
    let mut period = Duration::ZERO;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let generation = generations.current();
        let preflights = &generation.memory.preflights;
        let wanted = (preflights.window() / 2).max(Duration::from_millis(50));
        if wanted != period {
            period = wanted;
            tick = tokio::time::interval(period);
        }
        tick.tick().await;
        for expired in preflights.sweep(std::time::Instant::now()) {
            generation.metrics.cors_preflight_unfollowed(expired.route);
            if let Some(s) = expired.suspect {
                crate::telemetry::events::UnfollowedPreflight {
                    request: &s.request,
                    status: Some(s.status),
                    failure: &s.failure,
                    policy: &generation.policy,
                }
                .emit(&generation.metrics);
            }
        }
    }
}
