//! The upstream's response body, streamed to the client frame by frame. It keeps the first
//! bytes of small error bodies for the classifier and finishes the exchange's record when the
//! stream ends, breaks, or is dropped.

use super::record::{Ending, Record};
use super::tap::{Observer, Tapped};
use bytes::{Bytes, BytesMut};
use http_body::Body;
use hyper::body::Incoming;

/// Enough for any middleware's JSON error; larger bodies are not error messages.
pub const CAPTURE_LIMIT: usize = 4096;

pub type ObservedBody = Tapped<ResponseWatch>;

pub struct ResponseWatch {
    record: Option<Record>,
    /// Present while the body is still worth keeping.
    capture: Option<BytesMut>,
}

pub fn observed(inner: Incoming, record: Record, capture: bool) -> ObservedBody {
    let small = inner
        .size_hint()
        .upper()
        .is_none_or(|n| n <= CAPTURE_LIMIT as u64);
    let watch = ResponseWatch {
        record: Some(record),
        capture: (capture && small).then(BytesMut::new),
    };
    Tapped::new(inner, watch)
}

impl ResponseWatch {
    fn finish(&mut self, ending: Ending) {
        if let Some(record) = self.record.take() {
            record.finish(ending);
        }
    }

    fn complete(&mut self) {
        let body = self.capture.take().map(BytesMut::freeze);
        self.finish(Ending::Complete { body });
    }
}

impl Observer for ResponseWatch {
    fn data(&mut self, data: &Bytes) {
        if let Some(buf) = &mut self.capture {
            if buf.len() + data.len() <= CAPTURE_LIMIT {
                buf.extend_from_slice(data);
            } else {
                self.capture = None;
            }
        }
    }

    fn end(&mut self) {
        self.complete();
    }

    fn broke(&mut self) {
        self.finish(Ending::UpstreamBroke);
    }

    fn dropped(&mut self, ended: bool) {
        // An empty body may never be polled (HEAD, 204, 304): that is a complete exchange.
        if ended {
            self.complete();
        } else {
            self.finish(Ending::ClientGone);
        }
    }
}
