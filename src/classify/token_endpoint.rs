//! The token-endpoint classifier (CONTRACT §2, category `token_endpoint`; taxonomy §1e): a pure
//! function of the token request, the checked assertion, the answer and the endpoint's config.
//!
//! The server's `error` code says which family went wrong (RFC 6749 §5.2); authlens's own
//! reading of the request and the assertion says why, and the hint names the values. When its
//! checks find nothing, the honest bucket carries the server's own `error_description`.

mod assertion;
mod request;

use super::{Classification, Failure};
use crate::cause::{Cause, Confidence, Detail, Finding};
use crate::evidence::challenge::UpstreamWords;
use crate::evidence::token::TokenReport;
use crate::evidence::token_request::{ClientAuth, JWT_BEARER, TOKEN_EXCHANGE, TokenForm};
use crate::facts::{Outcome, ResponseFacts};
use crate::policy::{EndpointKind, TokenEndpointPolicy};
use std::time::{Duration, SystemTime};

/// Everything the token-endpoint classifier may look at. No I/O: a snapshot.
pub struct TokenExchange<'a> {
    pub endpoint: &'a TokenEndpointPolicy,
    pub kind: EndpointKind,
    pub path: &'a str,
    pub form: &'a TokenForm,
    pub client: &'a ClientAuth,
    /// The ID-JAG (JWT-bearer grant) or the subject token (token exchange), checked by
    /// `Inspector::verify_assertion`.
    pub assertion: Option<&'a TokenReport>,
    /// An earlier exchange had this assertion's `jti` accepted.
    pub replayed: bool,
    pub outcome: &'a Outcome,
    pub leeway: Duration,
    pub now: SystemTime,
}

/// Which seed step the request is, by its `grant_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Step 2, RFC 8693 at the IdP.
    Exchange,
    /// Step 3, RFC 7523 with an ID-JAG at the resource's authorization server.
    JwtBearer,
    Other,
}

impl TokenExchange<'_> {
    pub fn grant(&self) -> Grant {
        match self.form.grant_type.as_deref() {
            Some(TOKEN_EXCHANGE) => Grant::Exchange,
            Some(JWT_BEARER) => Grant::JwtBearer,
            _ => Grant::Other,
        }
    }

    /// The client the request authenticated as.
    fn client_id(&self) -> Option<&str> {
        self.client.client_id(self.form)
    }
}

pub fn classify(x: &TokenExchange<'_>) -> Classification {
    let resp = match x.outcome {
        Outcome::Transport(err) => {
            return Classification {
                failure: Some(super::upstream::transport_failure(*err)),
                ..Default::default()
            };
        }
        Outcome::Response(resp) => resp,
    };
    let words = crate::evidence::challenge::words(&resp.answer());
    let failure = match x.kind {
        EndpointKind::Discovery => request::discovery(x, resp),
        EndpointKind::Token => token(x, resp, &words),
    };
    // The server accepted an ID-JAG authlens would reject: its config and authlens's differ.
    let drift = failure.is_none()
        && resp.status.is_success()
        && x.kind == EndpointKind::Token
        && x.grant() == Grant::JwtBearer
        && assertion::idjag(x, None).is_some();
    Classification {
        failure,
        findings: if drift {
            vec![Finding::ConfigDrift]
        } else {
            Vec::new()
        },
        upstream_words: words,
    }
}

fn token(x: &TokenExchange<'_>, resp: &ResponseFacts, words: &UpstreamWords) -> Option<Failure> {
    let status = resp.status;
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    if matches!(status.as_u16(), 404 | 405) {
        return Some(Failure::new(
            Cause::TeTokenEndpointNotFound,
            Detail::None,
            Confidence::Upstream,
            format!(
                "the token endpoint answered {} at {}: the URL is wrong; publish `token_endpoint` in \
                 the server's metadata and point the client at it",
                status.as_u16(),
                x.path
            ),
        ));
    }
    let error = words.error.as_deref();
    if status.is_server_error() || matches!(error, Some("server_error" | "temporarily_unavailable"))
    {
        return Some(Failure::new(
            Cause::TeServerError,
            Detail::None,
            Confidence::Upstream,
            format!(
                "the token endpoint failed internally ({}{}); retry once and read the \
                 authorization server's logs",
                status.as_u16(),
                said(words)
            ),
        ));
    }
    let grant_checks = || match x.grant() {
        Grant::JwtBearer => assertion::idjag(x, resp.date),
        Grant::Exchange => assertion::subject(x),
        Grant::Other => None,
    };
    let found = match error {
        Some("unsupported_grant_type" | "unauthorized_client") => Some(
            request::grant_type(x, error)
                .or_else(|| request::missing(x))
                .unwrap_or_else(|| request::grant_not_enabled(x)),
        ),
        Some("invalid_client") => Some(request::client(x)),
        Some("invalid_target") => Some(request::target(x)),
        Some("invalid_scope") => Some(request::scope(x)),
        Some("insufficient_user_authentication") => Some(Failure::new(
            Cause::TeStepUpRequired,
            Detail::None,
            Confidence::Upstream,
            format!(
                "the IdP requires a stronger or fresher user login{}; send the user back to the \
                 IdP to sign in again",
                said(words)
            ),
        )),
        _ => request::missing(x)
            .or_else(|| request::grant_type(x, error))
            .or_else(grant_checks),
    };
    Some(found.unwrap_or_else(|| unclassified(x, words)))
}

fn unclassified(x: &TokenExchange<'_>, words: &UpstreamWords) -> Failure {
    let what = match x.assertion.map(|a| &a.verdict) {
        Some(crate::evidence::token::Verdict::Invalid(c)) if c.cause == Cause::TokenMalformed => {
            format!(
                "the {} is not a JWT authlens can decode ({})",
                assertion::noun(x),
                c.detail.label()
            )
        }
        _ => "authlens's checks of the request and its assertion found nothing wrong".into(),
    };
    Failure::new(
        Cause::TeInvalidGrantUnclassified,
        Detail::None,
        Confidence::Upstream,
        format!(
            "the server rejected the request{}; {what}: read the authorization server's logs",
            said(words)
        ),
    )
}

/// `: invalid_grant "description"`, as far as the server said anything.
fn said(words: &UpstreamWords) -> String {
    match (&words.error, &words.error_description) {
        (Some(e), Some(d)) => format!(": {e} \"{d}\""),
        (Some(e), None) => format!(": {e}"),
        (None, Some(d)) => format!(": \"{d}\""),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests;
