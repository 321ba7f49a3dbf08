//! What `explain` found, as data: the text and the `--json` output are both made from it. It
//! holds decoded facts and verdicts only, never the token or its signature.

use super::Context;
use super::human::time_phrase;
use crate::classify::{self, Exchange};
use crate::evidence::token::checks::{ORDER, Step, TokenKind};
use crate::evidence::token::{ScopeClaim, TokenReport, Verdict};
use crate::facts::{History, Outcome, RequestFacts, ResponseFacts};
use crate::policy::Policy;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use std::time::SystemTime;

#[derive(Debug, Serialize)]
pub struct Report {
    /// `access_token`, `id_jag`, `id_token` or `jwt`; absent when the token is not a JWT.
    pub kind: Option<&'static str>,
    pub kind_description: Option<&'static str>,
    pub fingerprint: String,
    pub header: Header,
    pub claims: Claims,
    /// The configured issuer the token names, as `name (issuer)`.
    pub issuer_config: Option<String>,
    /// Where the keys for the signature check came from.
    pub keys: Option<String>,
    pub checks: Vec<StepResult>,
    /// `valid`, `invalid` or `unverified` (some checks could not run).
    pub verdict: &'static str,
    pub cause: Option<&'static str>,
    pub detail: Option<&'static str>,
    pub hint: Option<String>,
    /// For an ID-JAG or ID token: the check against the `token_endpoints` that would receive it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<super::token_endpoint::EndpointCheck>,
}

impl Report {
    /// Every check ran and passed: against the token endpoint that would receive the token
    /// when there is one, else against the API.
    pub fn valid(&self) -> bool {
        match &self.token_endpoint {
            Some(te) => te.verdict == "accepted",
            None => self.verdict == "valid",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Header {
    pub alg: Option<String>,
    pub kid: Option<String>,
    pub typ: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Claims {
    pub iss: Option<String>,
    pub aud: Vec<String>,
    pub exp: Option<Time>,
    pub nbf: Option<Time>,
    pub iat: Option<Time>,
    pub client_id: Option<String>,
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Serialize)]
pub struct Time {
    pub unix: i64,
    /// e.g. "expired 3 min ago", "valid for 57 min".
    pub human: String,
}

#[derive(Debug, Serialize)]
pub struct Scope {
    pub claim: String,
    /// A string as the token has it, or an array.
    pub value: serde_json::Value,
}

#[derive(Debug, Serialize)]
pub struct StepResult {
    pub step: &'static str,
    pub check: &'static str,
    /// `pass`, `fail`, `not_reached` or `skipped`.
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

pub(super) fn build(cx: &Context<'_>, report: &TokenReport, token: &str) -> Report {
    let h = &report.header;
    let c = &report.claims;
    let decoded = !matches!(&report.verdict, Verdict::Invalid(chk) if chk.step() == Step::Shape);
    let kind = decoded.then(|| match &report.verdict {
        Verdict::Invalid(chk) if chk.cause == crate::cause::Cause::IdTokenSent => {
            TokenKind::IdToken
        }
        _ => TokenKind::of(h, c),
    });
    let time = |t: Option<i64>, claim: &str| {
        t.map(|t| Time {
            unix: t,
            human: time_phrase(claim, t, cx.now, cx.policy.leeway.as_secs() as i64),
        })
    };
    let (verdict, cause, detail, hint) = verdict(cx.policy, report, token);
    Report {
        kind: kind.map(TokenKind::label),
        kind_description: kind.map(TokenKind::describe),
        fingerprint: report.fingerprint.to_string(),
        header: Header {
            alg: h.alg.clone(),
            kid: h.kid.clone(),
            typ: h.typ.clone(),
        },
        claims: Claims {
            iss: c.iss.clone(),
            aud: c.aud.clone(),
            exp: time(c.exp, "exp"),
            nbf: time(c.nbf, "nbf"),
            iat: time(c.iat, "iat"),
            client_id: c.client_id.clone(),
            scopes: c
                .scopes
                .iter()
                .map(|(name, s)| Scope {
                    claim: name.clone(),
                    value: match s {
                        ScopeClaim::Text(t) => t.clone().into(),
                        ScopeClaim::List(l) => l.clone().into(),
                    },
                })
                .collect(),
        },
        issuer_config: match report.issuer.and_then(|i| cx.policy.issuers.get(i)) {
            Some(i) if cx.configured => Some(format!("{} ({})", i.name, i.issuer)),
            _ => None,
        },
        keys: cx.keys.clone(),
        checks: steps(cx, report),
        verdict,
        cause,
        detail,
        hint,
        token_endpoint: None,
    }
}

/// One row per step of `ORDER`.
fn steps(cx: &Context<'_>, report: &TokenReport) -> Vec<StepResult> {
    let failed = match &report.verdict {
        Verdict::Invalid(check) => Some(check),
        _ => None,
    };
    let no_issuer = report.issuer.is_none();
    ORDER
        .into_iter()
        .map(|step| {
            let (result, reason) = match failed.map(|f| f.step()) {
                Some(f) if f == step => ("fail", None),
                Some(f) if step > f => ("not_reached", None),
                _ if no_issuer && step.needs_issuer() => (
                    "skipped",
                    Some(if cx.configured {
                        "no configured issuer matched"
                    } else {
                        "no --config or --jwks to check against"
                    }),
                ),
                _ if step.needs_keys() && cx.keys.is_none() => {
                    ("skipped", Some("no key set could be fetched"))
                }
                _ if !cx.configured && compares_with_config(step) => {
                    ("skipped", Some("no --config to compare with"))
                }
                _ => ("pass", None),
            };
            let failure = failed.filter(|_| result == "fail");
            StepResult {
                step: step.label(),
                check: step.describe(),
                result,
                reason,
                expected: failure.and_then(|f| f.expected.clone()),
                actual: failure.and_then(|f| f.actual.clone()),
            }
        })
        .collect()
}

/// Steps that only pass without a config because nothing is expected.
fn compares_with_config(step: Step) -> bool {
    matches!(
        step,
        Step::Issuer | Step::Typ | Step::Audience | Step::RequiredClaims
    )
}

type Verdict4 = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<String>,
);

/// The verdict, and the cause and hint authlens would log if the API answered this token
/// with a 401.
fn verdict(policy: &Policy, report: &TokenReport, token: &str) -> Verdict4 {
    match &report.verdict {
        Verdict::Valid => ("valid", None, None, None),
        Verdict::Unverified => ("unverified", None, None, None),
        Verdict::Invalid(_) => match classify_as_401(policy, report, token) {
            Some((cause, detail, hint)) => (
                "invalid",
                Some(cause),
                (!detail.is_empty()).then_some(detail),
                Some(hint),
            ),
            None => ("invalid", None, None, None),
        },
    }
}

fn classify_as_401(
    policy: &Policy,
    report: &TokenReport,
    token: &str,
) -> Option<(&'static str, &'static str, String)> {
    let header = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert(http::header::AUTHORIZATION, header);
    let uri: http::Uri = "/".parse().ok()?;
    let request = RequestFacts::offline(uri, &headers, policy.routes.unmatched());
    let mut challenge = HeaderMap::new();
    challenge.insert(
        http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    let outcome = Outcome::Response(ResponseFacts::from_head(
        StatusCode::UNAUTHORIZED,
        &challenge,
        false,
    ));
    let c = classify::classify(&Exchange {
        request: &request,
        token: Some(report),
        outcome: &outcome,
        policy,
        history: History::default(),
        now: SystemTime::now(),
    });
    c.failure
        .map(|f| (f.cause.label(), f.detail.label(), f.hint))
}
