//! One exchange in the resource-server mode, from the request head to the end of the response
//! body, where it is classified and emitted exactly once (also when the client goes away).

use super::form_scan::{self, BodyToken, FormScan};
use crate::classify::{self, Classification};
use crate::evidence::token::{TokenReport, Verdict};
use crate::facts::{History, Outcome, RequestFacts, ResponseFacts, TransportError};
use crate::generation::{Generation, PreflightKey};
use crate::inspect::{Inspection, Inspector};
use crate::proxy::phase::{Ending, Watch};
use crate::telemetry::contain::contained;
use crate::telemetry::events;
use crate::telemetry::metrics::Stage;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Set once the upstream's response head is in.
struct Head {
    facts: ResponseFacts,
    at_head: Duration,
    upstream: Duration,
}

pub struct Exchange {
    generation: Arc<Generation>,
    inspector: Arc<Inspector>,
    request: RequestFacts,
    inspection: Option<Inspection>,
    started: Instant,
    head: Option<Head>,
    /// The first bytes of an error body, while it is still small enough to keep.
    capture: Option<BytesMut>,
    /// Filled by the request body once it has streamed past, for a form-encoded body.
    body_token: Option<BodyToken>,
    /// `upstream.error_body_bytes`: enough for any middleware's JSON error.
    capture_limit: usize,
    /// Reading the response head panicked (counted as an internal error): no verdict.
    broken: bool,
}

impl Exchange {
    pub fn new(
        generation: Arc<Generation>,
        inspector: Arc<Inspector>,
        request: RequestFacts,
        inspection: Option<Inspection>,
        started: Instant,
        capture_limit: usize,
    ) -> Self {
        Exchange {
            generation,
            inspector,
            request,
            inspection,
            started,
            head: None,
            capture: None,
            body_token: None,
            capture_limit,
            broken: false,
        }
    }
}

impl Watch for Exchange {
    type RequestBody = FormScan;

    fn request(&self) -> &RequestFacts {
        &self.request
    }

    fn request_body(&mut self, headers: &HeaderMap, empty: bool) -> Option<FormScan> {
        let (scan, cell) = form_scan::scan(headers, empty)?;
        self.body_token = Some(cell);
        Some(scan)
    }

    fn response_head(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        upstream: Duration,
    ) -> bool {
        let origin = self.request.origin.is_some();
        let read = || {
            crate::base::fault::trip("response_head");
            ResponseFacts::from_head(status, headers, origin)
        };
        let Some(facts) = contained(self.generation.metrics.global(), Stage::ResponseHead, read)
        else {
            self.broken = true;
            return false;
        };
        self.head = Some(Head {
            facts,
            at_head: self.started.elapsed(),
            upstream,
        });
        // Error bodies are where middlewares put their words; successes are never kept.
        let error = status.is_client_error() || status.is_server_error();
        let small = http_body_size(headers).is_none_or(|n| n <= self.capture_limit as u64);
        if error && small {
            self.capture = Some(BytesMut::new());
        }
        self.capture.is_some()
    }

    fn response_chunk(&mut self, data: &Bytes) {
        if let Some(buf) = &mut self.capture {
            if buf.len() + data.len() <= self.capture_limit {
                buf.extend_from_slice(data);
            } else {
                self.capture = None;
            }
        }
    }

    fn end(mut self, ending: Ending) {
        if self.broken {
            return;
        }
        // A token in the form body is known only now; inspect it if it is the only one.
        if let Some(token) = self.body_token.take().and_then(|c| c.get().cloned()) {
            if self.request.credentials.token().is_none() {
                self.inspection = Some(self.inspector.inspect(&self.generation.trust, &token));
            }
            self.request.credentials = self.request.credentials.with_body_token(token);
        }
        let elapsed = self.started.elapsed();
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
            ) => (Outcome::Transport(error), Some(status), elapsed, upstream),
            (Ending::UpstreamBroke, h) => (
                Outcome::Transport(TransportError::Reset {
                    mid_body: h.is_some(),
                }),
                h.as_ref().map(|h| h.facts.status),
                elapsed,
                h.map(|h| h.upstream),
            ),
            (Ending::ClientGone | Ending::Complete, h) => (
                Outcome::Transport(TransportError::ClientAborted),
                h.as_ref().map(|h| h.facts.status),
                elapsed,
                h.map(|h| h.upstream),
            ),
        };
        let pending = Finished {
            generation: self.generation,
            request: self.request,
            outcome,
            status,
            duration,
            upstream,
        };
        match self.inspection.take() {
            None => pending.emit(None),
            Some(mut inspection) => match inspection.try_ready() {
                Some(report) => pending.emit(Some(&report)),
                // Verification is still running: finish off the request path.
                None => {
                    tokio::spawn(async move {
                        let report = inspection.wait().await;
                        pending.emit(report.as_deref());
                    });
                }
            },
        }
    }
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

/// An exchange whose facts are all in, waiting (at most) for its token's verdict.
struct Finished {
    generation: Arc<Generation>,
    request: RequestFacts,
    outcome: Outcome,
    status: Option<StatusCode>,
    duration: Duration,
    upstream: Option<Duration>,
}

impl Finished {
    /// Classifies and emits; a panic in either is contained (the response has gone already).
    fn emit(self, token: Option<&TokenReport>) {
        let metrics = self.generation.metrics.global();
        contained(metrics, Stage::Classify, || self.classify_and_emit(token));
    }

    fn classify_and_emit(&self, token: Option<&TokenReport>) {
        let g = &self.generation;
        let now = SystemTime::now();
        crate::base::fault::trip("classify");
        let classification = classify::classify(&classify::Exchange {
            request: &self.request,
            token,
            outcome: &self.outcome,
            policy: &g.policy,
            history: self.history(token),
            now,
        });
        self.remember(token, &classification);
        events::Exchange {
            request: &self.request,
            token,
            status: self.status,
            classification: &classification,
            duration: self.duration,
            upstream_duration: self.upstream,
            policy: &g.policy,
            access_log: g.access_log,
            now,
        }
        .emit(&g.metrics);
    }

    fn history(&self, token: Option<&TokenReport>) -> History {
        let m = &self.generation.memory;
        History {
            route_cors_on_success: m.route_cors_on_success(self.request.route),
            upstream_accepted_a_token: m.upstream_accepted_a_token(),
            kid_first_seen_secs_ago: token.and_then(|t| self.generation.trust.kid_age_secs(t)),
            preflights_unfollowed: self
                .preflight_key()
                .map_or(0, |k| m.preflights.unfollowed(k)),
        }
    }

    fn preflight_key(&self) -> Option<PreflightKey> {
        self.request.preflight.as_ref()?;
        self.generation.memory.preflights.key_of(&self.request)
    }

    /// Updates the running memory after classification, so this exchange is judged on what
    /// came before it.
    fn remember(&self, token: Option<&TokenReport>, classification: &Classification) {
        let Outcome::Response(resp) = &self.outcome else {
            return;
        };
        if !resp.status.is_success() {
            return;
        }
        let m = &self.generation.memory;
        if classification.failure.is_none()
            && let Some(key) = self.preflight_key()
        {
            m.preflights
                .on_preflight(key, self.request.route, Instant::now());
        }
        if resp
            .cors
            .as_ref()
            .is_some_and(|c| !c.allow_origin.is_empty())
        {
            m.saw_cors_on_success(self.request.route);
        }
        if token.is_some_and(|t| t.verdict == Verdict::Valid) {
            m.saw_upstream_accept_a_token();
        }
    }
}
