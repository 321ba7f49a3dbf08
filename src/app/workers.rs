//! The data path's threads: one single-threaded tokio runtime per worker, each running its own
//! accept loop on a clone of the one listening socket, with its own upstream connection pool.
//! A connection lives and dies on the thread that accepted it, so an exchange never crosses
//! threads and no work-stealing scheduler sits between the socket and the handler (the
//! multi-thread runtime cost a bare hyper proxy about 20 % more CPU per request here; see
//! docs/performance.md). Background work (key refresh, health probe, admin listener) stays on
//! the runtime that called `app::run`.

use crate::proxy::phase::Mode;
use crate::proxy::{self, Certs, ServeOptions, Shared, TlsListener};
use std::future::Future;
use std::io;
use std::net::TcpListener;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// `workers: 0` means one per core.
pub fn count(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Running workers; `stop` drains them.
pub struct Pool {
    stop: watch::Sender<bool>,
    done: Vec<oneshot::Receiver<usize>>,
}

/// Starts one worker thread per `Shared` (each holds that worker's upstream client). Everything
/// that can fail (cloning the socket, building a runtime, starting a thread) fails here, before
/// the caller says it is serving.
/// With `tls` (the certificates and the handshake deadline) every worker ends TLS itself.
pub fn spawn<M: Mode>(
    listener: TcpListener,
    shared: Vec<Shared<M>>,
    options: ServeOptions,
    tls: Option<(Arc<Certs>, Duration)>,
) -> io::Result<Pool> {
    listener.set_nonblocking(true)?;
    let (stop, stopped) = watch::channel(false);
    let mut done = Vec::with_capacity(shared.len());
    for (i, shared) in shared.into_iter().enumerate() {
        let socket = listener.try_clone()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = oneshot::channel::<usize>();
        let mut stopped = stopped.clone();
        let tls = tls.clone();
        std::thread::Builder::new()
            .name(format!("proxy-worker-{i}")) // fits the 15 bytes of a thread name
            .spawn(move || {
                let cut = runtime.block_on(async move {
                    let socket = match tokio::net::TcpListener::from_std(socket) {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::error!(error = %e, "worker cannot use the listening socket");
                            return 0;
                        }
                    };
                    // A dropped sender (the caller gone) stops the worker too.
                    let stop = async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    };
                    let shared = Arc::new(shared);
                    match tls {
                        Some((certs, handshake)) => {
                            let socket = TlsListener::new(socket, certs, handshake);
                            proxy::serve(socket, shared, options, stop).await
                        }
                        None => proxy::serve(socket, shared, options, stop).await,
                    }
                });
                let _ = tx.send(cut);
            })?;
        done.push(rx);
    }
    Ok(Pool { stop, done })
}

impl Pool {
    /// Waits for `shutdown`, then has every worker stop accepting and drain.
    pub async fn serve_until(self, shutdown: impl Future<Output = ()>) -> Drained {
        shutdown.await;
        let _ = self.stop.send(true);
        let mut drained = Drained {
            cut: 0,
            every_worker: true,
        };
        for worker in self.done {
            match worker.await {
                Ok(cut) => drained.cut += cut,
                // A worker that died without answering did not drain.
                Err(_) => drained.every_worker = false,
            }
        }
        drained
    }
}

/// How the workers' drain ended.
pub struct Drained {
    /// Connections the drain deadline cut, over all workers.
    pub cut: usize,
    /// Whether every worker answered (one that died cannot say what it cut).
    pub every_worker: bool,
}

impl Drained {
    /// Every exchange finished before the deadline.
    pub fn complete(&self) -> bool {
        self.cut == 0 && self.every_worker
    }
}
