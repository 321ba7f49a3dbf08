//! One type per event; each `emit` writes the log line and updates the metrics together, so the
//! two can never disagree.

use crate::base::clock;
use crate::classify::{Classification, Failure, HealthResult};
use crate::evidence::token::{ScopeClaim, TokenReport, Verdict};
use crate::evidence::token_request::{ClientAuth, TokenForm};
use crate::facts::RequestFacts;
use crate::keys::{FetchError, FetchReporter, FetchResult};
use crate::policy::{Policy, RouteId};
use crate::telemetry::metrics::{Metrics, RouteMetrics, method_label, status_class};
use http::StatusCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

mod protection;
pub use protection::{ConnectionsRefused, DrainCut, InternalError, RequestRejected};

/// The fields every line about one exchange carries, written once: `$level`, then the line's
/// own fields.
macro_rules! exchange_line {
    ($level:ident, $x:expr, $($field:tt)*) => {
        tracing::$level!(
            route = $x.policy.routes.label($x.request.route),
            http.request.method = $x.request.method.as_str(),
            url.path = bounded($x.request.path()),
            http.response.status_code = $x.status.map(|s| s.as_u16()),
            client.address = %$x.request.client.ip(),
            trace_id = %$x.request.trace.trace_id_hex(),
            span_id = %$x.request.trace.span_id_hex(),
            request_id = header_text(&$x.request.request_id),
            $($field)*
        )
    };
}

/// The line of one counted failure: the exchange's fields, the failure's, then `$field`s.
macro_rules! failure_line {
    ($x:expr, $f:expr, $($field:tt)*) => {
        exchange_line!(
            warn,
            $x,
            message = "exchange failed",
            cause = $f.cause.label(),
            category = $f.cause.category().label(),
            detail = $f.detail.label(),
            hint = $f.shown_hint(),
            confidence = $f.confidence.label(),
            secondary_causes = secondary_text($f),
            user_agent.original = $x.request.user_agent.as_ref().map(header_text),
            http.request.header.origin = $x.request.origin.as_ref().map(header_text),
            expected.origin = $f.expected.origin.as_deref(),
            $($field)*
        )
    };
}

/// Claims come from outside: bound what reaches a log line.
const MAX_FIELD: usize = 256;

fn bounded(s: &str) -> &str {
    crate::base::text::prefix(s, MAX_FIELD)
}

fn header_text(v: &http::HeaderValue) -> &str {
    bounded(v.to_str().unwrap_or("<non-ascii>"))
}

/// The end of one proxied exchange: counted always, logged when it failed or found something
/// (or for every request with the access log on).
pub struct Exchange<'a> {
    pub request: &'a RequestFacts,
    pub token: Option<&'a TokenReport>,
    /// At a token endpoint: the request's parameters (the token is then its assertion).
    pub token_request: Option<TokenRequest<'a>>,
    pub status: Option<StatusCode>,
    pub classification: &'a Classification,
    pub duration: Duration,
    pub upstream_duration: Option<Duration>,
    pub policy: &'a Policy,
    pub access_log: bool,
    pub now: SystemTime,
}

/// What a token request said, for its log line: parameters, never the assertion, subject
/// token or client secret.
#[derive(Clone, Copy)]
pub struct TokenRequest<'a> {
    pub form: &'a TokenForm,
    pub client: &'a ClientAuth,
}

