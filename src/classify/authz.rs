//! 403-family causes (taxonomy §1b, §2.10 rules 4–5): an authn problem reported as 403 keeps
//! its authn cause; then the scope near-misses; then other policy denials.

mod scopes;

use super::authn::quote;
use super::{Exchange, Expected, Failure};
use crate::cause::{Category, Cause, Confidence, Detail};
use crate::evidence::challenge::{UpstreamWords, cause_from_words, clean};
use crate::evidence::token::{Check, Verdict};
use crate::facts::ResponseFacts;
use crate::policy::ScopeMatch;
use scopes::{Diagnosis, Need};

/// Longest client-supplied value (a scope, a claim name) quoted in a hint.
const SHOWN: usize = 128;

pub(super) fn classify(x: &Exchange<'_>, resp: &ResponseFacts, words: &UpstreamWords) -> Failure {
    let _ = resp;
    let named = cause_from_words(words);
    if let Some(failure) = authn_reported_as_403(x, named, words) {
        return failure;
    }
    let upstream_scope =
        words.says_insufficient_scope() || named.is_some_and(|(c, _)| c == Cause::ScopeMissing);
    let route = x.policy.routes.get(x.request.route);
    let route_name = x.policy.routes.label(x.request.route);
    let claim = route.map_or("scope", |r| r.scopes.claim.as_str());
    let claims = x.token.map_or(&[][..], |t| &t.claims.scopes[..]);
    let asked: Vec<&str> = words
        .scope
        .as_deref()
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    let configured = route.filter(|r| !r.scopes.required.is_empty());
    let verdict = |d: Diagnosis, confidence: Confidence, need: &Need<'_>| {
        scope_failure(d, confidence, need, words, route_name)
    };

    if let Some(route) = configured {
        let need = Need {
            required: route.scopes.required.iter().map(String::as_str).collect(),
            matching: route.scopes.matching,
            claim,
        };
        let seen = if upstream_scope {
            Confidence::Both
        } else {
            Confidence::Proxy
        };
        match scopes::diagnose(&need, claims) {
            Diagnosis::Satisfied if upstream_scope => {}
            Diagnosis::Satisfied => return forbidden_other(Confidence::Proxy, &need, words),
            d => return verdict(d, seen, &need),
        }
    }
    // No configured requirement (or one the token meets while the API still wants more):
    // only the API's words say what is needed.
    let need = Need {
        required: asked,
        matching: ScopeMatch::All,
        claim,
    };
    if !need.required.is_empty() {
        return match scopes::diagnose(&need, claims) {
            Diagnosis::Satisfied | Diagnosis::Missing { .. } => {
                not_configured(words, route_name, configured.is_some())
            }
            d => verdict(d, Confidence::Upstream, &need),
        };
    }
    if upstream_scope {
        return scopes::shape_only(claim, claims)
            .map(|d| verdict(d, Confidence::Heuristic, &need))
            .unwrap_or_else(|| not_configured(words, route_name, configured.is_some()));
    }
    forbidden_other(Confidence::Upstream, &need, words)
}

/// Envoy's audience 403, go-jwt-middleware's issuer/audience `insufficient_scope`, older Kong:
/// the status says authz, the evidence says authn. authlens's own check wins; else the words.
fn authn_reported_as_403(
    x: &Exchange<'_>,
    named: Option<(Cause, Detail)>,
    words: &UpstreamWords,
) -> Option<Failure> {
    let named = named.filter(|(c, _)| c.category() == Category::Authn);
    if let Some(Verdict::Invalid(check)) = x.token.map(|t| &t.verdict)
        && check.cause.category() == Category::Authn
    {
        let agree = named.is_some_and(|(c, _)| c == check.cause);
        let confidence = if agree {
            Confidence::Both
        } else {
            Confidence::Proxy
        };
        return Some(
            Failure::new(check.cause, check.detail, confidence, authn_hint(check))
                .expecting(expected_of(check)),
        );
    }
    let (cause, detail) = named?;
    Some(Failure::new(
        cause,
        detail,
        Confidence::Upstream,
        format!(
            "the API answered 403, but its own words name `{}`{}: this is an authentication problem \
             reported with the wrong status; fix that, not the scopes",
            cause.label(),
            quote(words)
        ),
    ))
}

fn authn_hint(check: &Check) -> String {
    let values = match (&check.expected, &check.actual) {
        (Some(e), Some(a)) => format!(
            " (expected `{}`, token has `{}`)",
            clean(e, SHOWN),
            clean(a, SHOWN)
        ),
        (Some(e), None) => format!(" (expected `{}`)", clean(e, SHOWN)),
        _ => String::new(),
    };
    format!(
        "the API answered 403, but the token fails authlens's `{}` check{values}: this is an \
         authentication problem reported with the wrong status; fix that, not the scopes",
        check.cause.label()
    )
}

