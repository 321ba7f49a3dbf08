//! The phases of one exchange, in the order the data path runs them, and the traits a mode
//! implements to watch them. The data path never changes what it forwards because of a mode:
//! observers see, they do not touch.
//!
//! 1. request head — `Mode::request_head`, with the request's facts (before forwarding);
//! 2. request body chunks — `Watch::request_body` hands out an observer for them;
//! 3. upstream result — a response head, or a transport error (then straight to 6);
//! 4. response head — `Watch::response_head`;
//! 5. response body chunks — `Watch::response_chunk`, when the head asked for them, and
//!    trailers — `Watch::response_trailers`;
//! 6. end — `Watch::end`, exactly once, also when the client goes away (never after the
//!    drain deadline has cut the exchange).

use super::tap::Observer;
use crate::facts::{RequestFacts, TransportError};
use crate::generation::Generation;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a mode watches; one per route kind.
pub trait Mode: Send + Sync + 'static {
    type Watch: Watch;

    /// Phase 1. Must not wait: anything slow runs beside the upstream round trip.
    fn request_head(
        &self,
        generation: &Arc<Generation>,
        facts: RequestFacts,
        started: Instant,
    ) -> Self::Watch;
}

/// One exchange, seen by a mode.
pub trait Watch: Send + Unpin + 'static {
    type RequestBody: Observer + Send + Sync + Unpin + 'static;

    /// The facts phase 1 was given.
    fn request(&self) -> &RequestFacts;

    /// Phase 2: an observer for the request body, if the mode reads it.
    fn request_body(&mut self, headers: &HeaderMap, empty: bool) -> Option<Self::RequestBody>;

    /// Phase 4. Returns whether the mode wants the body's chunks (phase 5).
    fn response_head(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        upstream: Duration,
    ) -> bool;

    /// Phase 5, for heads that asked for it.
    fn response_chunk(&mut self, data: &Bytes);

    /// Phase 5, the body's trailers, always (they are few and small). No default: a wrapper
    /// that forgot to pass them on would silently lose gRPC statuses.
    fn response_trailers(&mut self, trailers: &HeaderMap);

    /// Phase 6. Not called for an exchange the drain deadline cut at shutdown (counted once,
    /// for all of them, as a drain cut).
    fn end(self, ending: Ending);
}

/// How an exchange ended.
pub enum Ending {
    /// The response body was delivered whole (or there was none).
    Complete,
    /// No usable response: the client got a synthetic answer with `status`.
    Failed {
        error: TransportError,
        status: StatusCode,
        upstream: Option<Duration>,
    },
    /// The upstream broke off in the middle of the body.
    UpstreamBroke,
    /// The client went away first.
    ClientGone,
}
