//! One exchange through the phases: facts from the head, the mode's watch, the forward, and
//! the response handed back untouched with the watch riding on its body.

use super::accept::Connection;
use super::answer::synthetic_response;
use super::body::{Guard, ResponseBody, response_body};
use super::phase::{Ending, Mode, Watch};
use super::tap::Tapped;
use super::{RequestBody, Shared, headers, upgrade};
use crate::facts::{Fault, RequestFacts, TransportError};
use crate::upstream::transport_failure;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{Either, Full};
use hyper::body::{Body, Incoming};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

pub type ProxyBody<M> = Either<ResponseBody<<M as Mode>::Watch, RequestBody<M>>, Full<Bytes>>;

pub async fn handle<M: Mode>(
    shared: Arc<Shared<M>>,
    conn: Connection,
    mut req: Request<Incoming>,
) -> Result<Response<ProxyBody<M>>, Infallible> {
    let started = Instant::now();
    // Loaded once: this exchange keeps the generation it started with.
    let generation = shared.generations.current();
    let facts = RequestFacts::from_head(&req, &generation.policy.routes, conn.peer);
    // Phase 1. Dropped with the handler if the client leaves before the head arrives.
    let mut watch = Guard::new(
        shared.mode.request_head(&generation, facts, started),
        shared.cut.clone(),
    );

    let upgrade = headers::is_upgrade(req.headers());
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));
    headers::prepare(
        &mut req,
        watch.get().request(),
        &conn,
        shared.protocol.version(),
        upgrade,
    );
    let (parts, body) = req.into_parts();
    // Phase 2.
    let observer = watch
        .get_mut()
        .request_body(&parts.headers, body.is_end_stream());
    let req = Request::from_parts(parts, Tapped::new(body, observer));

    let sent = Instant::now();
    let timeout = generation.upstream.response_timeout;
    let result = tokio::time::timeout(
        timeout,
        shared.client.request(&generation.upstream.uri, req),
    )
    .await;
    let upstream_time = sent.elapsed();
    // Phase 3.
    let error = match result {
        Ok(Ok(mut resp)) => {
            let status = resp.status();
            let switching = status == StatusCode::SWITCHING_PROTOCOLS;
            if let (true, Some(client_side)) = (switching, client_upgrade) {
                upgrade::tunnel(client_side, hyper::upgrade::on(&mut resp));
            }
            headers::strip_hop_by_hop(resp.headers_mut(), switching);
            // Phase 4; phases 5 and 6 ride on the body.
            let chunks = watch
                .get_mut()
                .response_head(status, resp.headers(), upstream_time);
            let (parts, body) = resp.into_parts();
            let body = response_body(body, watch, chunks);
            return Ok(Response::from_parts(parts, Either::Left(body)));
        }
        Ok(Err(e)) => {
            tracing::debug!(
                error = %crate::base::error::chain_text(&e),
                "upstream request failed"
            );
            // Boxed: the failure path's state stays out of every exchange's future.
            Box::pin(transport_failure(&e, &generation.upstream.uri)).await
        }
        Err(_elapsed) => TransportError::ResponseTimeout,
    };
    let resp = synthetic_response(error.cause(), generation.diagnostic_header);
    // Phase 6.
    if error.fault() == Fault::Client {
        // Nobody is left to read the answer: the exchange ended without a status.
        watch.end(Ending::ClientGone);
        return Ok(resp.map(Either::Right));
    }
    let upstream = error.reached_upstream().then_some(upstream_time);
    watch.end(Ending::Failed {
        error,
        status: resp.status(),
        upstream,
    });
    Ok(resp.map(Either::Right))
}
