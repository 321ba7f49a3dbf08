//! authlens: an observability sidecar that names why OAuth-protected API calls fail.
//!
//! Data path: listener → request facts → (token facts, verified concurrently) → upstream →
//! response facts or transport error → `classify` (pure) → one event that logs and counts.
//! Modules are layered like crates (see `docs/architecture.md`): each uses only those above it
//! in this list.
#![forbid(unsafe_code)]
#![deny(rust_2018_idioms)]

// Foundations: no dependencies inside the crate.
pub mod base;
pub mod cause;
// What the API expects, and the file it comes from.
pub mod config;
pub mod policy;
// Evidence: readers of the bytes clients, upstreams and key servers send. Pure.
pub mod evidence;
pub mod facts;
pub mod keys;
// Verdicts: pure classification, then the events that log and count them.
pub mod classify;
pub mod telemetry;
// Run time: token verification, the upstream leg, and the data path.
pub mod admin;
pub mod app;
pub mod generation;
pub mod health;
pub mod inspect;
pub mod modes;
pub mod proxy;
pub mod upstream;
// Tools on top of the sidecar.
pub mod cli;
pub mod demo;
pub mod explain;
pub mod recent;
pub mod top;
