//! 401-family causes (taxonomy §1a, §2.10): what the client presented, then authlens's own
//! first failing check, and only when every check passes, the upstream's evidence: its `Date`
//! header and expiry words (`clock_skew`), key-not-found words (`upstream_jwks_*`), a missing
//! challenge (`upstream_auth_layer_absent`), else `upstream_rejected_valid_token`.

mod hints;

pub(super) use hints::quote;

use super::{Exchange, Expected, Failure};
use crate::base::clock::unix_secs;
use crate::cause::{Cause, Confidence, Detail};
use crate::evidence::challenge::UpstreamWords;
use crate::evidence::token::{Check, Presented, TokenReport, Verdict};
use crate::facts::ResponseFacts;

/// A key-not-found answer for a `kid` authlens first saw less than this long ago is put down
/// to the API's stale key cache (a rotation), not to a wrong JWKS URI.
pub(crate) const STALE_WINDOW_SECS: u64 = 24 * 3600;
/// `Date` has one-second resolution and both clocks tick: ignore smaller offsets.
const DATE_NOISE_SECS: i64 = 2;

pub(super) fn classify(x: &Exchange<'_>, resp: &ResponseFacts, words: &UpstreamWords) -> Failure {
    match &x.request.credentials {
        Presented::None => Failure::new(
            Cause::TokenMissing,
            Detail::None,
            Confidence::Proxy,
            "the request carried no access token: the client must send `Authorization: Bearer <token>`",
        ),
        Presented::NotBearer(detail) => Failure::new(
            Cause::AuthSchemeNotBearer,
            *detail,
            Confidence::Proxy,
            hints::scheme(*detail),
        ),
        Presented::Multiple(_) => Failure::new(
            Cause::TokenMultipleMethods,
            Detail::None,
            Confidence::Proxy,
            "the request carries the token more than once (repeated Authorization header, or header plus \
             access_token parameter): send it only in the Authorization header",
        ),
        Presented::Bearer(_) => decide(
            x,
            resp,
            Said {
                named: crate::evidence::challenge::cause_from_words(words),
                words,
            },
        ),
    }
}

/// What the upstream said: the cause its words name (if any), and the words themselves, which
/// hints quote when the verdict rests on them.
#[derive(Clone, Copy)]
pub(super) struct Said<'a> {
    pub named: Option<(Cause, Detail)>,
    pub words: &'a UpstreamWords,
}

/// The verdict for a request that carried one bearer token, given what the upstream said.
pub(super) fn decide(x: &Exchange<'_>, resp: &ResponseFacts, said: Said<'_>) -> Failure {
    match x.token.map(|t| (t, &t.verdict)) {
        Some((t, Verdict::Invalid(check))) => own(x, t, check, said.named),
        Some((t, Verdict::Valid)) => valid(x, resp, t, said),
        Some((t, Verdict::Unverified)) => unverified(resp, Some(t), said, x),
        None => unverified(resp, None, said, x),
    }
}

/// authlens's own first failing check is the cause.
fn own(
    x: &Exchange<'_>,
    t: &TokenReport,
    check: &Check,
    upstream: Option<(Cause, Detail)>,
) -> Failure {
    let agrees = upstream.is_some_and(|(c, _)| c == check.cause);
    let confidence = if agrees {
        Confidence::Both
    } else {
        Confidence::Proxy
    };
    let mut expected = expected_of(x, t);
    match check.cause {
        Cause::IssuerMismatch => expected.iss = check.expected.clone(),
        Cause::AudienceMismatch => expected.aud = check.expected.clone(),
        Cause::AlgNotAllowed => expected.alg = check.expected.clone(),
        _ => {}
    }
    Failure::new(check.cause, check.detail, confidence, hints::own(check, t)).expecting(expected)
}

/// The configured issuer and audience the token was compared with.
fn expected_of(x: &Exchange<'_>, t: &TokenReport) -> Expected {
    let is = t.issuer.and_then(|i| x.policy.issuers.get(i));
    Expected {
        iss: is.map(|i| i.issuer.clone()),
        aud: is
            .filter(|i| !i.audiences.is_empty())
            .map(|i| i.audiences.join(" ")),
        ..Expected::default()
    }
}

