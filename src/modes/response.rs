//! Phases 4–6 as every mode sees them: the response head's facts, the first bytes of a small
//! body worth reading (an error's words, a metadata document), and how the exchange ended,
//! turned into one `Outcome`.

use crate::facts::{Outcome, ResponseFacts, TransportError};
use crate::proxy::phase::Ending;
use crate::telemetry::contain::contained;
use crate::telemetry::metrics::{Metrics, Stage};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use std::time::{Duration, Instant};

/// Set once the upstream's response head is in.
struct Head {
    facts: ResponseFacts,
    at_head: Duration,
    upstream: Duration,
}

/// The response side of one exchange.
#[derive(Default)]
pub struct ResponseWatch {
    head: Option<Head>,
    /// The first bytes of a body, while it is still small enough to keep.
    capture: Option<BytesMut>,
    limit: usize,
    /// Reading the head panicked (counted as an internal error): the exchange gets no verdict.
    broken: bool,
}

/// How the exchange ended, for classification and the request metrics.
pub struct Ended {
    pub outcome: Outcome,
    pub status: Option<StatusCode>,
    /// Request head to response head (or to the end, without a response).
    pub duration: Duration,
    pub upstream: Option<Duration>,
}

impl ResponseWatch {
    /// Phase 4. Reads the head's facts (`origin`: whether the request was a browser's); a panic
    /// in that is contained and counted, and the exchange then gets no verdict. Keeps the body's
    /// first `limit` bytes when `keep` says so for the status (an error, or a document the mode
    /// reads) and the body is not announced as longer. Returns whether the body's chunks are
    /// wanted.
    #[allow(clippy::too_many_arguments)] // the head's parts, as the proxy hands them over
    pub fn head(
        &mut self,
        metrics: &Metrics,
        status: StatusCode,
        headers: &HeaderMap,
        origin: bool,
        at_head: Duration,
        upstream: Duration,
        keep: impl FnOnce(StatusCode) -> Option<usize>,
    ) -> bool {
        let read = || {
            crate::base::fault::trip("response_head");
            ResponseFacts::from_head(status, headers, origin)
        };
        let Some(facts) = contained(metrics, Stage::ResponseHead, read) else {
            self.broken = true;
            return false;
        };
        let keep = keep(status);
        self.head = Some(Head {
            facts,
            at_head,
            upstream,
        });
        if let Some(limit) = keep
            && http_body_size(headers).is_none_or(|n| n <= limit as u64)
        {
            self.capture = Some(BytesMut::new());
            self.limit = limit;
        }
        self.capture.is_some()
    }

    /// Phase 5.
    pub fn chunk(&mut self, data: &Bytes) {
        if let Some(buf) = &mut self.capture {
            if buf.len() + data.len() <= self.limit {
                buf.extend_from_slice(data);
            } else {
                self.capture = None;
            }
        }
    }

    /// Trailers (gRPC puts its status there) complete the head's facts.
    pub fn trailers(&mut self, trailers: &HeaderMap) {
        if let Some(h) = &mut self.head {
            h.facts.trailers(trailers);
        }
    }

    /// Phase 6. `started` is when the request head came in.
    /// `None` when reading the head panicked.
    pub fn end(mut self, ending: Ending, started: Instant) -> Option<Ended> {
        if self.broken {
            return None;
        }
        // Read the clock only for endings that use it (a complete exchange took `at_head`).
        let elapsed = || started.elapsed();
        let head = self.head.take();
        let (outcome, status, duration, upstream) = match (ending, head) {
            (Ending::Complete, Some(mut h)) => {
                h.facts.body = self.capture.take().map(BytesMut::freeze);
                let status = h.facts.status;
                (
                    Outcome::Response(h.facts),
                    Some(status),
                    h.at_head,
                    Some(h.upstream),
                )
            }
            (
                Ending::Failed {
                    error,
                    status,
                    upstream,
                },
                _,
            ) => (Outcome::Transport(error), Some(status), elapsed(), upstream),
            (Ending::UpstreamBroke, h) => (
                Outcome::Transport(TransportError::Reset {
                    mid_body: h.is_some(),
                }),
                h.as_ref().map(|h| h.facts.status),
                elapsed(),
                h.map(|h| h.upstream),
            ),
            (Ending::ClientGone | Ending::Complete, h) => (
                Outcome::Transport(TransportError::ClientAborted),
                h.as_ref().map(|h| h.facts.status),
                elapsed(),
                h.map(|h| h.upstream),
            ),
        };
        Some(Ended {
            outcome,
            status,
            duration,
            upstream,
        })
    }
}

/// Whether the status is an error, whose body carries the upstream's words.
pub fn is_error(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

/// `Content-Length`, when the upstream sent one.
fn http_body_size(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
