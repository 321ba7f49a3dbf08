//! What authlens observed about one exchange, gathered as plain data so `classify` can stay a
//! pure function.

pub mod grpc;
mod request;
mod response;
pub mod trace_context;
mod transport;

pub use request::RequestFacts;
pub use response::ResponseFacts;
pub use transport::{Fault, TlsProblem, TransportError};

/// How the upstream leg ended. One per exchange and never stored in bulk, so the size
/// difference between the variants costs nothing worth a box.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Response(ResponseFacts),
    Transport(TransportError),
}

/// What authlens has seen before this exchange that a rule needs: a snapshot, so classification
/// itself reads no shared state.
#[derive(Clone, Copy, Debug, Default)]
pub struct History {
    /// Successful responses on this route carried `Access-Control-Allow-Origin`.
    pub route_cors_on_success: bool,
    /// The upstream has accepted at least one token since authlens started.
    pub upstream_accepted_a_token: bool,
    /// How long ago authlens first saw the token's `kid` in a key set.
    pub kid_first_seen_secs_ago: Option<u64>,
    /// For a preflight: earlier preflights with the same origin, path and method that the
    /// browser never followed with the real request (`cors::Preflights::unfollowed`).
    pub preflights_unfollowed: u32,
}
