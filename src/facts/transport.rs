//! Why the upstream leg failed without a usable response.

use crate::cause::Cause;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    Untrusted,
    NameMismatch,
    Expired,
    /// Not TLS on the other end, or no common protocol version.
    Protocol,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// Connection refused. `loopback_answers` is set when the same port answers on 127.0.0.1
    /// while the configured address is another one.
    Refused {
        loopback_answers: bool,
    },
    Dns,
    Tls(TlsProblem),
    ConnectTimeout,
    ResponseTimeout,
    /// The upstream closed or reset the connection; `mid_body` when the head had been sent.
    Reset {
        mid_body: bool,
    },
    /// The client went away before the exchange finished.
    ClientAborted,
    /// Something else in the client stack; counted as a reset, the closest honest cause.
    Other,
}

impl TransportError {
    /// The cause this error is classified as; the synthetic 502/504 body names the same one.
    pub fn cause(self) -> Cause {
        match self {
            TransportError::Refused { .. } => Cause::UpstreamConnectionRefused,
            TransportError::Dns => Cause::UpstreamDnsFailure,
            TransportError::Tls(_) => Cause::UpstreamTlsError,
            TransportError::ConnectTimeout => Cause::UpstreamConnectTimeout,
            TransportError::ResponseTimeout => Cause::UpstreamResponseTimeout,
            TransportError::Reset { .. } | TransportError::Other => Cause::UpstreamReset,
            TransportError::ClientAborted => Cause::ClientAborted,
        }
    }
}
