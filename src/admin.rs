//! The admin listener: `/metrics`, `/healthz` (the process is up), `/readyz` (it serves,
//! is not draining, and, when configured, the upstream's health probe passes), and the recent
//! failures as `/failures` (JSON) and `/failures.html`.

mod failures;

use crate::telemetry::metrics::Metrics;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::TcpListener;

pub struct AdminState {
    pub metrics: Arc<Metrics>,
    /// False while draining.
    pub serving: AtomicBool,
    /// Set when `/readyz` follows the upstream's health.
    pub gate_on_upstream: bool,
}

pub async fn serve(listener: TcpListener, state: Arc<AdminState>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(state.clone(), req));
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    state: Arc<AdminState>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(text(StatusCode::METHOD_NOT_ALLOWED, "GET only\n"));
    }
    Ok(match req.uri().path() {
        "/metrics" => {
            let mut resp = Response::new(Full::new(Bytes::from(state.metrics.render())));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static(prometheus::TEXT_FORMAT),
            );
            resp
        }
        "/failures" => failures::json(&state.metrics.recent),
        "/failures.html" => failures::html(&state.metrics.recent),
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" => {
            let upstream_ok = !state.gate_on_upstream || state.metrics.upstream_up.get() == 1;
            match (state.serving.load(Ordering::Relaxed), upstream_ok) {
                (true, true) => text(StatusCode::OK, "ready\n"),
                (false, _) => text(StatusCode::SERVICE_UNAVAILABLE, "draining\n"),
                (true, false) => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "upstream health check failing\n",
                ),
            }
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "try /metrics, /failures.html, /failures, /healthz or /readyz\n",
        ),
    })
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
