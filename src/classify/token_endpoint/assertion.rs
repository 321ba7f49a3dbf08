//! Checks of the assertion a token request carries: the ID-JAG of a JWT-bearer grant (Step 3)
//! and the ID token of a token exchange (Step 2), from the facts `verify_assertion` reported.

use super::{Grant, TokenExchange};
use crate::base::clock::unix_secs;
use crate::cause::{Cause, Confidence, Detail};
use crate::classify::Failure;
use crate::evidence::token::checks::{ID_JAG_TYPE, near_miss, typ_is};
use crate::evidence::token::{Check, ScopeClaim, TokenReport, Verdict};
use crate::evidence::token_request::ID_TOKEN_TYPE;
use std::time::SystemTime;

pub(super) fn noun(x: &TokenExchange<'_>) -> &'static str {
    match x.grant() {
        Grant::Exchange => "subject_token",
        _ => "assertion",
    }
}

/// The report's failed key-side check, if any.
fn failed(a: &TokenReport) -> Option<&Check> {
    match &a.verdict {
        Verdict::Invalid(c) => Some(c),
        _ => None,
    }
}

/// The ID-JAG checks in the order an authorization server runs them: `typ`, issuer trust,
/// signature, `aud`, lifetime, `client_id` (registered, and the authenticating client), replay.
/// `server_date` is the answer's `Date`, to tell clock skew from expiry.
pub(super) fn idjag(x: &TokenExchange<'_>, server_date: Option<SystemTime>) -> Option<Failure> {
    let a = x.assertion?;
    let check = failed(a);
    if check.is_some_and(|c| c.cause == Cause::TokenMalformed) {
        return None;
    }
    let fail =
        |cause, detail, hint: String| Some(Failure::new(cause, detail, Confidence::Both, hint));
    let typ = a.header.typ.as_deref();
    if !typ_is(typ, ID_JAG_TYPE) {
        return fail(
            Cause::IdjagTypInvalid,
            Detail::None,
            format!(
                "the assertion's typ is `{}`; an ID-JAG has typ `{ID_JAG_TYPE}`: send the ID-JAG \
                 from the IdP's token exchange, not an ID token or access token",
                typ.unwrap_or("(none)")
            ),
        );
    }
    if let Some(c) = check {
        let expected = c.expected.as_deref().unwrap_or("(unknown)");
        let actual = c.actual.as_deref().unwrap_or("(none)");
        let (cause, detail, hint) = match c.cause {
            Cause::IssuerMismatch => (
                Cause::IdjagIssuerUntrusted,
                Detail::None,
                format!(
                    "this server trusts ID-JAGs from `{expected}`, got iss `{actual}`{}; add the \
                     IdP (and its JWKS) to the trusted issuers",
                    if c.detail == Detail::Other {
                        String::new()
                    } else {
                        format!(" ({})", c.detail.label())
                    }
                ),
            ),
            Cause::AlgNotAllowed => (
                Cause::IdjagSignatureInvalid,
                Detail::Alg,
                format!(
                    "the ID-JAG is signed with `{actual}`; the trusted IdP's algorithms are \
                     {expected}: accept the IdP's algorithm"
                ),
            ),
            Cause::KidUnknown => (
                Cause::IdjagSignatureInvalid,
                Detail::KidUnknown,
                format!(
                    "the ID-JAG's kid `{actual}` is not in the IdP's key set (kids: {expected}); \
                     point the server at the IdP's current JWKS"
                ),
            ),
            _ => (
                Cause::IdjagSignatureInvalid,
                Detail::Signature,
                format!(
                    "the ID-JAG's signature does not verify against the keys of `{}`; point the \
                     server at that IdP's JWKS",
                    a.claims.iss.as_deref().unwrap_or("(no iss)")
                ),
            ),
        };
        return fail(cause, detail, hint);
    }
    if let Some(want) = x.endpoint.issuer.as_deref()
        && !a.claims.aud.iter().any(|v| v == want)
    {
        let detail = a
            .claims
            .aud
            .iter()
            .find_map(|v| near_miss(v, want))
            .unwrap_or(Detail::Other);
        return fail(
            Cause::IdjagAudienceMismatch,
            detail,
            format!(
                "the ID-JAG's aud must equal this server's issuer `{want}` exactly, got `{}`; fix \
                 the audience sent in the token exchange (or the resource registration)",
                if a.claims.aud.is_empty() {
                    "(none)".into()
                } else {
                    a.claims.aud.join(" ")
                }
            ),
        );
    }
    if let Some(f) = lifetime(x, a, server_date) {
        return Some(f);
    }
    let claimed = a.claims.client_id.as_deref();
    if claimed.is_none_or(|c| x.endpoint.knows_client(c) == Some(false)) {
        return fail(
            Cause::IdjagClientIdUnknown,
            Detail::None,
            format!(
                "the ID-JAG's client_id `{}` is not a client registered here ({}); set the IdP's \
                 target client id to the client registered at this server",
                claimed.unwrap_or("(none)"),
                if x.endpoint.client_ids.is_empty() {
                    "no client_ids configured".into()
                } else {
                    x.endpoint.client_ids.join(", ")
                }
            ),
        );
    }
    if let Some(f) = wrong_pair(x) {
        return Some(f);
    }
    if x.replayed {
        return fail(
            Cause::IdjagReplayed,
            Detail::None,
            format!(
                "this ID-JAG (jti `{}`) was already accepted once; mint a fresh ID-JAG for every \
                 access-token request",
                a.claims.jti.as_deref().unwrap_or("(none)")
            ),
        );
    }
    None
}

/// The ID-JAG's `exp`/`nbf`/`iat` by authlens's clock, then by the server's `Date`.
fn lifetime(
    x: &TokenExchange<'_>,
    a: &TokenReport,
    server_date: Option<SystemTime>,
) -> Option<Failure> {
    let leeway = x.leeway.as_secs() as i64;
    let judge = |now: i64| -> Option<(Detail, i64)> {
        let c = &a.claims;
        if let Some(exp) = c.exp.filter(|e| *e <= now - leeway) {
            return Some((Detail::Expired, now.saturating_sub(exp)));
        }
        let early = [c.nbf, c.iat]
            .into_iter()
            .flatten()
            .filter(|t| *t > now + leeway)
            .max();
        early.map(|t| (Detail::NotYetValid, t.saturating_sub(now)))
    };
    let ours = unix_secs(x.now);
    let (detail, by) = match judge(ours) {
        Some(found) => found,
        None => {
            let theirs = unix_secs(server_date?);
            let (_, by) = judge(theirs)?;
            let skew = theirs.saturating_sub(ours);
            return Some(Failure::new(
                Cause::IdjagExpired,
                Detail::ClockSkew,
                Confidence::Both,
                format!(
                    "the server's clock is {}s {} authlens's, which puts the ID-JAG {by}s outside \
                     its lifetime; synchronise the clocks (NTP)",
                    skew.abs(),
                    if skew > 0 { "ahead of" } else { "behind" }
                ),
            ));
        }
    };
    let hint = match detail {
        Detail::Expired => format!(
            "the ID-JAG expired {by}s ago (ID-JAGs live 5 minutes): re-run the token exchange and \
             use the new ID-JAG promptly"
        ),
        _ => format!(
            "the ID-JAG is not valid for another {by}s (nbf/iat in the future): the IdP's clock \
             is ahead; synchronise the clocks"
        ),
    };
    Some(Failure::new(
        Cause::IdjagExpired,
        detail,
        Confidence::Both,
        hint,
    ))
}

/// `te_invalid_client_wrong_pair`: the client that authenticated is not the one the ID-JAG
/// was issued for (typically the IdP client's credentials at the resource's server).
pub(super) fn wrong_pair(x: &TokenExchange<'_>) -> Option<Failure> {
    if x.grant() != Grant::JwtBearer {
        return None;
    }
    let claimed = x.assertion?.claims.client_id.as_deref()?;
    let authenticated = x.client_id()?;
    (authenticated != claimed).then(|| {
        Failure::new(
            Cause::TeInvalidClientWrongPair,
            Detail::None,
            Confidence::Both,
            format!(
                "the request authenticated as client `{authenticated}` but the ID-JAG was issued \
                 for client `{claimed}`: the IdP client's credentials were used at the resource's \
                 authorization server; authenticate as `{claimed}` with its secret"
            ),
        )
    })
}

/// The scopes the ID-JAG grants, if it says.
pub(super) fn scopes(x: &TokenExchange<'_>) -> Option<Vec<String>> {
    let a = x.assertion?;
    let (_, claim) = a.claims.scopes.iter().find(|(n, _)| n == "scope")?;
    Some(match claim {
        ScopeClaim::Text(t) => t
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        ScopeClaim::List(l) => l.clone(),
    })
}

/// `te_subject_token_invalid`: the ID token given to the token exchange is unusable.
pub(super) fn subject(x: &TokenExchange<'_>) -> Option<Failure> {
    let fail = |detail, hint: String| {
        Some(Failure::new(
            Cause::TeSubjectTokenInvalid,
            detail,
            Confidence::Both,
            hint,
        ))
    };
    let given = x.form.subject_token_type.as_deref();
    if given.is_some_and(|t| t != ID_TOKEN_TYPE) {
        return fail(
            Detail::Type,
            format!(
                "subject_token_type must be `{ID_TOKEN_TYPE}`, got `{}`",
                given.unwrap_or_default()
            ),
        );
    }
    let a = x.assertion?;
    if let Some(c) = failed(a) {
        if c.cause == Cause::TokenMalformed {
            return fail(
                Detail::Type,
                format!(
                    "the subject_token is not a JWT ID token ({}); send the ID token from the login",
                    c.detail.label()
                ),
            );
        }
        return fail(
            Detail::Signature,
            format!(
                "the ID token does not verify ({}: expected {}, got {}); send an ID token this IdP \
                 issued, unmodified",
                c.cause.label(),
                c.expected.as_deref().unwrap_or("-"),
                c.actual.as_deref().unwrap_or("-")
            ),
        );
    }
    if let Some(client) = x.client_id()
        && !a.claims.aud.iter().any(|v| v == client)
    {
        return fail(
            Detail::AudClientMismatch,
            format!(
                "the ID token's aud is `{}` but the client exchanging it is `{client}`; send the \
                 ID token issued to this same client",
                a.claims.aud.join(" ")
            ),
        );
    }
    if a.claims.sub.is_none() {
        return fail(
            Detail::NoSub,
            "the ID token has no sub claim; the IdP cannot tell who the user is".into(),
        );
    }
    let now = unix_secs(x.now);
    if let Some(exp) = a
        .claims
        .exp
        .filter(|e| *e <= now - x.leeway.as_secs() as i64)
    {
        return fail(
            Detail::Expired,
            format!(
                "the ID token expired {}s ago (ID tokens live about 10 minutes): log in again and \
                 exchange the new ID token",
                now.saturating_sub(exp)
            ),
        );
    }
    None
}
