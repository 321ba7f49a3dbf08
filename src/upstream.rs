//! The upstream leg: the pooled client and connector (shared by the proxy and the health probe,
//! so both fail the same way), host-name resolution, and naming what went wrong in transport.

mod client;
mod errors;

pub use client::{
    Protocol, ResolveError, Resolver, UpstreamClient, UpstreamConnector, build_client, connector,
};
pub use errors::transport_failure;
