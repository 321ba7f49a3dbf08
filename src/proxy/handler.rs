//! One request: facts, inspection, forward, and the response handed back untouched.

use super::body::{ObservedBody, observed};
use super::record::{Ending, Record};
use super::{Shared, errors, headers, request_body, upgrade};
use crate::facts::{Preflight, RequestFacts, ResponseFacts, TransportError};
use crate::telemetry::trace_context::{TraceContext, request_id};
use crate::token;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

pub type ProxyBody = Either<ObservedBody, Full<Bytes>>;

pub async fn handle(
    shared: Arc<Shared>,
    client: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let started = Instant::now();
    let facts = request_facts(&shared, &req, client);
    if facts.preflight.is_none()
        && let Some(key) = shared.history.preflights.key_of(&facts)
    {
        shared.history.preflights.on_request(key);
    }
    let inspection = facts
        .credentials
        .token()
        .map(|t| shared.inspector.inspect(t));
    // Dropped with the handler if the client leaves before the head arrives: `ClientGone`.
    let mut record = Record::new(shared.clone(), facts, inspection, started);

    let client_upgrade = headers::is_upgrade(req.headers()).then(|| hyper::upgrade::on(&mut req));
    headers::prepare(&mut req, &shared.upstream.uri, record.request(), client);
    let (parts, body) = req.into_parts();
    let (body, body_token) = request_body::scanned(body, &parts.headers);
    record.watch_body_token(body_token);
    let req = Request::from_parts(parts, body);

    let sent = Instant::now();
    let result =
        tokio::time::timeout(shared.upstream.response_timeout, shared.client.request(req)).await;
    let upstream_time = sent.elapsed();
    let error = match result {
        Ok(Ok(mut resp)) => {
            let status = resp.status();
            let facts =
                ResponseFacts::from_head(status, resp.headers(), record.request().origin.is_some());
            let switching = status == StatusCode::SWITCHING_PROTOCOLS;
            if let (true, Some(client_side)) = (switching, client_upgrade) {
                upgrade::tunnel(client_side, hyper::upgrade::on(&mut resp));
            }
            headers::strip_hop_by_hop(resp.headers_mut(), switching);
            // Error bodies are where middlewares put their words; successes are never kept.
            let capture = status.is_client_error() || status.is_server_error();
            record.set_head(status, facts, upstream_time);
            let (parts, body) = resp.into_parts();
            return Ok(Response::from_parts(
                parts,
                Either::Left(observed(body, record, capture)),
            ));
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %errors::chain_text(&e), "upstream request failed");
            errors::transport_failure(&e, &shared.upstream.uri).await
        }
        Err(_elapsed) => TransportError::ResponseTimeout,
    };
    let cause = error.cause();
    let resp = errors::synthetic_response(cause, shared.diagnostic_header);
    if error == TransportError::ClientAborted {
        // Nobody is left to read the answer: the exchange ended without a status.
        record.finish(Ending::ClientGone);
        return Ok(resp.map(Either::Right));
    }
    let upstream = (!matches!(
        error,
        TransportError::ConnectTimeout | TransportError::Refused { .. }
    ))
    .then_some(upstream_time);
    record.finish(Ending::Failed {
        error,
        status: resp.status(),
        upstream,
    });
    Ok(resp.map(Either::Right))
}

fn request_facts(shared: &Shared, req: &Request<Incoming>, client: SocketAddr) -> RequestFacts {
    let h = req.headers();
    let trace = TraceContext::from_header(h.get("traceparent"));
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
        route: shared.policy.routes.find(req.method(), req.uri().path()),
        client,
        user_agent: h.get(header::USER_AGENT).cloned(),
        origin,
        host: headers::host_of(req),
        preflight,
        fetch_mode: h.get("sec-fetch-mode").cloned(),
        cookie_present: h.contains_key(header::COOKIE),
        credentials: token::extract(h, req.uri()),
        request_id: request_id(h.get("x-request-id"), &trace),
        trace,
    }
}
