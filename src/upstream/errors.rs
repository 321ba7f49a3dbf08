//! Naming transport failures from the client stack's error chain.

use super::{RequestError, ResolveError};
use crate::base::error::chain;
use crate::facts::{TlsProblem, TransportError};
use http::Uri;
use std::error::Error as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Names a failed upstream request; a refusal is completed with the loopback probe.
pub async fn transport_failure(err: &RequestError, upstream: &Uri) -> TransportError {
    match transport_error(err) {
        TransportError::Refused { .. } => TransportError::Refused {
            loopback_answers: loopback_answers(upstream).await,
        },
        other => other,
    }
}

/// Walks the error's `source()` chain for the first thing that names the failure.
fn transport_error(err: &RequestError) -> TransportError {
    for e in chain(err) {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return TransportError::Tls(tls_problem(tls));
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            match io.kind() {
                io::ErrorKind::ConnectionRefused => {
                    return TransportError::Refused {
                        loopback_answers: false,
                    };
                }
                io::ErrorKind::TimedOut if err.is_connect() => {
                    return TransportError::ConnectTimeout;
                }
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe => {
                    return TransportError::Reset { mid_body: false };
                }
                _ => {}
            }
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            // A user body error carries the body's own error as its source. The only body
            // authlens sends is the client's request body: the client broke off.
            if h.is_user() && h.source().is_some() {
                return TransportError::ClientAborted;
            }
            if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
                return TransportError::Reset { mid_body: false };
            }
            if h.is_parse_too_large() {
                // Past upstream.max_header_bytes or max_headers (an endless header block too).
                return TransportError::ResponseInvalid { too_large: true };
            }
            if h.is_parse() {
                return parse_error(h);
            }
        }
        if e.is::<ResolveError>() {
            return TransportError::Dns;
        }
    }
    TransportError::Other
}

/// A response head that does not parse. A TLS server answering plain HTTP sends an alert
/// record, which fails on the very first bytes as a bad version; hyper exposes no kind for
/// that, so its fixed wording is the one place a message is read.
fn parse_error(h: &hyper::Error) -> TransportError {
    if h.to_string().contains("invalid HTTP version") {
        TransportError::Tls(TlsProblem::Protocol)
    } else {
        TransportError::ResponseInvalid { too_large: false }
    }
}

fn tls_problem(e: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => {
                TlsProblem::Untrusted
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::NameMismatch,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsProblem::Expired,
            _ => TlsProblem::Untrusted,
        },
        // The upstream asks for a client certificate (mutual TLS): not a protocol mismatch.
        rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
            TlsProblem::Other
        }
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. }
        | rustls::Error::PeerIncompatible(_)
        | rustls::Error::AlertReceived(_) => TlsProblem::Protocol,
        _ => TlsProblem::Other,
    }
}

/// When the configured address refuses, ask whether the same port answers on 127.0.0.1: the
/// seed page's "listening on 127.0.0.1, not 0.0.0.0". Only loopback is ever probed.
async fn loopback_answers(upstream: &Uri) -> bool {
    let Some(host) = upstream.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip == Ipv4Addr::LOCALHOST)
    {
        return false;
    }
    let port = upstream
        .port_u16()
        .unwrap_or(if upstream.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let probe = tokio::net::TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    matches!(
        tokio::time::timeout(Duration::from_millis(250), probe).await,
        Ok(Ok(_))
    )
}
