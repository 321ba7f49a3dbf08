//! The short synthetic answer a client gets when the upstream gave none, instead of an empty
//! reply: 504 for timeouts, 502 otherwise, with a body naming the cause.

use crate::cause::Cause;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

pub fn synthetic_response(cause: Cause, diagnostic_header: bool) -> Response<Full<Bytes>> {
    let status = match cause {
        Cause::UpstreamConnectTimeout | Cause::UpstreamResponseTimeout => {
            StatusCode::GATEWAY_TIMEOUT
        }
        _ => StatusCode::BAD_GATEWAY,
    };
    let body = Bytes::from(format!(
        "authlens: {} ({})\n",
        status.canonical_reason().unwrap_or(""),
        cause.label()
    ));
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if diagnostic_header {
        resp.headers_mut()
            .insert("authlens-cause", HeaderValue::from_static(cause.label()));
    }
    resp
}
