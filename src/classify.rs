//! `classify`: a pure function from the facts of one exchange to its verdict (CONTRACT §1.5).
//!
//! Order follows the taxonomy: transport, then CORS, then the token (authlens's own checks
//! first, the upstream's words second), then plain server errors; findings for successes.

mod authn;
mod authz;
mod client;
mod cors;
mod findings;
pub mod token_endpoint;
mod upstream;

pub use client::request_rejected;
pub use upstream::{HealthResult, health};

use crate::cause::{Category, Cause, Confidence, Detail, Finding};
use crate::evidence::challenge::{UpstreamWords, parse};
use crate::evidence::token::{Presented, TokenReport};
use crate::facts::{History, Outcome, RequestFacts, ResponseFacts};
use crate::policy::Policy;
use std::time::SystemTime;

/// Everything classification may look at. No I/O, no shared state: a snapshot.
pub struct Exchange<'a> {
    pub request: &'a RequestFacts,
    pub token: Option<&'a TokenReport>,
    pub outcome: &'a Outcome,
    pub policy: &'a Policy,
    pub history: History,
    pub now: SystemTime,
}

/// The values authlens compared against, for the `expected.*` log fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub iss: Option<String>,
    pub aud: Option<String>,
    pub alg: Option<String>,
    pub scope: Option<String>,
    pub origin: Option<String>,
}

/// The longest hint shown, in bytes.
const MAX_HINT: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub cause: Cause,
    pub detail: Detail,
    pub confidence: Confidence,
    /// One sentence for on-call, naming expected and actual values where known.
    pub hint: String,
    pub expected: Expected,
    /// Further causes, e.g. the 401 that a CORS failure hides from the browser: at most one
    /// per category, none in the primary cause's (each is counted under its own category).
    pub secondary: Vec<(Cause, Detail)>,
}

impl Failure {
    /// The hint as a log line or a page shows it: hints quote values from the token and the
    /// request, so however many they quote, the sentence stays bounded.
    pub fn shown_hint(&self) -> &str {
        crate::base::text::prefix(&self.hint, MAX_HINT)
    }

    pub fn new(
        cause: Cause,
        detail: Detail,
        confidence: Confidence,
        hint: impl Into<String>,
    ) -> Self {
        debug_assert!(
            detail == Detail::None || cause.details().contains(&detail),
            "{cause:?}/{detail:?}"
        );
        Failure {
            cause,
            detail,
            confidence,
            hint: hint.into(),
            expected: Expected::default(),
            secondary: Vec::new(),
        }
    }

    pub fn expecting(mut self, expected: Expected) -> Self {
        self.expected = expected;
        self
    }

    /// Names a cause this failure hides, unless its category already has one: an exchange
    /// counts at most once per category (CONTRACT §2).
    pub fn hiding(&mut self, cause: Cause, detail: Detail) {
        let category = cause.category();
        let taken = self.cause.category() == category
            || self.secondary.iter().any(|(c, _)| c.category() == category);
        if !taken {
            self.secondary.push((cause, detail));
        }
    }
}

#[derive(Debug, Default)]
pub struct Classification {
    pub failure: Option<Failure>,
    pub findings: Vec<Finding>,
    /// What the upstream itself said, sanitised, for the log.
    pub upstream_words: UpstreamWords,
}

pub fn classify(x: &Exchange<'_>) -> Classification {
    let resp = match x.outcome {
        Outcome::Transport(err) => {
            return Classification {
                failure: Some(upstream::transport(x, *err)),
                ..Default::default()
            };
        }
        Outcome::Response(resp) => resp,
    };
    let words = resp.words();
    let auth = auth_failure(x, resp, &words);
    let failure = match (cors::check(x, resp, auth.as_ref()), auth) {
        (Some(mut cors), Some(auth)) => {
            if cors.cause == Cause::CorsHeadersMissingOnError {
                cors.hiding(auth.cause, auth.detail);
            }
            Some(cors)
        }
        (cors, auth) => cors.or(auth),
    };
    let failure = failure.or_else(|| upstream::server_error(resp));
    let findings = if failure.is_none() {
        findings::of(x, resp)
    } else {
        Vec::new()
    };
    Classification {
        failure,
        findings,
        upstream_words: words,
    }
}

/// The verdict on a preflight the browser never followed with its request (see
/// `generation::Preflights`): `x` is the preflight exchange, judged again when its window
/// passes.
pub fn unfollowed_preflight(x: &Exchange<'_>) -> Option<Failure> {
    match x.outcome {
        Outcome::Response(resp) => cors::unfollowed(x, resp),
        Outcome::Transport(_) => None,
    }
}

/// The auth verdict for an error the upstream gave, by evidence rather than status alone (a gRPC
/// status counts as the HTTP status it means).
///
/// A 400 is an auth failure when it carries a Bearer challenge (RFC 6750 §3.1 answers
/// `invalid_request` with 400; express-oauth2-jwt-bearer sends a bare `Bearer realm=…` for a
/// malformed header) or when authlens itself finds the request's credentials malformed (fastify
/// answers 400 without any challenge). Such requests, and a challenged 403 without a token, are
/// named from the request's own facts.
fn auth_failure(x: &Exchange<'_>, resp: &ResponseFacts, words: &UpstreamWords) -> Option<Failure> {
    let bad_credentials = matches!(
        x.request.credentials,
        Presented::NotBearer(_) | Presented::Multiple(_)
    );
    let challenged = || {
        words.error.as_deref() == Some("invalid_request")
            || parse::challenges(resp.www_authenticate.iter().map(|v| v.as_bytes()))
                .iter()
                .any(|c| c.scheme == "bearer")
    };
    let no_token = matches!(x.request.credentials, Presented::None);
    match resp.auth_status().as_u16() {
        401 => Some(authn::classify(x, resp, words)),
        403 if bad_credentials || (no_token && challenged()) => {
            Some(authn::classify(x, resp, words))
        }
        403 => Some(authz::classify(x, resp, words)),
        400 if bad_credentials || challenged() => Some(authn::classify(x, resp, words)),
        // fastify lets some verifier errors (nbf, an unknown kid) escape as 500s whose words
        // still name the auth cause: an auth failure, not a server error.
        status @ 500..=599 if x.request.credentials.token().is_some() => {
            let named = crate::evidence::challenge::cause_from_words(words)?;
            (named.0.category() == Category::Authn).then(|| {
                let mut f = authn::classify(x, resp, words);
                f.hint.push_str(&format!(
                    "; the API answered {status} instead of 401: its auth layer lets this error escape as a \
                     server error"
                ));
                f
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
