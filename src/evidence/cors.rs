//! The browser's side of CORS, run by authlens on what the upstream answered: the WHATWG Fetch
//! standard's "CORS check" and "CORS-preflight fetch" checks, which origins count as the
//! request's own. Pure.

mod fetch;
mod origin;

pub use fetch::{Credentials, Problem, check_preflight, check_response, uses_wildcard};
pub use origin::is_same_origin;

use http::HeaderValue;

/// A CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`.
#[derive(Debug, Clone)]
pub struct Preflight {
    pub method: HeaderValue,
    pub headers: Option<HeaderValue>,
}

/// The CORS response headers, copied only when the request carried an `Origin`.
#[derive(Debug, Default, Clone)]
pub struct CorsHeaders {
    pub allow_origin: Vec<HeaderValue>,
    pub allow_credentials: Option<HeaderValue>,
    pub allow_methods: Vec<HeaderValue>,
    pub allow_headers: Vec<HeaderValue>,
}
