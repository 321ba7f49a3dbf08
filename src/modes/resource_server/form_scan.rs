//! Phase 2 for this mode: a form-encoded request body may carry the token (RFC 6750 §2.2). Its
//! first few KiB are read for `access_token` as they stream past, so a token sent there is
//! neither mistaken for a missing one nor missed beside a header token.

use crate::evidence::token::{Token, form_token};
use crate::proxy::Observer;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, header};
use std::sync::{Arc, OnceLock};

/// Form posts that carry a token are small; past this the body is not read.
const SCAN_LIMIT: usize = 8 * 1024;

/// Where the body's token, if any, appears once the body has been read.
pub type BodyToken = Arc<OnceLock<Token>>;

/// Reads a form-encoded body for `access_token`.
pub struct FormScan(Option<(BytesMut, BodyToken)>);

/// A scan and the cell its token will be put in, for a non-empty form-encoded body.
pub fn scan(headers: &HeaderMap, empty: bool) -> Option<(FormScan, BodyToken)> {
    let form = headers.get(header::CONTENT_TYPE).is_some_and(|ct| {
        let ct = ct.as_bytes();
        ct.len() >= 33 && ct[..33].eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
    });
    (form && !empty).then(|| {
        let cell = BodyToken::default();
        (FormScan(Some((BytesMut::new(), cell.clone()))), cell)
    })
}

impl FormScan {
    /// The body ended, or the limit was reached (`complete` false): look for the token in
    /// what was read. A cut-off last parameter is left out rather than read as a shorter token.
    fn conclude(&mut self, complete: bool) {
        if let Some((buf, cell)) = self.0.take() {
            let end = if complete {
                buf.len()
            } else {
                buf.iter().rposition(|&b| b == b'&').unwrap_or(0)
            };
            if let Some(token) = form_token(&buf[..end]) {
                let _ = cell.set(token);
            }
        }
    }
}

impl Observer for FormScan {
    fn data(&mut self, data: &Bytes) {
        if let Some((buf, _)) = &mut self.0 {
            let room = SCAN_LIMIT - buf.len();
            buf.extend_from_slice(&data[..data.len().min(room)]);
            if buf.len() >= SCAN_LIMIT {
                self.conclude(false);
            }
        }
    }

    fn end(&mut self) {
        self.conclude(true);
    }

    fn broke(&mut self) {
        self.0 = None;
    }
}
