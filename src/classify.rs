//! `classify`: a pure function from the facts of one exchange to its verdict (CONTRACT §1.5).
//!
//! Order follows the taxonomy: transport, then CORS, then the token (authlens's own checks
//! first, the upstream's words second), then plain server errors; findings for successes.

mod authn;
mod authz;
mod client;
mod cors;
mod findings;
mod upstream;

pub use client::request_rejected;
pub use upstream::{HealthResult, health};

use crate::cause::{Cause, Confidence, Detail, Finding};
use crate::evidence::challenge::UpstreamWords;
use crate::evidence::token::TokenReport;
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub cause: Cause,
    pub detail: Detail,
    pub confidence: Confidence,
    /// One sentence for on-call, naming expected and actual values where known.
    pub hint: String,
    pub expected: Expected,
    /// Further causes, e.g. the 401 that a CORS failure hides from the browser.
    pub secondary: Vec<Cause>,
}

impl Failure {
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
    let words = crate::evidence::challenge::words(&resp.answer());
    let auth = auth_failure(x, resp, &words);
    let failure = match (cors::check(x, resp, auth.as_ref()), auth) {
        (Some(mut cors), Some(auth)) => {
            if cors.cause == Cause::CorsHeadersMissingOnError {
                cors.secondary.push(auth.cause);
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

/// The auth verdict for an error the upstream gave, by evidence rather than status alone.
fn auth_failure(x: &Exchange<'_>, resp: &ResponseFacts, words: &UpstreamWords) -> Option<Failure> {
    match resp.status.as_u16() {
        401 => Some(authn::classify(x, resp, words)),
        403 => Some(authz::classify(x, resp, words)),
        400 if words.error.as_deref() == Some("invalid_request") => {
            Some(authn::classify(x, resp, words))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