/// Every check passed: the upstream's evidence decides.
fn valid(x: &Exchange<'_>, resp: &ResponseFacts, t: &TokenReport, s: Said<'_>) -> Failure {
    let upstream = s.named;
    let said = upstream.map(|(c, _)| c);
    let with = |cause, detail, confidence, hint: String| {
        Failure::new(cause, detail, confidence, hint).expecting(expected_of(x, t))
    };
    if let Some(f) = clock_skew(x, resp, t, said) {
        return f.expecting(expected_of(x, t));
    }
    let h = &x.history;
    let kid = t.header.kid.as_deref().unwrap_or("(none)");
    match said {
        Some(Cause::KidUnknown)
            if h.kid_first_seen_secs_ago
                .is_some_and(|s| s < STALE_WINDOW_SECS) =>
        {
            let ago = h.kid_first_seen_secs_ago.unwrap_or_default();
            return with(
                Cause::UpstreamJwksStale,
                Detail::None,
                Confidence::Heuristic,
                format!(
                    "the API cannot find key {kid}{}, which the issuer published {ago}s ago: it still uses a key set \
                     cached before the rotation; restart it or make it refetch keys on an unknown kid",
                    hints::quote(s.words)
                ),
            );
        }
        Some(Cause::KidUnknown | Cause::SignatureInvalid) if !h.upstream_accepted_a_token => {
            let jwks = t.issuer.and_then(|i| x.policy.issuers.get(i)).map_or(
                "the issuer's jwks_uri".to_string(),
                |i| match &i.jwks {
                    crate::policy::JwksSource::Uri(u) => u.to_string(),
                    crate::policy::JwksSource::Discover => {
                        format!("the jwks_uri in {}'s metadata", i.issuer)
                    }
                },
            );
            return with(
                Cause::UpstreamJwksMisconfigured,
                Detail::None,
                Confidence::Heuristic,
                format!(
                    "the API rejects tokens whose signature authlens verifies with key {kid}{}, and has accepted none \
                     since authlens started: point the API's JWKS at {jwks}",
                    hints::quote(s.words)
                ),
            );
        }
        _ => {}
    }
    match upstream {
        Some((Cause::JwksFetchFailed, _)) => with(
            Cause::JwksFetchFailed,
            Detail::None,
            Confidence::Upstream,
            format!(
                "the API says it cannot fetch its key set{}, while authlens verifies the token with the issuer's \
                 keys: check the API host's network path (DNS, egress, proxy, CA) to its jwks_uri",
                hints::quote(s.words)
            ),
        ),
        Some((Cause::TokenMissing, _)) => with(
            Cause::UpstreamRejectedValidToken,
            Detail::None,
            Confidence::Upstream,
            format!(
                "the API says no token arrived{} although the client sent a valid one: something between authlens \
                 and the API drops the Authorization header",
                hints::quote(s.words)
            ),
        ),
        Some((cause, detail))
            if cause.category() == crate::cause::Category::Authn
                && !matches!(cause, Cause::KidUnknown | Cause::SignatureInvalid) =>
        {
            with(
                cause,
                if detail == Detail::None || cause.details().contains(&detail) { detail } else { Detail::None },
                Confidence::Upstream,
                hints::api_named(cause, s.words, t),
            )
        }
        _ if resp.www_authenticate.is_empty() && upstream.is_none() => with(
            Cause::UpstreamAuthLayerAbsent,
            Detail::None,
            Confidence::Heuristic,
            "the API answered 401 without a WWW-Authenticate challenge: the JWT middleware is probably not mounted \
             on this route and the handler rejects on its own; mount it before the handler"
                .into(),
        ),
        _ => with(
            Cause::UpstreamRejectedValidToken,
            Detail::None,
            Confidence::Upstream,
            hints::rejected_valid(t, s.words),
        ),
    }
}

