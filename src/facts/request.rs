//! Facts about the inbound request, taken from its head without copying more than a few
//! reference-counted header values.

use crate::evidence::cors::Preflight;
use crate::evidence::token::{Presented, extract};
use crate::facts::trace_context::{TraceContext, request_id};
use crate::policy::{RouteId, Routes};
use http::{HeaderName, HeaderValue, Method, Request, Uri, header};
use std::net::SocketAddr;

// Names, not `&str`s: a `&str` is parsed into a name on every lookup.
static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
static SEC_FETCH_MODE: HeaderName = HeaderName::from_static("sec-fetch-mode");
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

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
    /// Facts from a request head as it arrived, before anything is forwarded.
    pub fn from_head<B>(req: &Request<B>, routes: &Routes, client: SocketAddr) -> Self {
        let h = req.headers();
        let trace = TraceContext::from_header(h.get(&TRACEPARENT));
        let origin = h.get(header::ORIGIN).cloned();
        let preflight = (req.method() == Method::OPTIONS && origin.is_some())
            .then(|| h.get(header::ACCESS_CONTROL_REQUEST_METHOD))
            .flatten()
            .map(|m| Preflight {
                method: m.clone(),
                headers: h.get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned(),
            });
        RequestFacts {
            method: req.method().clone(),
            uri: req.uri().clone(),
            route: routes.find(req.method(), req.uri().path()),
            client,
            user_agent: h.get(header::USER_AGENT).cloned(),
            origin,
            host: host_of(req),
            preflight,
            fetch_mode: h.get(&SEC_FETCH_MODE).cloned(),
            cookie_present: h.contains_key(header::COOKIE),
            credentials: extract(h, req.uri()),
            request_id: request_id(h.get(&X_REQUEST_ID), &trace),
            trace,
        }
    }

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
            credentials: extract(headers, &uri),
            request_id: request_id(None, &trace),
            trace,
            uri,
        }
    }

    pub fn path(&self) -> &str {
        self.uri.path()
    }
}

/// The client's view of the host: `Host`, or the h2 `:authority`.
fn host_of<B>(req: &Request<B>) -> Option<HeaderValue> {
    req.headers().get(header::HOST).cloned().or_else(|| {
        req.uri()
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    })
}
