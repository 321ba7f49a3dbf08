//! The browser's side of CORS, run by authlens on what the upstream answered: the WHATWG Fetch
//! standard's "CORS check" and "CORS-preflight fetch" checks, which origins count as the
//! request's own, and a tracker of preflights the browser never followed up.
//!
//! Everything here is pure except `Preflights`, which keeps a small bounded state.

mod fetch;
mod origin;
mod preflights;

pub use fetch::{Credentials, Problem, check_preflight, check_response, uses_wildcard};
pub use origin::is_same_origin;
pub use preflights::{PreflightKey, Preflights};
