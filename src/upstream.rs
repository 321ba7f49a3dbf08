//! The upstream leg: each worker's pooled client and the connector (shared by the proxy and the health probe,
//! so both fail the same way), host-name resolution, and naming what went wrong in transport.

mod client;
mod errors;
mod pool;

pub use client::{Protocol, ResolveError, Resolver};
pub use errors::transport_failure;
pub use pool::{Outgoing, RequestError, UpstreamBody, UpstreamClient};
