//! The client-facing listener: HTTP/1.1 and h2c (prior knowledge) on one port, a header-read
//! timeout against slowloris, and a graceful drain on shutdown. It serves any stream an
//! `Accept` hands it.

use super::Shared;
use super::accept::Accept;
use super::handler::handle;
use super::limits::{Counted, Open, Refusals, rejection};
use super::phase::Mode;
use crate::telemetry::events::{ConnectionsRefused, RequestRejected};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(Clone, Copy)]
pub struct ServeOptions {
    pub header_read_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_headers: usize,
    pub max_connections: usize,
    pub drain_timeout: Duration,
}

/// Serves until `shutdown` resolves, then stops accepting and waits up to the drain deadline
/// for in-flight exchanges. Returns how many connections the deadline cut (0: every one
/// finished in time); the caller says so once for all its listeners.
pub async fn serve<A: Accept, M: Mode>(
    mut listener: A,
    shared: Arc<Shared<M>>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> usize {
    // hyper's floor for its read buffer is 8 KiB.
    let max_head = options.max_header_bytes.max(8192);
    // Each connection task holds a clone: what is left at the drain deadline was cut here.
    let alive = Arc::new(());
    let mut refusals = Refusals::default();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(max_head)
        .max_headers(options.max_headers);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, conn) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // The registry outlives generations: no generation needs loading per connection.
                let metrics = &shared.generations.durable.metrics;
                let Ok(permit) = shared.connections.clone().try_acquire_owned() else {
                    // Closed at once: a connection over the limit costs no buffers.
                    drop(stream);
                    ConnectionsRefused::count(metrics);
                    if let Some(refused) = refusals.refused() {
                        ConnectionsRefused { limit: options.max_connections, refused }.log();
                    }
                    continue;
                };
                let open = Open::new(permit, &metrics.protection.connections_open);
                let (stream, head) = Counted::new(stream);
                let peer = conn.peer;
                let shared = shared.clone();
                let for_service = shared.clone();
                let service = service_fn(move |req| handle(for_service.clone(), conn, req));
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                let conn = graceful.watch(conn.into_owned());
                let silent_limit = options.header_read_timeout;
                let alive = alive.clone();
                tokio::spawn(async move {
                    let _open = (open, alive);
                    let ended = tokio::select! {
                        ended = conn => ended,
                        () = head.silent_for(silent_limit) => {
                            tracing::debug!("closed a client connection that sent nothing");
                            return;
                        }
                    };
                    let Err(e) = ended else { return };
                    match rejection(&*e, &head, max_head) {
                        Some(detail) => RequestRejected { detail, client: peer }
                            .emit(&shared.generations.durable.metrics),
                        None => tracing::debug!(error = %e, "client connection ended with an error"),
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => 0,
        () = tokio::time::sleep(options.drain_timeout) => {
            // What is still open is cut when the runtime stops: counted once as a drain cut,
            // not as each exchange's client going away.
            shared.cut.store(true, Ordering::Relaxed);
            Arc::strong_count(&alive) - 1
        }
    }
}