fn expected_of(check: &Check) -> Expected {
    let value = check.expected.clone();
    match check.cause {
        Cause::IssuerMismatch => Expected {
            iss: value,
            ..Default::default()
        },
        Cause::AudienceMismatch => Expected {
            aud: value,
            ..Default::default()
        },
        Cause::AlgNotAllowed => Expected {
            alg: value,
            ..Default::default()
        },
        _ => Expected::default(),
    }
}

fn expected_scope(need: &Need<'_>) -> Expected {
    Expected {
        scope: (!need.required.is_empty()).then(|| clean(&need.required.join(" "), SHOWN)),
        ..Default::default()
    }
}

/// " (the API asks for `files.read`)" when the challenge named a scope.
fn asked_for(words: &UpstreamWords) -> String {
    words.scope.as_deref().map_or_else(String::new, |s| {
        format!(" (the API asks for `{}`)", clean(s, SHOWN))
    })
}

fn scope_failure(
    d: Diagnosis,
    confidence: Confidence,
    need: &Need<'_>,
    words: &UpstreamWords,
    route: &str,
) -> Failure {
    let asked = asked_for(words);
    let (cause, hint) = match d {
        Diagnosis::Delimiter { claim, problem } => (
            Cause::ScopeDelimiterWrong,
            format!(
                "the token's `{}` claim is {problem}{asked}: scopes are one space-separated string \
                 (\"files.read files.write\"); fix whichever side joins or splits them with commas",
                clean(&claim, SHOWN)
            ),
        ),
        Diagnosis::RequiredJoined { scope } => (
            Cause::ScopeDelimiterWrong,
            format!(
                "the API requires `{}` as one comma-joined scope while the token has its parts: scopes are \
                 separate, space-separated strings; fix the API's required-scope setting",
                clean(&scope, SHOWN)
            ),
        ),
        Diagnosis::Name { wanted, found } => (
            Cause::ScopeNameMismatch,
            format!(
                "route `{route}` needs scope `{}` but the token has `{}`{asked}: scope names are exact, \
                 case-sensitive strings; spell them the same on the issuer and the API",
                clean(&wanted, SHOWN),
                clean(&found, SHOWN)
            ),
        ),
        Diagnosis::ClaimName { found_in } => (
            Cause::ScopeClaimNameMismatch,
            format!(
                "the token carries its scopes in `{}` but the API reads `{}`{asked}: configure the API's \
                 scope claim name, or have the issuer emit `{}`",
                clean(&found_in, SHOWN),
                clean(need.claim, SHOWN),
                clean(need.claim, SHOWN)
            ),
        ),
        Diagnosis::Missing { missing } => (
            Cause::ScopeMissing,
            format!(
                "the token lacks scope `{}` that route `{route}` needs{asked}: request it \
                 when minting the token, or grant it to the client",
                clean(&missing.join(" "), SHOWN)
            ),
        ),
        Diagnosis::Satisfied => return forbidden_other(confidence, need, words),
    };
    Failure::new(cause, Detail::None, confidence, hint).expecting(expected_scope(need))
}

/// The API says `insufficient_scope` and authlens's config cannot check it: the route lists
/// no required scopes, or fewer than the API wants (`configured`).
fn not_configured(words: &UpstreamWords, route: &str, configured: bool) -> Failure {
    let config = if configured {
        format!("route `{route}`'s `required_scopes` in authlens's config miss what the API wants")
    } else if route == crate::policy::UNMATCHED {
        "no route in authlens's config matches this path, so its `required_scopes` are unknown"
            .to_string()
    } else {
        format!("route `{route}` has no `required_scopes` in authlens's config")
    };
    let hint = match words.scope.as_deref() {
        Some(asked) => format!(
            "the API says the token lacks scope `{}`: request it when minting the token ({config}; \
             list it there so authlens can check this itself)",
            clean(asked, SHOWN)
        ),
        None => format!(
            "the API says the token lacks a scope but does not name it, and {config}: list them \
             there so the missing scope can be named"
        ),
    };
    let expected = Expected {
        scope: words.scope.as_deref().map(|s| clean(s, SHOWN)),
        ..Default::default()
    };
    Failure::new(
        Cause::ScopeMissing,
        Detail::RouteNotConfigured,
        Confidence::Upstream,
        hint,
    )
    .expecting(expected)
}

fn forbidden_other(confidence: Confidence, need: &Need<'_>, words: &UpstreamWords) -> Failure {
    let why = if need.required.is_empty() {
        "the API denied access without naming a scope problem"
    } else {
        "the token has every scope this route needs, yet the API denied access"
    };
    Failure::new(
        Cause::ForbiddenOther,
        Detail::None,
        confidence,
        format!(
            "{why}{}: the reason is another rule (role, tenant or ownership); check the API's \
             authorization policy for this user",
            quote(words)
        ),
    )
    .expecting(expected_scope(need))
}

#[cfg(test)]
mod tests;
