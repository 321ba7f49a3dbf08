//! The record of one exchange, carried from the request head to the end of the response body,
//! where it is classified and emitted exactly once (also when the client goes away).

use super::Shared;
use super::request_body::BodyToken;
use crate::classify::{self, Exchange};
use crate::events;
use crate::facts::{History, Outcome, RequestFacts, ResponseFacts, TransportError};
use crate::inspect::Inspection;
use crate::token::{TokenReport, Verdict};
use bytes::Bytes;
use http::StatusCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

/// Set once the upstream's response head is in.
struct Head {
    status: StatusCode,
    facts: ResponseFacts,
    at_head: Duration,
    upstream: Duration,
}

pub struct Record {
    shared: Arc<Shared>,
    request: Option<RequestFacts>,
    inspection: Option<Inspection>,
    started: Instant,
    head: Option<Head>,
    /// Filled by the request body once it has streamed past, for a form-encoded body.
    body_token: Option<BodyToken>,
}

/// How the exchange ended.
pub enum Ending {
    /// The response body was delivered whole (or there was none).
    Complete { body: Option<Bytes> },
    /// No usable response: the client got a synthetic 502/504.
    Failed {
        error: TransportError,
        status: StatusCode,
        upstream: Option<Duration>,
    },
    /// The upstream broke off in the middle of the body.
    UpstreamBroke,
    /// The client went away first.
    ClientGone,
}

impl Record {
    pub fn new(
        shared: Arc<Shared>,
        request: RequestFacts,
        inspection: Option<Inspection>,
        started: Instant,
    ) -> Self {
        Record {
            shared,
            request: Some(request),
            inspection,
            started,
            head: None,
            body_token: None,
        }
    }

    pub fn request(&self) -> &RequestFacts {
        self.request.as_ref().expect("present until finished")
    }

    pub fn set_head(&mut self, status: StatusCode, facts: ResponseFacts, upstream: Duration) {
        self.head = Some(Head {
            status,
            facts,
            at_head: self.started.elapsed(),
            upstream,
        });
    }

    /// Classifies and emits. Called at most once; a record dropped unfinished ends as
    /// `ClientGone`.
    pub fn finish(mut self, ending: Ending) {
        self.finish_inner(ending);
    }

    pub fn watch_body_token(&mut self, cell: Option<BodyToken>) {
        self.body_token = cell;
    }

    fn finish_inner(&mut self, ending: Ending) {
        let Some(mut request) = self.request.take() else {
            return;
        };
        // A token in the form body is known only now; inspect it if it is the only one.
        if let Some(token) = self.body_token.take().and_then(|c| c.get().cloned()) {
            if request.credentials.token().is_none() {
                self.inspection = Some(self.shared.inspector.inspect(&token));
            }
            request.credentials = request.credentials.with_body_token(token);
        }
        let head = self.head.take();
        let elapsed = self.started.elapsed();
        let (outcome, status, duration, upstream) = match (ending, head) {
            (Ending::Complete { body }, Some(mut h)) => {
                h.facts.body = body;
                (
                    Outcome::Response(h.facts),
                    Some(h.status),
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
                h.as_ref().map(|h| h.status),
                elapsed,
                h.map(|h| h.upstream),
            ),
            (Ending::ClientGone | Ending::Complete { .. }, h) => (
                Outcome::Transport(TransportError::ClientAborted),
                h.as_ref().map(|h| h.status),
                elapsed,
                h.map(|h| h.upstream),
            ),
        };
        let pending = Finished {
            shared: self.shared.clone(),
            request,
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

impl Drop for Record {
    fn drop(&mut self) {
        self.finish_inner(Ending::ClientGone);
    }
}

struct Finished {
    shared: Arc<Shared>,
    request: RequestFacts,
    outcome: Outcome,
    status: Option<StatusCode>,
    duration: Duration,
    upstream: Option<Duration>,
}

impl Finished {
    fn emit(self, token: Option<&TokenReport>) {
        let shared = &self.shared;
        let now = SystemTime::now();
        let history = self.history(token);
        let classification = classify::classify(&Exchange {
            request: &self.request,
            token,
            outcome: &self.outcome,
            policy: &shared.policy,
            history,
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
            policy: &shared.policy,
            access_log: shared.access_log,
            now,
        }
        .emit(&shared.metrics);
    }

    fn history(&self, token: Option<&TokenReport>) -> History {
        let h = &self.shared.history;
        History {
            route_cors_on_success: h
                .route_cors_on_success
                .get(self.request.route.0 as usize)
                .is_some_and(|b| b.load(Ordering::Relaxed)),
            upstream_accepted_a_token: h.upstream_accepted_a_token.load(Ordering::Relaxed),
            kid_first_seen_secs_ago: token.and_then(|t| self.shared.inspector.kid_age_secs(t)),
            preflights_unfollowed: self
                .preflight_key()
                .map_or(0, |k| h.preflights.unfollowed(k)),
        }
    }

    fn preflight_key(&self) -> Option<crate::cors::PreflightKey> {
        self.request.preflight.as_ref()?;
        self.shared.history.preflights.key_of(&self.request)
    }

    /// Updates the running memory after classification, so this exchange is judged on what
    /// came before it.
    fn remember(&self, token: Option<&TokenReport>, classification: &classify::Classification) {
        let Outcome::Response(resp) = &self.outcome else {
            return;
        };
        if !resp.status.is_success() {
            return;
        }
        let h = &self.shared.history;
        if classification.failure.is_none()
            && let Some(key) = self.preflight_key()
        {
            h.preflights
                .on_preflight(key, self.request.route, std::time::Instant::now());
        }
        if resp
            .cors
            .as_ref()
            .is_some_and(|c| !c.allow_origin.is_empty())
            && let Some(flag) = h.route_cors_on_success.get(self.request.route.0 as usize)
        {
            flag.store(true, Ordering::Relaxed);
        }
        if token.is_some_and(|t| t.verdict == Verdict::Valid) {
            h.upstream_accepted_a_token.store(true, Ordering::Relaxed);
        }
    }
}
