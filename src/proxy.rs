//! The data path: accept a connection, run each exchange through its phases (`phase`) with the
//! mode's watch, forward upstream, and stream the answer back. Modes plug in; the data path
//! never decides anything about tokens itself.

mod accept;
mod answer;
mod body;
mod certs;
mod handler;
pub mod headers;
mod limits;
mod listener;
pub mod phase;
mod tap;
mod tls;
mod upgrade;

pub use accept::{Accept, Connection};
pub use certs::Certs;
pub use listener::{ServeOptions, serve};
pub use tap::Observer;
pub use tls::TlsListener;

use crate::generation::Generations;
use crate::upstream::{Protocol, UpstreamClient};
use phase::{Mode, Watch};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tokio::sync::Semaphore;

/// The request body as the upstream client sends it: the client's bytes, untouched, with the
/// mode's observer (if any) watching them pass.
pub type RequestBody<M> = tap::Tapped<Option<<<M as Mode>::Watch as Watch>::RequestBody>>;

/// What every exchange shares: the generations, the mode, and the upstream client (whose pool
/// outlives generations).
pub struct Shared<M: Mode> {
    pub generations: Arc<Generations>,
    pub mode: M,
    pub client: UpstreamClient<RequestBody<M>>,
    pub protocol: Protocol,
    /// Set when the drain deadline passed: exchanges dropped from then on were cut by the
    /// shutdown (counted once as a drain cut), not abandoned by their clients.
    pub cut: Arc<AtomicBool>,
    /// `downstream.max_connections`, one budget for every worker that shares it.
    pub connections: Arc<Semaphore>,
}
