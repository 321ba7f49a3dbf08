//! Test harness: real hyper upstreams on loopback, the real `authlens` binary, a real client.
#![allow(dead_code, unused_imports)] // each test binary uses a different part of the harness

pub mod authlens;
pub mod client;
pub mod upstream;

pub use authlens::Authlens;
pub use client::{Reply, send};
pub use upstream::{Seen, Upstream};
