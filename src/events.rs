//! One type per event; each `emit` writes the log line and updates the metrics together, so the
//! two can never disagree.

use crate::classify::{Classification, Failure};
use crate::facts::{RequestFacts, method_label};
use crate::metrics::{Metrics, status_class};
use crate::policy::Policy;
use crate::token::{ScopeClaim, TokenReport, Verdict};
use http::StatusCode;
use std::time::{Duration, SystemTime};

/// Claims come from outside: bound what reaches a log line.
const MAX_FIELD: usize = 256;

fn bounded(s: &str) -> &str {
    if s.len() <= MAX_FIELD {
        return s;
    }
    let mut end = MAX_FIELD;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn header_text(v: &http::HeaderValue) -> &str {
    bounded(v.to_str().unwrap_or("<non-ascii>"))
}

/// The end of one proxied exchange: counted always, logged when it failed or found something
/// (or for every request with the access log on).
pub struct Exchange<'a> {
    pub request: &'a RequestFacts,
    pub token: Option<&'a TokenReport>,
    pub status: Option<StatusCode>,
    pub classification: &'a Classification,
    pub duration: Duration,
    pub upstream_duration: Option<Duration>,
    pub policy: &'a Policy,
    pub access_log: bool,
    pub now: SystemTime,
}

impl Exchange<'_> {
    pub fn emit(&self, metrics: &Metrics) {
        let route = self.request.route;
        metrics.request(
            route,
            method_label(&self.request.method),
            status_class(self.status),
            self.duration.as_secs_f64(),
        );
        if let Some(up) = self.upstream_duration {
            metrics.upstream_duration(route, up.as_secs_f64());
        }
        if let Some(t) = self.token {
            self.count_token(metrics, t);
        }
        let c = self.classification;
        if let Some(f) = &c.failure {
            metrics.failure(route, f.cause, f.detail);
            self.log_failure(f);
            metrics.recent.record(&crate::recent::Failed {
                request: self.request,
                token: self.token,
                status: self.status,
                failure: f,
                words: &c.upstream_words,
                policy: self.policy,
            });
        }
        for finding in &c.findings {
            metrics.finding(route, *finding);
            tracing::warn!(
                message = "finding",
                finding = finding.label(),
                route = self.policy.routes.label(route),
                http.request.method = self.request.method.as_str(),
                url.path = bounded(self.request.path()),
                http.response.status_code = self.status.map(|s| s.as_u16()),
                trace_id = %self.request.trace.trace_id_hex(),
                span_id = %self.request.trace.span_id_hex(),
                request_id = header_text(&self.request.request_id),
                token.fingerprint = self.token.map(|t| t.fingerprint.to_string()),
            );
        }
        if self.access_log && c.failure.is_none() {
            tracing::info!(
                message = "request",
                route = self.policy.routes.label(route),
                http.request.method = self.request.method.as_str(),
                url.path = bounded(self.request.path()),
                http.response.status_code = self.status.map(|s| s.as_u16()),
                client.address = %self.request.client.ip(),
                duration_seconds = self.duration.as_secs_f64(),
                trace_id = %self.request.trace.trace_id_hex(),
                span_id = %self.request.trace.span_id_hex(),
                request_id = header_text(&self.request.request_id),
            );
        }
    }

    fn count_token(&self, metrics: &Metrics, t: &TokenReport) {
        let now = self
            .now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        match &t.verdict {
            Verdict::Valid => {
                if let Some(exp) = t.claims.exp {
                    metrics
                        .token_remaining_lifetime
                        .observe((exp - now).max(0) as f64);
                }
            }
            Verdict::Invalid(check) => {
                if let Some(skew) = check.skew_secs {
                    metrics.clock_skew.observe(skew as f64);
                }
            }
            Verdict::Unverified => {}
        }
    }

    fn log_failure(&self, f: &Failure) {
        let r = self.request;
        let t = self.token;
        let claims = t.map(|t| &t.claims);
        let personal = self.policy.log_personal_claims;
        let words = &self.classification.upstream_words;
        let secondary = (!f.secondary.is_empty()).then(|| {
            f.secondary
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join(",")
        });
        tracing::warn!(
            message = "exchange failed",
            cause = f.cause.label(),
            category = f.cause.category().label(),
            detail = f.detail.label(),
            hint = f.hint.as_str(),
            confidence = f.confidence.label(),
            secondary_causes = secondary,
            route = self.policy.routes.label(r.route),
            http.request.method = r.method.as_str(),
            url.path = bounded(r.path()),
            http.response.status_code = self.status.map(|s| s.as_u16()),
            client.address = %r.client.ip(),
            user_agent.original = r.user_agent.as_ref().map(header_text),
            http.request.header.origin = r.origin.as_ref().map(header_text),
            trace_id = %r.trace.trace_id_hex(),
            span_id = %r.trace.span_id_hex(),
            request_id = header_text(&r.request_id),
            token.fingerprint = t.map(|t| t.fingerprint.to_string()),
            token.alg = t.and_then(|t| t.header.alg.as_deref()).map(bounded),
            token.kid = t.and_then(|t| t.header.kid.as_deref()).map(bounded),
            token.typ = t.and_then(|t| t.header.typ.as_deref()).map(bounded),
            token.iss = claims.and_then(|c| c.iss.as_deref()).map(bounded),
            token.aud = claims.filter(|c| !c.aud.is_empty()).map(|c| bounded(&c.aud.join(" ")).to_string()),
            token.scope = claims.and_then(|c| c.scopes.first()).map(|(_, s)| scope_text(s)),
            token.exp = claims.and_then(|c| c.exp),
            token.nbf = claims.and_then(|c| c.nbf),
            token.iat = claims.and_then(|c| c.iat),
            token.client_id = claims.and_then(|c| c.client_id.as_deref()).map(bounded),
            token.sub = claims.filter(|_| personal).and_then(|c| c.sub.as_deref()).map(bounded),
            token.email = claims.filter(|_| personal).and_then(|c| c.email.as_deref()).map(bounded),
            token.name = claims.filter(|_| personal).and_then(|c| c.name.as_deref()).map(bounded),
            expected.iss = f.expected.iss.as_deref(),
            expected.aud = f.expected.aud.as_deref(),
            expected.alg = f.expected.alg.as_deref(),
            expected.scope = f.expected.scope.as_deref(),
            expected.origin = f.expected.origin.as_deref(),
            upstream.www_authenticate = words.www_authenticate.as_deref().map(bounded),
            upstream.error = words.error.as_deref().map(bounded),
            upstream.error_description = words.error_description.as_deref().map(bounded),
        );
    }
}

