//! `authlens explain`: decode one token, run every check against the config, and say which
//! passed, which failed, the cause authlens would give and its hint.

use crate::cause::{Cause, Detail};
use crate::classify::{self, Exchange};
use crate::evidence::token::{ScopeClaim, TokenReport, Verdict};
use crate::facts::{History, Outcome, RequestFacts, ResponseFacts};
use crate::inspect::{InspectorOptions, Standalone};
use crate::policy::Policy;
use crate::telemetry::metrics::Metrics;
use http::{HeaderMap, HeaderValue, StatusCode};
use std::fmt::Write;
use std::sync::Arc;
use std::time::SystemTime;

/// The checks in the order authlens runs them, with the causes each can give.
const STEPS: &[(&str, &[Cause])] = &[
    (
        "shape: three base64url JSON parts",
        &[Cause::TokenMalformed],
    ),
    (
        "kind: an access token, not an ID token or ID-JAG",
        &[Cause::IdJagSent, Cause::IdTokenSent],
    ),
    ("algorithm allowed", &[Cause::AlgNotAllowed]),
    ("issuer trusted", &[Cause::IssuerMismatch]),
    ("typ accepted", &[Cause::TypRejected]),
    (
        "signing key published (kid)",
        &[Cause::KidUnknown, Cause::JwksFetchFailed],
    ),
    ("signature", &[Cause::SignatureInvalid]),
    ("audience", &[Cause::AudienceMismatch]),
    (
        "time window (exp, nbf, iat)",
        &[Cause::TokenExpired, Cause::TokenNotYetValid],
    ),
    ("required claims", &[Cause::RequiredClaimMissing]),
];

pub struct Explanation {
    pub text: String,
    pub valid: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("metrics registry: {0}")]
pub struct ExplainError(#[from] prometheus::Error);

pub async fn explain(policy: Policy, token: &str) -> Result<Explanation, ExplainError> {
    let policy = Arc::new(policy);
    let metrics = Arc::new(Metrics::new()?);
    let inspector = Standalone::start(policy.clone(), metrics, InspectorOptions::default());
    let report = inspector.verify(token.trim()).await;
    let keys_checked = report.issuer.is_some_and(|i| inspector.trust.has_keys(i));
    Ok(render(&policy, &report, keys_checked, token.trim()))
}

fn step_of(cause: Cause, detail: Detail) -> usize {
    if cause == Cause::RequiredClaimMissing && detail == Detail::ClaimIss {
        return 3; // a missing `iss` is found while choosing the issuer
    }
    STEPS
        .iter()
        .position(|(_, causes)| causes.contains(&cause))
        .unwrap_or(STEPS.len() - 1)
}

fn render(policy: &Policy, report: &TokenReport, keys_checked: bool, token: &str) -> Explanation {
    let mut out = String::new();
    let h = &report.header;
    let c = &report.claims;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let when = |t: Option<i64>| t.map_or("-".into(), |t| format!("{t} ({:+}s from now)", t - now));
    let _ = writeln!(out, "token fingerprint  {}", report.fingerprint);
    let _ = writeln!(
        out,
        "header             alg={} kid={} typ={}",
        opt(&h.alg),
        opt(&h.kid),
        opt(&h.typ)
    );
    let _ = writeln!(out, "iss                {}", opt(&c.iss));
    let _ = writeln!(
        out,
        "aud                {}",
        if c.aud.is_empty() {
            "-".into()
        } else {
            c.aud.join(" ")
        }
    );
    let _ = writeln!(out, "exp                {}", when(c.exp));
    let _ = writeln!(out, "nbf / iat          {} / {}", when(c.nbf), when(c.iat));
    for (name, scope) in &c.scopes {
        let text = match scope {
            ScopeClaim::Text(t) => format!("{t:?} (string)"),
            ScopeClaim::List(l) => format!("{l:?} (array)"),
        };
        let _ = writeln!(out, "{name:<18} {text}");
    }
    let _ = writeln!(out, "client_id          {}", opt(&c.client_id));
    let issuer = report.issuer.and_then(|i| policy.issuers.get(i));
    let _ = writeln!(
        out,
        "issuer config      {}\n",
        issuer.map_or("(none matched)".into(), |i| format!(
            "{} ({})",
            i.name, i.issuer
        ))
    );

    let failed = match &report.verdict {
        Verdict::Invalid(check) => Some(step_of(check.cause, check.detail)),
        _ => None,
    };
    const KEY_STEPS: std::ops::RangeInclusive<usize> = 5..=6;
    for (i, (name, _)) in STEPS.iter().enumerate() {
        let (mark, why) = match failed {
            Some(f) if i == f => ("FAIL", ""),
            Some(f) if i > f => ("not reached", ""),
            None if report.issuer.is_none() && i > 1 => {
                ("skipped", " (no configured issuer matched)")
            }
            _ if KEY_STEPS.contains(&i) && !keys_checked => {
                ("skipped", " (no key set could be fetched)")
            }
            _ => ("pass", ""),
        };
        let _ = writeln!(out, "  {mark:<12} {name}{why}");
    }

    // The cause and hint authlens would log if the API answered this token with a 401.
    let verdict = classify_as_401(policy, report, token);
    let _ = writeln!(out);
    match (&report.verdict, verdict) {
        (Verdict::Valid, _) => {
            let _ = writeln!(
                out,
                "verdict            valid: authlens would not flag this token"
            );
            let _ = writeln!(
                out,
                "if the API rejects it, authlens names upstream_rejected_valid_token and logs the API's own words"
            );
        }
        (_, Some((cause, detail, hint))) => {
            let _ = writeln!(
                out,
                "cause              {cause}{}",
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(" / {detail}")
                }
            );
            let _ = writeln!(out, "hint               {hint}");
        }
        (_, None) => {
            let _ = writeln!(out, "verdict            not decided");
        }
    }
    Explanation {
        text: out,
        valid: report.verdict == Verdict::Valid,
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
