//! One token-endpoint exchange, from the request head to its single event.

use super::Accepted;
use crate::base::clock::unix_secs;
use crate::classify::token_endpoint::{self, Grant, TokenExchange};
use crate::evidence::token::TokenReport;
use crate::evidence::token_request::{self, ClientAuth, FormRead, Secret, TokenForm};
use crate::facts::{Outcome, RequestFacts};
use crate::generation::Generation;
use crate::inspect::Inspector;
use crate::modes::form_scan::{self, FormScan, Found};
use crate::modes::response::{Ended, ResponseWatch, is_error};
use crate::policy::EndpointKind;
use crate::proxy::phase::{Ending, Watch};
use crate::telemetry::contain::contained;
use crate::telemetry::events;
use crate::telemetry::metrics::Stage;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Token requests are small (an ID-JAG or ID token is a few KiB); past this the body is not
/// read, and parameters after the cut are unknown.
const FORM_LIMIT: usize = 32 * 1024;
/// Metadata documents are read (success bodies of the discovery route only).
const METADATA_LIMIT: usize = 16 * 1024;

pub struct Exchange {
    pub(super) generation: Arc<Generation>,
    pub(super) inspector: Arc<Inspector>,
    pub(super) accepted: Arc<Accepted>,
    pub(super) request: RequestFacts,
    pub(super) started: Instant,
    pub(super) endpoint: usize,
    pub(super) kind: EndpointKind,
    /// From the head: `Authorization: Basic` and the client id it names.
    pub(super) basic: Option<ClientAuth>,
    /// Filled once the body has streamed past, for a form-encoded body.
    pub(super) form: Option<Found<TokenForm>>,
    pub(super) response: ResponseWatch,
    /// `upstream.error_body_bytes`: how much of a JSON error answer is read.
    pub(super) error_body_bytes: usize,
}

fn read_form(encoded: &[u8], complete: bool) -> Option<TokenForm> {
    let read = if complete {
        FormRead::Complete
    } else {
        FormRead::Cut
    };
    Some(TokenForm::parse(encoded, read))
}

impl Watch for Exchange {
    type RequestBody = FormScan<TokenForm>;

    fn request(&self) -> &RequestFacts {
        &self.request
    }

    fn request_body(&mut self, headers: &HeaderMap, empty: bool) -> Option<Self::RequestBody> {
        if self.kind != EndpointKind::Token {
            return None;
        }
        self.basic = token_request::basic_client(headers);
        let (scan, cell) = form_scan::scan(headers, empty, FORM_LIMIT, read_form)?;
        self.form = Some(cell);
        Some(scan)
    }

    fn response_head(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        upstream: Duration,
    ) -> bool {
        // A success answer carries tokens: it is never read. Metadata is, to check its issuer.
        let (limit, kind) = (self.error_body_bytes, self.kind);
        let keep = |status: StatusCode| {
            if is_error(status) {
                Some(limit)
            } else if kind == EndpointKind::Discovery && status.is_success() {
                Some(METADATA_LIMIT)
            } else {
                None
            }
        };
        self.response.head(
            self.generation.metrics.global(),
            status,
            headers,
            false,
            self.started.elapsed(),
            upstream,
            keep,
        )
    }

    fn response_chunk(&mut self, data: &Bytes) {
        self.response.chunk(data);
    }

    fn response_trailers(&mut self, trailers: &HeaderMap) {
        self.response.trailers(trailers);
    }