fn scope_text(s: &ScopeClaim) -> String {
    match s {
        ScopeClaim::Text(t) => bounded(t).to_string(),
        ScopeClaim::List(l) => bounded(&l.join(" ")).to_string(),
    }
}

/// A key set fetch, successful or not.
pub struct JwksFetched<'a> {
    pub issuer: &'a str,
    /// One of `metrics::JWKS_RESULTS`.
    pub result: &'static str,
    pub keys: usize,
    /// Why it failed, in authlens's words (never a response body).
    pub error: Option<&'a str>,
}

impl JwksFetched<'_> {
    pub fn emit(&self, metrics: &Metrics) {
        metrics.jwks_fetch(self.issuer, self.result);
        if self.result == "ok" {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            metrics.jwks_loaded(self.issuer, self.keys, now);
            tracing::info!(
                message = "jwks fetched",
                issuer = self.issuer,
                keys = self.keys
            );
        } else {
            tracing::warn!(
                message = "jwks fetch failed",
                cause = crate::cause::Cause::JwksFetchFailed.label(),
                issuer = self.issuer,
                result = self.result,
                error = self.error,
            );
        }
    }
}

/// One upstream health probe. Logged only when the state changes.
pub struct HealthProbe<'a> {
    /// An index into `metrics::HEALTH_RESULTS`.
    pub result: usize,
    pub changed: bool,
    pub status: Option<u16>,
    pub failure: Option<&'a Failure>,
    pub path: &'a str,
}

impl HealthProbe<'_> {
    pub fn emit(&self, metrics: &Metrics) {
        metrics.health_check(self.result);
        metrics.upstream_up.set(i64::from(self.failure.is_none()));
        if let Some(f) = self.failure {
            metrics.failure(crate::policy::RouteId(u16::MAX), f.cause, f.detail);
        }
        if !self.changed {
            return;
        }
        match self.failure {
            None => tracing::info!(
                message = "upstream healthy",
                url.path = self.path,
                http.response.status_code = self.status
            ),
            Some(f) => tracing::warn!(
                message = "upstream health check failed",
                cause = f.cause.label(),
                category = f.cause.category().label(),
                detail = f.detail.label(),
                hint = f.hint.as_str(),
                confidence = f.confidence.label(),
                url.path = self.path,
                http.response.status_code = self.status,
            ),
        }
    }
}

/// The configuration was loaded (at start: a file that fails validation never gets this far,
/// and reloading is not supported yet, so `result="error"` stays at 0).
pub struct ConfigLoaded;

impl ConfigLoaded {
    pub fn emit(&self, metrics: &Metrics) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        metrics.config_loaded(now);
        tracing::info!(message = "configuration loaded");
    }
}
