//! Transport failures, plain server errors and the health probe's verdict (CONTRACT §2,
//! category `upstream`).

use super::{Exchange, Failure};
use crate::cause::{Cause, Confidence, Detail};
use crate::facts::{ResponseFacts, TlsProblem, TransportError};
use http::StatusCode;

pub(super) fn transport(_: &Exchange<'_>, err: TransportError) -> Failure {
    transport_failure(err)
}

const LOOPBACK_ONLY: &str = "the upstream refused the connection on its configured address but \
     answers on 127.0.0.1: it is bound to loopback only; make it listen on 0.0.0.0 (or the pod address)";
const NOTHING_LISTENING: &str = "nothing accepts connections at the upstream address: is the API \
     running, and is the port in upstream.url right?";

pub(super) fn transport_failure(err: TransportError) -> Failure {
    let proof = Confidence::Proxy;
    match err {
        TransportError::Refused {
            loopback_answers: true,
        } => Failure::new(
            Cause::UpstreamConnectionRefused,
            Detail::BoundToLoopback,
            proof,
            LOOPBACK_ONLY,
        ),
        TransportError::Refused {
            loopback_answers: false,
        } => Failure::new(
            Cause::UpstreamConnectionRefused,
            Detail::None,
            proof,
            NOTHING_LISTENING,
        ),
        TransportError::Dns => Failure::new(
            Cause::UpstreamDnsFailure,
            Detail::None,
            proof,
            "the upstream host name does not resolve: check upstream.url for a typo or a missing DNS record",
        ),
        TransportError::Tls(problem) => {
            let (detail, what) = match problem {
                TlsProblem::Untrusted => (
                    Detail::Untrusted,
                    "its certificate is not signed by a trusted CA (set upstream.ca_file)",
                ),
                TlsProblem::NameMismatch => (
                    Detail::NameMismatch,
                    "its certificate does not name the host in upstream.url",
                ),
                TlsProblem::Expired => (
                    Detail::Expired,
                    "its certificate has expired or is not yet valid",
                ),
                TlsProblem::Protocol => (
                    Detail::Protocol,
                    "one side does not speak TLS on that port (http vs https in upstream.url?) or \
                     the two share no TLS version or cipher",
                ),
                TlsProblem::Other => (
                    Detail::None,
                    "the handshake failed for another reason (does the upstream require a client \
                     certificate?); the TLS error is in authlens's debug log",
                ),
            };
            Failure::new(
                Cause::UpstreamTlsError,
                detail,
                proof,
                format!("TLS to the upstream failed: {what}"),
            )
        }
        TransportError::ConnectTimeout => Failure::new(
            Cause::UpstreamConnectTimeout,
            Detail::None,
            proof,
            "the upstream did not accept the connection in time: check the address, firewall, and that the API \
             is not overloaded",
        ),
        TransportError::ResponseTimeout => Failure::new(
            Cause::UpstreamResponseTimeout,
            Detail::None,
            proof,
            "the upstream accepted the request but sent no response head within upstream.response_timeout: look \
             for a hung handler or a slow dependency",
        ),
        TransportError::Reset { mid_body } => Failure::new(
            Cause::UpstreamReset,
            Detail::None,
            proof,
            if mid_body {
                "the upstream dropped the connection in the middle of the response body: check the API's crash logs"
            } else {
                "the upstream closed the connection before answering: check the API's crash logs and keep-alive \
                 settings"
            },
        ),
        TransportError::ResponseInvalid { too_large: true } => Failure::new(
            Cause::UpstreamResponseInvalid,
            Detail::HeadTooLarge,
            proof,
            "the upstream's response head passed upstream.max_header_bytes or upstream.max_headers: \
             raise them if the API really sends that much, else look for a header it repeats",
        ),
        TransportError::ResponseInvalid { too_large: false } => Failure::new(
            Cause::UpstreamResponseInvalid,
            Detail::Malformed,
            proof,
            "the upstream's answer is not a valid HTTP/1.1 response head (bad status line or header \
             bytes): check what the API writes before its response",
        ),
        TransportError::ClientAborted => Failure::new(
            Cause::ClientAborted,
            Detail::None,
            proof,
            "the client hung up before the response was complete: usually a client-side timeout shorter than the \
             API's response time",
        ),
        TransportError::Other => Failure::new(
            Cause::UpstreamReset,
            Detail::None,
            Confidence::Heuristic,
            "the connection to the upstream failed in an unexpected way; see the error in authlens's debug log",
        ),
    }
}

/// A 5xx that carries no auth meaning, so auth dashboards are not blamed for it.
pub(super) fn server_error(resp: &ResponseFacts) -> Option<Failure> {
    resp.status.is_server_error().then(|| {
        Failure::new(
            Cause::UpstreamServerError,
            Detail::None,
            Confidence::Upstream,
            format!(
                "the API answered {} unrelated to auth; see the API's error logs",
                resp.status.as_u16()
            ),
        )
    })
}

/// The `result` label of `authlens_health_checks_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthResult {
    Ok,
    Status,
    NotFound,
    Timeout,
    Refused,
    Error,
}

impl HealthResult {
    pub const ALL: &'static [HealthResult] = &[
        HealthResult::Ok,
        HealthResult::Status,
        HealthResult::NotFound,
        HealthResult::Timeout,
        HealthResult::Refused,
        HealthResult::Error,
    ];

    /// The result a probe's verdict is counted under.
    pub fn of(failure: Option<&Failure>) -> Self {
        match failure.map(|f| f.detail) {
            None => HealthResult::Ok,
            Some(Detail::Status) => HealthResult::Status,
            Some(Detail::NotFound) => HealthResult::NotFound,
            Some(Detail::Timeout) => HealthResult::Timeout,
            Some(Detail::Refused) => HealthResult::Refused,
            Some(_) => HealthResult::Error,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HealthResult::Ok => "ok",
            HealthResult::Status => "status",
            HealthResult::NotFound => "not_found",
            HealthResult::Timeout => "timeout",
            HealthResult::Refused => "refused",
            HealthResult::Error => "error",
        }
    }
}

/// The verdict on one health probe of `path`: `None` when the upstream answered 2xx.
pub fn health(path: &str, outcome: Result<StatusCode, TransportError>) -> Option<Failure> {
    let (detail, hint) = match outcome {
        Ok(status) if status.is_success() => return None,
        Ok(StatusCode::NOT_FOUND) => (
            Detail::NotFound,
            format!(
                "GET {path} answered 404: the API's health endpoint is at another path; set \
                 upstream.health.path to it (e.g. /healthz)"
            ),
        ),
        Ok(status) => (
            Detail::Status,
            format!(
                "GET {path} answered {}: the API reports itself unhealthy; see its logs and its \
                 dependencies",
                status.as_u16()
            ),
        ),
        Err(TransportError::ConnectTimeout | TransportError::ResponseTimeout) => (
            Detail::Timeout,
            format!(
                "GET {path} got no answer within upstream.health.timeout: the API is hung or \
                 overloaded, or packets to its address are dropped"
            ),
        ),
        Err(TransportError::Refused { loopback_answers }) => (
            Detail::Refused,
            format!(
                "GET {path} was refused: {}",
                if loopback_answers {
                    LOOPBACK_ONLY
                } else {
                    NOTHING_LISTENING
                }
            ),
        ),
        Err(other) => (
            Detail::None,
            format!("GET {path} failed: {}", transport_failure(other).hint),
        ),
    };
    Some(Failure::new(
        Cause::HealthCheckFailed,
        detail,
        Confidence::Proxy,
        hint,
    ))
}

#[cfg(test)]
mod tests;