/// `clock_skew`: the token is inside its window by authlens's clock, yet the API rejects it
/// by time (its words), or its `Date` shows a clock by which the token is outside the window.
fn clock_skew(
    x: &Exchange<'_>,
    resp: &ResponseFacts,
    t: &TokenReport,
    said: Option<Cause>,
) -> Option<Failure> {
    let now = unix_secs(x.now);
    let c = &t.claims;
    let time_words = matches!(
        said,
        Some(Cause::TokenExpired | Cause::TokenNotYetValid | Cause::ClockSkew)
    );
    let offset = resp
        .date
        .map(|d| unix_secs(d) - now)
        .filter(|o| o.abs() > DATE_NOISE_SECS);
    if let Some(offset) = offset {
        let up = now + offset;
        let outside =
            c.exp.is_some_and(|e| e <= up) || [c.nbf, c.iat].into_iter().flatten().any(|s| s > up);
        if outside || time_words {
            let dir = if offset > 0 { "ahead of" } else { "behind" };
            return Some(Failure::new(
                Cause::ClockSkew,
                Detail::UpstreamClock,
                if time_words {
                    Confidence::Both
                } else {
                    Confidence::Heuristic
                },
                format!(
                    "the API's clock (its Date header) is {}s {dir} authlens's, which puts the token (exp {}) outside \
                     its validity window there: sync NTP on the API host",
                    offset.abs(),
                    c.exp.map_or("none".into(), |e| e.to_string())
                ),
            ));
        }
    }
    if !time_words {
        return None;
    }
    let early = [c.nbf, c.iat]
        .into_iter()
        .flatten()
        .filter(|s| *s > now)
        .max();
    let (detail, hint) = match (said, early, c.exp) {
        (Some(Cause::TokenNotYetValid), Some(s), _) => (
            Detail::IssuerClock,
            format!(
                "the token's nbf/iat is {}s in the future by authlens's clock (inside its leeway) and the API rejects \
                 it as not yet valid: the issuer's clock is ahead; sync it, or give the API's validator a leeway",
                s - now
            ),
        ),
        (_, _, Some(exp)) if exp <= now => (
            Detail::None,
            format!(
                "the token expired {}s ago, inside authlens's leeway, and the API allows less: give the API's \
                 validator a small clock leeway or refresh tokens earlier",
                now - exp
            ),
        ),
        _ => (
            Detail::UpstreamClock,
            format!(
                "the API says the token is outside its validity window but by authlens's clock it is valid (exp in \
                 {}s): the API host's clock is off; sync NTP there",
                c.exp.map_or("?".into(), |e| (e - now).to_string())
            ),
        ),
    };
    Some(Failure::new(
        Cause::ClockSkew,
        detail,
        Confidence::Upstream,
        hint,
    ))
}

/// authlens could not finish (no key set, or no report yet): the upstream's words first.
fn unverified(
    resp: &ResponseFacts,
    t: Option<&TokenReport>,
    said: Said<'_>,
    x: &Exchange<'_>,
) -> Failure {
    let expected = t.map(|t| expected_of(x, t)).unwrap_or_default();
    if let Some((cause, detail)) = said.named {
        return Failure::new(
            cause,
            detail,
            Confidence::Upstream,
            format!(
                "the API reports {}{}; authlens could not check the token itself{}",
                cause.label(),
                hints::quote(said.words),
                if t.is_some_and(|t| t.issuer.is_some()) {
                    " (no key set could be fetched)"
                } else {
                    ""
                }
            ),
        )
        .expecting(expected);
    }
    if let Some(is) = t
        .and_then(|t| t.issuer)
        .and_then(|i| x.policy.issuers.get(i))
    {
        return Failure::new(
            Cause::JwksFetchFailed,
            Detail::None,
            Confidence::Proxy,
            format!(
                "authlens could not fetch the key set of issuer {} ({}), so it cannot check this token's signature: \
                 see the `jwks fetch failed` log for the URL and error",
                is.name, is.issuer
            ),
        )
        .expecting(expected);
    }
    if resp.www_authenticate.is_empty() {
        return Failure::new(
            Cause::UpstreamAuthLayerAbsent,
            Detail::None,
            Confidence::Heuristic,
            "the API answered 401 without a WWW-Authenticate challenge: the JWT middleware is probably not mounted \
             on this route and the handler rejects on its own",
        );
    }
    Failure::new(
        Cause::UpstreamRejectedValidToken,
        Detail::None,
        Confidence::Heuristic,
        "the API rejected the token and authlens could not check it (no trusted issuer matched or its checks had \
         not finished): read the API's own auth logs",
    )
    .expecting(expected)
}

#[cfg(test)]
mod tests;
