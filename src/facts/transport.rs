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
    /// The upstream answered with something that is not a usable HTTP response head:
    /// `too_large` when it passed `upstream.max_header_bytes` / `max_headers`.
    ResponseInvalid {
        too_large: bool,
    },
    /// The client went away before the exchange finished.
    ClientAborted,
    /// Something else in the client stack; counted as a reset, the closest honest cause.
    Other,
}

/// Who made the exchange fail, as pingora's error sources say it: the category of a cause is
/// part of the contract, the party at fault is a fact of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The client went away or sent what no server accepts.
    Client,
    /// The upstream, or the network between authlens and it.
    Upstream,
}

impl TransportError {
    pub fn fault(self) -> Fault {
        match self {
            TransportError::ClientAborted => Fault::Client,
            _ => Fault::Upstream,
        }
    }

    /// Whether the upstream leg got far enough for its time to count as upstream latency.
    pub fn reached_upstream(self) -> bool {
        !matches!(
            self,
            TransportError::ConnectTimeout | TransportError::Refused { .. }
        )
    }

    /// The cause this error is classified as; the synthetic 502/504 body names the same one.
    pub fn cause(self) -> Cause {
        match self {
            TransportError::Refused { .. } => Cause::UpstreamConnectionRefused,
            TransportError::Dns => Cause::UpstreamDnsFailure,
            TransportError::Tls(_) => Cause::UpstreamTlsError,
            TransportError::ConnectTimeout => Cause::UpstreamConnectTimeout,
            TransportError::ResponseTimeout => Cause::UpstreamResponseTimeout,
            TransportError::Reset { .. } | TransportError::Other => Cause::UpstreamReset,
            TransportError::ResponseInvalid { .. } => Cause::UpstreamResponseInvalid,
            TransportError::ClientAborted => Cause::ClientAborted,
        }
    }
}
