//! One exchange in the resource-server mode, from the request head to the end of the response
//! body, where it is classified and emitted exactly once (also when the client goes away).

use crate::classify::{self, Classification};
use crate::evidence::token::{Token, form_token};
use crate::evidence::token::{TokenReport, Verdict};
use crate::facts::{History, Outcome, RequestFacts};
use crate::generation::{Generation, PreflightKey, Suspect};
use crate::inspect::{Inspection, Inspector};
use crate::modes::form_scan::{self, FormScan, Found};
use crate::modes::response::{ResponseWatch, is_error};
use crate::proxy::phase::{Ending, Watch};
use crate::telemetry::contain::contained;
use crate::telemetry::events;
use crate::telemetry::metrics::Stage;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Form posts that carry a token are small; past this the body is not read.
const SCAN_LIMIT: usize = 8 * 1024;

pub struct Exchange {
    generation: Arc<Generation>,
    inspector: Arc<Inspector>,
    request: RequestFacts,
    inspection: Option<Inspection>,
    started: Instant,
    response: ResponseWatch,
    /// Filled by the request body once it has streamed past, for a form-encoded body.
    body_token: Option<Found<Token>>,
    /// `upstream.error_body_bytes`: enough for any middleware's JSON error.
    capture_limit: usize,
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
            response: ResponseWatch::default(),
            body_token: None,
            capture_limit,
        }
    }
}

impl Watch for Exchange {
    type RequestBody = FormScan<Token>;

    fn request(&self) -> &RequestFacts {
        &self.request
    }

    fn request_body(&mut self, headers: &HeaderMap, empty: bool) -> Option<FormScan<Token>> {
        let (scan, cell) = form_scan::scan(headers, empty, SCAN_LIMIT, |form, _| form_token(form))?;
        self.body_token = Some(cell);
        Some(scan)
    }

    fn response_head(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        upstream: Duration,
    ) -> bool {
        // Error bodies are where middlewares put their words; successes are never kept.
        let limit = self.capture_limit;
        self.response.head(
            self.generation.metrics.global(),
            status,
            headers,
            self.request.origin.is_some(),
            self.started.elapsed(),
            upstream,
            |status| is_error(status).then_some(limit),
        )
    }

    fn response_chunk(&mut self, data: &Bytes) {
        self.response.chunk(data);
    }

    fn response_trailers(&mut self, trailers: &HeaderMap) {
        self.response.trailers(trailers);
    }

    fn end(mut self, ending: Ending) {
        let Some(ended) = self.response.end(ending, self.started) else {
            return;
        };
        // A token in the form body is known only now; inspect it if it is the only one.
        if let Some(token) = self.body_token.take().and_then(|c| c.get().cloned()) {
            if self.request.credentials.token().is_none() {
                self.inspection = Some(self.inspector.inspect(&self.generation.trust, &token));
            }
            self.request.credentials = self.request.credentials.with_body_token(token);
        }
        let pending = Finished {
            generation: self.generation,
            request: self.request,
            outcome: ended.outcome,
            status: ended.status,
            duration: ended.duration,
            upstream: ended.upstream,
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
        let generation = self.generation.clone();
        contained(generation.metrics.global(), Stage::Classify, || {
            self.classify_and_emit(token)
        });
    }

    fn classify_and_emit(self, token: Option<&TokenReport>) {
        let g = &self.generation;
        let now = SystemTime::now();
        crate::base::fault::trip("classify");
        let x = classify::Exchange {
            request: &self.request,
            token,
            outcome: &self.outcome,
            policy: &g.policy,
            history: self.history(token),
            now,
        };
        let classification = classify::classify(&x);
        // What this preflight's answer names should the browser never send the request.
        let suspect = classification
            .failure
            .is_none()
            .then(|| classify::unfollowed_preflight(&x))
            .flatten();
        events::Exchange {
            request: &self.request,
            token,
            token_request: None,
            status: self.status,
            classification: &classification,
            duration: self.duration,
            upstream_duration: self.upstream,
            policy: &g.policy,
            access_log: g.access_log,
            now,
        }
        .emit(&g.metrics);
        self.remember(token, &classification, suspect);
    }

    fn history(&self, token: Option<&TokenReport>) -> History {
        let m = &self.generation.memory;
        // Only the rules for an upstream's 4xx read these (classify::authn); a success skips
        // the shared reads and the key-set lookup.
        let rejected = matches!(&self.outcome, Outcome::Response(r) if r.status.is_client_error());
        History {
            route_cors_on_success: m.route_cors_on_success(self.request.route),
            upstream_accepted_a_token: rejected && m.upstream_accepted_a_token(),
            kid_first_seen_secs_ago: token
                .filter(|_| rejected)
                .and_then(|t| self.generation.trust.kid_age_secs(t)),
            preflights_unfollowed: self
                .preflight_key()
                .map_or(0, |k| m.preflights.unfollowed(k)),
        }
    }

    fn preflight_key(&self) -> Option<PreflightKey> {
        self.request.preflight.as_ref()?;
        self.generation.memory.preflights.key_of(&self.request)
    }

    /// Updates the running memory once the exchange is classified, so it is judged on what came
    /// before it.
    fn remember(
        self,
        token: Option<&TokenReport>,
        classification: &Classification,
        suspect: Option<classify::Failure>,
    ) {
        let Outcome::Response(resp) = &self.outcome else {
            return;
        };
        if !resp.status.is_success() {
            return;
        }
        let m = &self.generation.memory;
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
        if classification.failure.is_none()
            && let Some(key) = self.preflight_key()
        {
            let route = self.request.route;
            let status = resp.status;
            let suspect = suspect.map(|failure| Suspect {
                request: self.request,
                status,
                failure,
            });
            m.preflights
                .on_preflight(key, route, Instant::now(), suspect);
        }
    }
}
