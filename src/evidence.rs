//! Evidence: readers of the bytes that clients, upstreams and key servers send. Each turns
//! outside input into plain facts without I/O, so classification can stay pure.

pub mod challenge;
pub mod cors;
pub mod token;
pub mod token_request;
