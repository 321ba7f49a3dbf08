//! The caller's side of the wire (CONTRACT §2, category `client`): what authlens itself turned
//! away before any exchange began.

use super::Failure;
use crate::cause::{Cause, Confidence, Detail};

/// authlens answered the client itself (431, 400) or closed its connection (head timeout).
pub fn request_rejected(detail: Detail) -> Failure {
    let hint = match detail {
        Detail::HeadTooLarge => {
            "the client sent a request head over downstream.max_header_bytes and got 431: look \
             for a huge cookie or token, or raise the limit if the client is right"
        }
        Detail::TooManyHeaders => {
            "the client sent more header fields than downstream.max_headers and got 431: look \
             for a header the client or a proxy in front repeats"
        }
        Detail::HeadTimeout => {
            "the client started a request but did not finish its head within \
             downstream.header_read_timeout, so authlens closed the connection (slow client or \
             slowloris)"
        }
        _ => {
            "the client sent bytes that are not a valid HTTP request and was refused (400 on \
             HTTP/1.1, GOAWAY on h2c): a port scan, TLS spoken to a plain-HTTP port, or a \
             broken client"
        }
    };
    let detail = if Cause::RequestRejected.details().contains(&detail) {
        detail
    } else {
        Detail::Malformed
    };
    Failure::new(Cause::RequestRejected, detail, Confidence::Proxy, hint)
}