impl Exchange<'_> {
    pub fn emit(&self, metrics: &RouteMetrics) {
        crate::base::fault::trip("telemetry");
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
            self.count_token(metrics.global(), t);
        }
        let c = self.classification;
        if let Some(f) = &c.failure {
            count_failure(metrics, route, f);
            self.log_failure(f);
            metrics.global().recent.record(&crate::recent::Failed {
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
            exchange_line!(
                warn,
                self,
                message = "finding",
                finding = finding.label(),
                token.fingerprint = self.token.map(|t| t.fingerprint.to_string()),
            );
        }
        if self.access_log && c.failure.is_none() {
            exchange_line!(
                info,
                self,
                message = "request",
                duration_seconds = self.duration.as_secs_f64(),
            );
        }
    }

    fn count_token(&self, metrics: &Metrics, t: &TokenReport) {
        let now = clock::unix_secs(self.now);
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
        let t = self.token;
        let claims = t.map(|t| &t.claims);
        let personal = self.policy.log_personal_claims;
        let words = &self.classification.upstream_words;
        let form = self.token_request.map(|t| t.form);
        failure_line!(
            self,
            f,
            token.fingerprint = t.map(|t| t.fingerprint.to_string()),
            token.alg = t.and_then(|t| t.header.alg.as_deref()).map(bounded),
            token.kid = t.and_then(|t| t.header.kid.as_deref()).map(bounded),
            token.typ = t.and_then(|t| t.header.typ.as_deref()).map(bounded),
            token.iss = claims.and_then(|c| c.iss.as_deref()).map(bounded),
            token.aud = claims
                .filter(|c| !c.aud.is_empty())
                .map(|c| bounded(&c.aud.join(" ")).to_string()),
            token.scope = claims
                .and_then(|c| c.scopes.first())
                .map(|(_, s)| scope_text(s)),
            token.exp = claims.and_then(|c| c.exp),
            token.nbf = claims.and_then(|c| c.nbf),
            token.iat = claims.and_then(|c| c.iat),
            token.client_id = claims.and_then(|c| c.client_id.as_deref()).map(bounded),
            token.sub = claims
                .filter(|_| personal)
                .and_then(|c| c.sub.as_deref())
                .map(bounded),
            token.email = claims
                .filter(|_| personal)
                .and_then(|c| c.email.as_deref())
                .map(bounded),
            token.name = claims
                .filter(|_| personal)
                .and_then(|c| c.name.as_deref())
                .map(bounded),
            expected.iss = f.expected.iss.as_deref(),
            expected.aud = f.expected.aud.as_deref(),
            expected.alg = f.expected.alg.as_deref(),
            expected.scope = f.expected.scope.as_deref(),
            upstream.www_authenticate = words.www_authenticate.as_deref().map(bounded),
            upstream.error = words.error.as_deref().map(bounded),
            upstream.error_description = words.error_description.as_deref().map(bounded),
            request.grant_type = form.and_then(|f| f.grant_type.as_deref()).map(bounded),
            request.client_auth = self.token_request.map(|t| t.client.label()),
            request.client_id = self
                .token_request
                .and_then(|t| t.client.client_id(t.form))
                .map(bounded),
            request.audience = form.and_then(|f| f.audience.as_deref()).map(bounded),
            request.resource = form.and_then(|f| f.resource.as_deref()).map(bounded),
            request.scope = form.and_then(|f| f.scope.as_deref()).map(bounded),
            request.subject_token_type = form
                .and_then(|f| f.subject_token_type.as_deref())
                .map(bounded),
            request.requested_token_type = form
                .and_then(|f| f.requested_token_type.as_deref())
                .map(bounded),
            token.jti = claims.and_then(|c| c.jti.as_deref()).map(bounded),
        );
    }
}

/// A masked cause counts under its own category too (CONTRACT §2), and the line names it in
/// `secondary_causes`: logs and metrics agree cause by cause.
fn count_failure(metrics: &RouteMetrics, route: RouteId, f: &Failure) {
    metrics.failure(route, f.cause, f.detail);
    for (cause, detail) in &f.secondary {
        metrics.failure(route, *cause, *detail);
    }
}

