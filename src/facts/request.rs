//! Facts about the inbound request, taken from its head without copying more than a few
//! reference-counted header values.

use crate::policy::RouteId;
use crate::telemetry::trace_context::TraceContext;
use crate::token::Presented;
use http::{HeaderValue, Method, Uri};
use std::net::SocketAddr;

/// The fixed method label set (CONTRACT §1.4); anything else is `_OTHER`.
pub const METHOD_LABELS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER",
];

pub fn method_label(m: &Method) -> usize {
    METHOD_LABELS[..9]
        .iter()
        .position(|l| *l == m.as_str())
        .unwrap_or(9)
}

/// A CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`.
#[derive(Debug, Clone)]
pub struct Preflight {
    pub method: HeaderValue,
    pub headers: Option<HeaderValue>,
}

#[derive(Debug)]
pub struct RequestFacts {
    pub method: Method,
    pub uri: Uri,
    pub route: RouteId,
    pub client: SocketAddr,
    pub user_agent: Option<HeaderValue>,
    pub origin: Option<HeaderValue>,
    /// `Host` (or the h2 authority), to tell same-origin browser traffic from cross-origin.
    pub host: Option<HeaderValue>,
    pub preflight: Option<Preflight>,
    /// `Sec-Fetch-Mode`: browsers say `cors` for fetch/XHR; forms and navigations are not
    /// CORS requests even when they carry `Origin`.
    pub fetch_mode: Option<HeaderValue>,
    pub cookie_present: bool,
    pub credentials: Presented,
    pub trace: TraceContext,
    pub request_id: HeaderValue,
}

impl RequestFacts {
    /// Facts for a request that did not come over the wire (`explain`, tests, benchmarks): a
    /// GET from loopback carrying `headers`, with nothing browser-specific.
    pub fn offline(uri: Uri, headers: &http::HeaderMap, route: RouteId) -> Self {
        let trace = TraceContext::fresh();
        RequestFacts {
            method: Method::GET,
            route,
            client: SocketAddr::from(([127, 0, 0, 1], 0)),
            user_agent: None,
            origin: None,
            host: None,
            preflight: None,
            fetch_mode: None,
            cookie_present: false,
            credentials: crate::token::extract(headers, &uri),
            request_id: crate::telemetry::trace_context::request_id(None, &trace),
            trace,
            uri,
        }
    }

    pub fn path(&self) -> &str {
        self.uri.path()
    }
}
