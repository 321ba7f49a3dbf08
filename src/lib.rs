//! authlens: an observability sidecar that names why OAuth-protected API calls fail.
//!
//! Data path: listener → request facts → (token facts, verified concurrently) → upstream →
//! response facts or transport error → `classify` (pure) → one event that logs and counts.
#![forbid(unsafe_code)]
#![deny(rust_2018_idioms)]

pub mod admin;
pub mod app;
pub mod cause;
pub mod challenge;
pub mod classify;
pub mod cli;
pub mod config;
pub mod cors;
pub mod demo;
pub mod events;
pub mod explain;
pub mod facts;
pub mod health;
pub mod inspect;
pub mod jwks;
pub mod metrics;
pub mod policy;
pub mod proxy;
pub mod recent;
pub mod telemetry;
pub mod token;
pub mod top;
