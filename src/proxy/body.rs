//! The upstream's response body, streamed to the client frame by frame. It keeps the first
//! bytes of small error bodies for the classifier and finishes the exchange's record when the
//! stream ends, breaks, or is dropped.

use super::record::{Ending, Record};
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Enough for any middleware's JSON error; larger bodies are not error messages.
pub const CAPTURE_LIMIT: usize = 4096;

pub struct ObservedBody {
    inner: Incoming,
    record: Option<Record>,
    /// Present while the body is still worth keeping.
    capture: Option<BytesMut>,
}

impl ObservedBody {
    pub fn new(inner: Incoming, record: Record, capture: bool) -> Self {
        let small = inner
            .size_hint()
            .upper()
            .is_none_or(|n| n <= CAPTURE_LIMIT as u64);
        ObservedBody {
            inner,
            record: Some(record),
            capture: (capture && small).then(BytesMut::new),
        }
    }

    fn finish(&mut self, ending: Ending) {
        if let Some(record) = self.record.take() {
            record.finish(ending);
        }
    }

    fn keep(&mut self, data: &Bytes) {
        if let Some(buf) = &mut self.capture {
            if buf.len() + data.len() <= CAPTURE_LIMIT {
                buf.extend_from_slice(data);
            } else {
                self.capture = None;
            }
        }
    }
}

impl Body for ObservedBody {
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
                    this.keep(data);
                }
                if this.inner.is_end_stream() {
                    let body = this.capture.take().map(BytesMut::freeze);
                    this.finish(Ending::Complete { body });
                }
            }
            Some(Err(_)) => this.finish(Ending::UpstreamBroke),
            None => {
                let body = this.capture.take().map(BytesMut::freeze);
                this.finish(Ending::Complete { body });
            }
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

impl Drop for ObservedBody {
    fn drop(&mut self) {
        // An empty body may never be polled (HEAD, 204, 304): that is a complete exchange.
        let ending = if self.inner.is_end_stream() {
            Ending::Complete {
                body: self.capture.take().map(BytesMut::freeze),
            }
        } else {
            Ending::ClientGone
        };
        self.finish(ending);
    }
}