fn secondary_text(f: &Failure) -> Option<String> {
    (!f.secondary.is_empty()).then(|| {
        f.secondary
            .iter()
            .map(|(c, _)| c.label())
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// A preflight whose window passed without its real request, and whose answer names why the
/// browser refused the call: a failure found after the exchange itself was counted, so only
/// the failure is counted now, with one line for it.
pub struct UnfollowedPreflight<'a> {
    /// The preflight's facts.
    pub request: &'a RequestFacts,
    /// The preflight's status.
    pub status: Option<StatusCode>,
    pub failure: &'a Failure,
    pub policy: &'a Policy,
}

impl UnfollowedPreflight<'_> {
    pub fn emit(&self, metrics: &RouteMetrics) {
        let f = self.failure;
        count_failure(metrics, self.request.route, f);
        failure_line!(
            self,
            f,
            http.request.header.access_control_request_method = self
                .request
                .preflight
                .as_ref()
                .map(|p| header_text(&p.method)),
        );
        metrics.global().recent.record(&crate::recent::Failed {
            request: self.request,
            token: None,
            status: self.status,
            failure: f,
            words: &Default::default(),
            policy: self.policy,
        });
    }
}

fn scope_text(s: &ScopeClaim) -> String {
    match s {
        ScopeClaim::Text(t) => bounded(t).to_string(),
        ScopeClaim::List(l) => bounded(&l.join(" ")).to_string(),
    }
}

/// A token endpoint accepted an ID-JAG that lives longer than the draft's 5 minutes: worth
/// knowing (a stolen one is useful longer), not a failure, so logged without a `cause`.
pub struct LongLivedAssertion<'a> {
    pub route: &'a str,
    pub token: &'a TokenReport,
    pub lifetime_secs: i64,
    pub expected_secs: u64,
}

impl LongLivedAssertion<'_> {
    pub fn emit(&self) {
        tracing::info!(
            message = "ID-JAG accepted with a lifetime above the expected one",
            route = self.route,
            lifetime_seconds = self.lifetime_secs,
            expected.lifetime_seconds = self.expected_secs,
            token.iss = self.token.claims.iss.as_deref().map(bounded),
            token.fingerprint = %self.token.fingerprint,
        );
    }
}

/// A key set fetch, successful or not.
pub struct JwksFetched<'a> {
    pub issuer: &'a str,
    pub result: FetchResult,
    pub keys: usize,
    /// Why it failed, in authlens's words (never a response body).
    pub error: Option<&'a FetchError>,
}

impl JwksFetched<'_> {
    pub fn emit(&self, metrics: &Metrics) {
        metrics.jwks_fetch(self.issuer, self.result);
        if self.result == FetchResult::Ok {
            metrics.jwks_loaded(self.issuer, self.keys, clock::unix_now_f64());
            tracing::info!(
                message = "jwks fetched",
                event = "jwks_fetch",
                result = self.result.label(),
                issuer = self.issuer,
                keys = self.keys
            );
        } else {
            // A background event, not a counted failure: no `cause` (CONTRACT §2); requests it
            // leaves unchecked are counted as `jwks_fetch_failed` one by one.
            tracing::warn!(
                message = "jwks fetch failed",
                event = "jwks_fetch",
                issuer = self.issuer,
                result = self.result.label(),
                error = self.error.map(|e| e.to_string()),
            );
        }
    }
}

/// Key-set fetches reported by `keys` become `JwksFetched` events.
pub struct KeySetEvents(pub Arc<Metrics>);

impl FetchReporter for KeySetEvents {
    fn fetched(&self, issuer: &str, outcome: Result<usize, &FetchError>) {
        let (result, keys, error) = match outcome {
            Ok(keys) => (FetchResult::Ok, keys, None),
            Err(e) => (e.result(), 0, Some(e)),
        };
        JwksFetched {
            issuer,
            result,
            keys,
            error,
        }
        .emit(&self.0);
    }
}

/// One upstream health probe. Logged only when the state changes.
pub struct HealthProbe<'a> {
    pub result: HealthResult,
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
            metrics.failure_unrouted(f.cause, f.detail);
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
                hint = f.shown_hint(),
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
        metrics.config_loaded(clock::unix_now_f64());
        tracing::info!(
            message = "configuration loaded",
            event = "config_load",
            result = "ok"
        );
    }
}
