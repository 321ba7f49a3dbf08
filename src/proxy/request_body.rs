//! The client's request body, streamed to the upstream unchanged. A form-encoded body may carry
//! the token (RFC 6750 §2.2): its first few KiB are read for `access_token` as they pass, so a
//! token sent there is neither mistaken for a missing one nor missed beside a header token.

use crate::token::{Token, form_token};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, header};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};

/// Form posts that carry a token are small; past this the body is not read.
const SCAN_LIMIT: usize = 8 * 1024;

/// Where the body's token, if any, appears once the body has been read.
pub type BodyToken = Arc<OnceLock<Token>>;

pub struct RequestBody {
    inner: Incoming,
    scan: Option<(BytesMut, BodyToken)>,
}

impl RequestBody {
    /// Wraps the body; returns the cell the token will be put in for a form-encoded body.
    pub fn new(inner: Incoming, headers: &HeaderMap) -> (Self, Option<BodyToken>) {
        let form = headers.get(header::CONTENT_TYPE).is_some_and(|ct| {
            let ct = ct.as_bytes();
            ct.len() >= 33 && ct[..33].eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
        });
        let cell = (form && !inner.is_end_stream()).then(BodyToken::default);
        let scan = cell.clone().map(|c| (BytesMut::new(), c));
        (RequestBody { inner, scan }, cell)
    }

    fn read(&mut self, data: &Bytes) {
        if let Some((buf, _)) = &mut self.scan {
            let room = SCAN_LIMIT - buf.len();
            buf.extend_from_slice(&data[..data.len().min(room)]);
        }
    }

    /// The body ended, or the limit was reached (`complete` false): look for the token in
    /// what was read. A cut-off last parameter is left out rather than read as a shorter token.
    fn conclude(&mut self, complete: bool) {
        if let Some((buf, cell)) = self.scan.take() {
            let end = if complete {
                buf.len()
            } else {
                buf.iter().rposition(|&b| b == b'&').unwrap_or(0)
            };
            let whole = &buf[..end];
            if let Some(token) = form_token(whole) {
                let _ = cell.set(token);
            }
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let polled = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &polled {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.read(data);
                }
                if this.inner.is_end_stream() {
                    this.conclude(true);
                } else if this
                    .scan
                    .as_ref()
                    .is_some_and(|(buf, _)| buf.len() >= SCAN_LIMIT)
                {
                    this.conclude(false);
                }
            }
            None => this.conclude(true),
            Some(Err(_)) => this.scan = None,
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
