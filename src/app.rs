//! Assembles the sidecar from validated settings: one metrics registry, the inspector, the
//! upstream client, the proxy and admin listeners; and runs it until told to stop.

use crate::admin::{self, AdminState};
use crate::config::Settings;
use crate::events;
use crate::health::Prober;
use crate::inspect::{Inspector, InspectorOptions};
use crate::metrics::Metrics;
use crate::proxy::{self, HistoryState, Resolver, Shared};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpListener;

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
    Client(#[from] proxy::ClientError),
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

/// `run`, resolving the upstream's host name with `resolver` instead of the system's.
pub async fn run_with(
    settings: Settings,
    resolver: Resolver,
    shutdown: impl Future<Output = ()>,
    on_bound: impl FnOnce(SocketAddr, SocketAddr),
) -> Result<bool, StartError> {
    let bind = |addr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })
    };
    let listener = bind(settings.listen).await?;
    let admin_listener = bind(settings.admin_listen).await?;
    let (proxy_addr, admin_addr) = (
        local(&listener, settings.listen),
        local(&admin_listener, settings.admin_listen),
    );

    let policy = Arc::new(settings.policy);
    let metrics = Arc::new(Metrics::new(&policy)?);
    events::ConfigLoaded.emit(&metrics);
    let inspector = Inspector::start(
        policy.clone(),
        metrics.clone(),
        InspectorOptions {
            cache_entries: settings.token_cache_entries,
            ..InspectorOptions::default()
        },
    );
    let shared = Arc::new(Shared {
        client: proxy::build_client(&settings.upstream, &resolver)?,
        history: HistoryState::new(&policy),
        upstream: settings.upstream.clone(),
        policy,
        metrics: metrics.clone(),
        inspector,
        access_log: settings.access_log,
        diagnostic_header: settings.diagnostic_header,
    });
    let prober = match settings.upstream.health.clone() {
        Some(h) => Some(Prober::new(
            &settings.upstream,
            h,
            &resolver,
            metrics.clone(),
        )?),
        None => None,
    };
    let admin = Arc::new(AdminState {
        metrics,
        serving: true.into(),
        gate_on_upstream: settings
            .upstream
            .health
            .as_ref()
            .is_some_and(|h| h.gate_readiness),
    });
    let admin_task = tokio::spawn(admin::serve(admin_listener, admin.clone()));
    let sweeper = tokio::spawn(proxy::sweep_preflights(shared.clone()));
    tracing::info!(
        message = "authlens started",
        listen = %proxy_addr,
        admin_listen = %admin_addr,
        upstream = %settings.upstream.uri,
    );
    on_bound(proxy_addr, admin_addr);
    // Started after the start-up line so its first verdict reads as news.
    let health_task = prober.map(Prober::spawn);

    let options = proxy::ServeOptions {
        header_read_timeout: settings.header_read_timeout,
        max_header_bytes: settings.max_header_bytes,
        drain_timeout: settings.drain_timeout,
    };
    let admin_flag = admin.clone();
    let shutdown = async move {
        shutdown.await;
        admin_flag.serving.store(false, Ordering::Relaxed);
        tracing::info!(message = "shutting down: draining in-flight requests");
    };
    let drained = proxy::serve(listener, shared, options, shutdown).await;
    admin_task.abort();
    sweeper.abort();
    if let Some(task) = health_task {
        task.abort();
    }
    tracing::info!(message = "authlens stopped", drained);
    Ok(drained)
}

fn local(l: &TcpListener, fallback: SocketAddr) -> SocketAddr {
    l.local_addr().unwrap_or(fallback)
}
