//! Phase 2 for the modes that read a form-encoded request body (RFC 6750 §2.2 tokens, OAuth
//! token requests): its first bytes are read as they stream past, never held back or changed,
//! and handed to the mode's reader once the body ends or the limit is reached.

use crate::proxy::Observer;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, header};
use std::sync::{Arc, OnceLock};

/// Where what the reader found appears once the body has been read.
pub type Found<T> = Arc<OnceLock<T>>;

/// Reads the text of whole parameters; `complete` is false when the body went on past the
/// limit.
pub type Reader<T> = fn(&[u8], bool) -> Option<T>;

/// Reads a form-encoded body up to a limit.
pub struct FormScan<T> {
    state: Option<(BytesMut, Found<T>)>,
    limit: usize,
    reader: Reader<T>,
}

/// A scan and the cell its finding will be put in, for a non-empty form-encoded body.
pub fn scan<T>(
    headers: &HeaderMap,
    empty: bool,
    limit: usize,
    reader: Reader<T>,
) -> Option<(FormScan<T>, Found<T>)> {
    let form = headers.get(header::CONTENT_TYPE).is_some_and(|ct| {
        let ct = ct.as_bytes();
        ct.len() >= 33 && ct[..33].eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
    });
    (form && !empty).then(|| {
        let cell = Found::default();
        let scan = FormScan {
            state: Some((BytesMut::new(), cell.clone())),
            limit,
            reader,
        };
        (scan, cell)
    })
}

impl<T> FormScan<T> {
    /// The body ended, or the limit was reached (`complete` false): read what came. A cut-off
    /// last parameter is left out rather than read as a shorter value.
    fn conclude(&mut self, complete: bool) {
        if let Some((buf, cell)) = self.state.take() {
            let end = if complete {
                buf.len()
            } else {
                buf.iter().rposition(|&b| b == b'&').unwrap_or(0)
            };
            if let Some(found) = (self.reader)(&buf[..end], complete) {
                let _ = cell.set(found);
            }
        }
    }
}

impl<T> Observer for FormScan<T> {
    fn data(&mut self, data: &Bytes) {
        if let Some((buf, _)) = &mut self.state {
            let room = self.limit - buf.len();
            buf.extend_from_slice(&data[..data.len().min(room)]);
            if buf.len() >= self.limit {
                self.conclude(false);
            }
        }
    }

    /// A form body's trailers say nothing about its fields.
    fn trailers(&mut self, _: &HeaderMap) {}

    fn end(&mut self) {
        self.conclude(true);
    }

    fn broke(&mut self) {
        self.state = None;
    }
}