    fn end(self, ending: Ending) {
        let form = match &self.form {
            Some(cell) => cell.get().cloned().unwrap_or(TokenForm {
                read: FormRead::Broken,
                ..TokenForm::default()
            }),
            None => TokenForm::default(),
        };
        let client = token_request::client_auth(self.basic.as_ref(), &form);
        let Some(ended) = self.response.end(ending, self.started) else {
            return;
        };
        let finished = Finished {
            generation: self.generation,
            accepted: self.accepted,
            request: self.request,
            endpoint: self.endpoint,
            kind: self.kind,
            form,
            client,
            ended,
        };
        let Some(token) = finished.assertion().cloned() else {
            finished.emit(None);
            return;
        };
        // Verification may fetch keys: it runs after the response has gone to the client, on a
        // task of its own, so that a panic in it still leaves the exchange classified (without
        // the assertion's verdict), as in the resource-server mode.
        let (inspector, g, endpoint) = (self.inspector, finished.generation.clone(), self.endpoint);
        tokio::spawn(async move {
            let verify = tokio::spawn(async move {
                let endpoint = &g.policy.token_endpoints.list[endpoint];
                inspector
                    .verify_assertion(&g.trust, endpoint, token.as_str())
                    .await
            });
            match verify.await {
                Ok(report) => finished.emit(Some(&report)),
                Err(_) => finished.emit(None),
            }
        });
    }
}

/// An exchange whose facts are all in.
struct Finished {
    generation: Arc<Generation>,
    accepted: Arc<Accepted>,
    request: RequestFacts,
    endpoint: usize,
    kind: EndpointKind,
    form: TokenForm,
    client: ClientAuth,
    ended: Ended,
}

impl Finished {
    /// The token the grant is about: the ID-JAG of a JWT-bearer grant, else the subject token.
    fn assertion(&self) -> Option<&Secret> {
        self.form
            .assertion
            .as_ref()
            .or(self.form.subject_token.as_ref())
    }

    /// Classifies and emits; a panic in either is contained (the response has gone already).
    fn emit(self, report: Option<&TokenReport>) {
        let generation = self.generation.clone();
        contained(generation.metrics.global(), Stage::Classify, || {
            self.classify_and_emit(report)
        });
    }

    fn classify_and_emit(self, report: Option<&TokenReport>) {
        let g = &self.generation;
        let now = SystemTime::now();
        let endpoint = &g.policy.token_endpoints.list[self.endpoint];
        let jti = report.and_then(|r| Some((r.claims.iss.as_deref()?, r.claims.jti.as_deref()?)));
        let x = TokenExchange {
            endpoint,
            kind: self.kind,
            path: self.request.path(),
            form: &self.form,
            client: &self.client,
            assertion: report,
            replayed: jti.is_some_and(|(iss, jti)| self.accepted.seen(iss, jti, unix_secs(now))),
            outcome: &self.ended.outcome,
            leeway: g.policy.leeway,
            now,
        };
        let classification = token_endpoint::classify(&x);
        let accepted = matches!(&self.ended.outcome, Outcome::Response(r) if r.status.is_success());
        if accepted
            && x.grant() == Grant::JwtBearer
            && let (Some((iss, jti)), Some(exp)) = (jti, report.and_then(|r| r.claims.exp))
        {
            self.accepted.accept(iss, jti, exp, unix_secs(now));
        }
        if let Some(r) = report.filter(|_| accepted && x.grant() == Grant::JwtBearer) {
            let lives = r
                .claims
                .exp
                .zip(r.claims.iat)
                .map(|(e, i)| e.saturating_sub(i));
            let expected = endpoint.assertion_lifetime.as_secs();
            if let Some(lives) = lives.filter(|l| *l > expected as i64) {
                events::LongLivedAssertion {
                    route: &endpoint.name,
                    token: r,
                    lifetime_secs: lives,
                    expected_secs: expected,
                }
                .emit();
            }
        }
        events::Exchange {
            request: &self.request,
            token: report,
            token_request: Some(events::TokenRequest {
                form: &self.form,
                client: &self.client,
            }),
            status: self.ended.status,
            classification: &classification,
            duration: self.ended.duration,
            upstream_duration: self.ended.upstream,
            policy: &g.policy,
            access_log: g.access_log,
            now,
        }
        .emit(&g.metrics);
    }
}
