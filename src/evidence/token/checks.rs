//! authlens's own checks on a decoded token, in the taxonomy's order: what kind of token it is,
//! `alg`, `iss`, `typ` policy, then (with keys) `kid` and signature, then `aud`, time and
//! required claims (`ORDER`, in `steps.rs`, is that order as data; its tests hold these
//! functions to it). Each failure names what was expected and what the token had.

mod steps;
pub use steps::{ORDER, Step, TokenKind};

use super::Key;
use super::decode::Decoded;
use super::report::Check;
use crate::cause::{Cause, Detail};
use crate::policy::{IssuerPolicy, Policy};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, AlgorithmFamily};
use std::borrow::Cow;
use std::str::FromStr;

pub const ID_JAG_TYPE: &str = "oauth-id-jag+jwt";
const AT_JWT_TYPE: &str = "at+jwt";

/// RFC 7515 §4.1.9: `typ` is a media type whose `application/` prefix may be left out, and
/// media types compare without regard to case.
pub fn typ_is(typ: Option<&str>, want: &str) -> bool {
    // Compared in place: this runs several times on every verification.
    fn bare(t: &str) -> &str {
        const PREFIX: &str = "application/";
        match t.get(..PREFIX.len()) {
            Some(p) if p.eq_ignore_ascii_case(PREFIX) => &t[PREFIX.len()..],
            _ => t,
        }
    }
    typ.is_some_and(|t| bare(t).eq_ignore_ascii_case(bare(want)))
}

/// The checks that need no keys. On success: the issuer the token belongs to (an index into
/// `policy.issuers`, `None` when none is configured) and its parsed algorithm.
pub fn before_keys(d: &Decoded<'_>, policy: &Policy) -> Result<(Option<usize>, Algorithm), Check> {
    let h = &d.header;
    let c = &d.claims;
    if typ_is(h.typ.as_deref(), ID_JAG_TYPE) {
        return Err(
            Check::new(Cause::IdJagSent, Detail::None).actual(h.typ.clone().unwrap_or_default())
        );
    }
    let iss = c.iss.as_deref();
    let from_idp = iss.is_some_and(|i| policy.identity_providers.iter().any(|p| p == i));
    let aud_is_client = c
        .aud
        .iter()
        .any(|a| policy.issuers.iter().any(|is| is.client_ids.contains(a)));
    if !typ_is(h.typ.as_deref(), AT_JWT_TYPE) && (c.id_token_markers || (from_idp && aud_is_client))
    {
        let why = if c.id_token_markers {
            "it carries nonce/at_hash"
        } else {
            "its aud is a client id"
        };
        return Err(Check::new(Cause::IdTokenSent, Detail::None)
            .actual(format!("iss {}, {why}", iss.unwrap_or("(none)"))));
    }
    let issuer = select_issuer(policy, iss);
    let alg = check_alg(
        h.alg.as_deref(),
        issuer.map(|(i, _)| &policy.issuers[i]),
        policy,
    )?;
    let Some((index, near)) = issuer else {
        return match (iss, policy.issuers.is_empty()) {
            (_, true) => Ok((None, alg)),
            (None, false) => Err(missing_claim("iss", d)),
            (Some(iss), false) => Err(Check::new(
                Cause::IssuerMismatch,
                if from_idp {
                    Detail::IdpIssuer
                } else {
                    Detail::Other
                },
            )
            .expected(issuer_list(policy))
            .actual(iss)),
        };
    };
    let is = &policy.issuers[index];
    if let Some(detail) = near {
        return Err(Check::new(Cause::IssuerMismatch, detail)
            .expected(is.issuer.as_str())
            .actual(iss.unwrap_or_default()));
    }
    if let Some(accepted) = &is.accepted_types {
        let typ = h.typ.as_deref();
        if !accepted.iter().any(|a| typ_is(typ, a)) {
            return Err(Check::new(Cause::TypRejected, Detail::None)
                .expected(accepted.join(" or "))
                .actual(typ.unwrap_or("(none)")));
        }
    }
    Ok((Some(index), alg))
}

/// The issuer the token names: an exact match, else the near miss (and how it misses), else
/// the only issuer when the token has no `iss` at all.
fn select_issuer(policy: &Policy, iss: Option<&str>) -> Option<(usize, Option<Detail>)> {
    let issuers = &policy.issuers;
    let Some(iss) = iss else {
        return (issuers.len() == 1).then_some((0, None));
    };
    if let Some(i) = issuers.iter().position(|is| is.issuer == iss) {
        return Some((i, None));
    }
    issuers
        .iter()
        .enumerate()
        .find_map(|(i, is)| near_miss(iss, &is.issuer).map(|d| (i, Some(d))))
}

fn issuer_list(policy: &Policy) -> String {
    let list: Vec<&str> = policy.issuers.iter().map(|i| i.issuer.as_str()).collect();
    list.join(" or ")
}

/// How `actual` misses `expected` when it is nearly the same string.
pub fn near_miss(actual: &str, expected: &str) -> Option<Detail> {
    if actual == expected {
        return None;
    }
    if actual.trim_end_matches('/') == expected.trim_end_matches('/') {
        return Some(Detail::TrailingSlash);
    }
    let rest = |s: &str| {
        s.strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .map(str::to_owned)
    };
    if rest(actual).is_some_and(|a| rest(expected).is_some_and(|e| a == e)) {
        return Some(Detail::Scheme);
    }
    actual
        .eq_ignore_ascii_case(expected)
        .then_some(Detail::Case)
}

/// `alg` against the issuer's algorithms (or every issuer's, without one).
pub fn check_alg(
    alg: Option<&str>,
    issuer: Option<&IssuerPolicy>,
    policy: &Policy,
) -> Result<Algorithm, Check> {
    let allowed: Cow<'_, [Algorithm]> = match issuer {
        Some(is) => Cow::Borrowed(&is.algorithms),
        None => policy
            .issuers
            .iter()
            .flat_map(|i| i.algorithms.iter().copied())
            .collect(),
    };
    let expected = || {
        let names: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        if names.is_empty() {
            "RS256".to_string()
        } else {
            names.join(" or ")
        }
    };
    let Some(alg) = alg else {
        return Err(Check::new(Cause::AlgNotAllowed, Detail::Other)
            .expected(expected())
            .actual("(no alg)"));
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(Check::new(Cause::AlgNotAllowed, Detail::AlgNone)
            .expected(expected())
            .actual(alg));
    }
    let parsed = Algorithm::from_str(alg).ok();
    let hmac = parsed.is_some_and(|a| a.family() == AlgorithmFamily::Hmac);
    if let Some(a) = parsed.filter(|a| allowed.is_empty() || allowed.contains(a)) {
        return Ok(a);
    }
    let public_key_issuer = allowed.iter().all(|a| a.family() != AlgorithmFamily::Hmac);
    let detail = if hmac && public_key_issuer {
        Detail::Hmac
    } else {
        Detail::Other
    };
    Err(Check::new(Cause::AlgNotAllowed, detail)
        .expected(expected())
        .actual(alg))
}

/// Which keys may have signed the token: the one with its `kid`, or, without a `kid`, every
/// key of the algorithm's family. Empty means `kid_unknown`.
pub fn candidates<'k>(
    kid: Option<&str>,
    alg: Algorithm,
    keys: &'k [std::sync::Arc<Key>],
) -> Vec<&'k Key> {
    keys.iter()
        .map(|k| &**k)
        .filter(|k| match kid {
            Some(kid) => k.kid.as_deref() == Some(kid),
            None => k.verifier.family() == alg.family(),
        })
        .collect()
}

/// Verifies the signature with the candidate keys; `candidates` must not be empty.
pub fn signature(d: &Decoded<'_>, alg: Algorithm, candidates: &[&Key]) -> Result<(), Check> {
    // Base64url that does not decode (e.g. a stray trailing character) verifies nothing.
    let signature = URL_SAFE_NO_PAD.decode(d.signature).ok();
    // A key pinned to one `alg` (RFC 7517 §4.4) must not verify another.
    let verified = signature.is_some_and(|signature| {
        candidates.iter().any(|k| {
            k.alg.is_none_or(|a| a == alg)
                && k.verifier.family() == alg.family()
                && k.verifier
                    .verify(alg, d.signing_input.as_bytes(), &signature)
        })
    });
    if verified {
        return Ok(());
    }
    let key_alg = candidates.first().and_then(|k| k.alg);
    let mut check = Check::new(Cause::SignatureInvalid, Detail::None).actual(format!("{alg:?}"));
    if let Some(key_alg) = key_alg.filter(|k| *k != alg) {
        check = check.expected(format!("{key_alg:?}"));
    }
    Err(check)
}

/// The `kid_unknown` failure.
pub fn kid_unknown(d: &Decoded<'_>, known: &[String]) -> Check {
    Check::new(Cause::KidUnknown, Detail::None)
        .expected(if known.is_empty() {
            "(no keys)".to_string()
        } else {
            known.join(" ")
        })
        .actual(d.header.kid.clone().unwrap_or_else(|| "(no kid)".into()))
}

/// The checks after the signature: audience, time window, claim types and required claims.
pub fn after_keys(
    d: &Decoded<'_>,
    is: &IssuerPolicy,
    policy: &Policy,
    now: i64,
) -> Result<(), Check> {
    audience(d, is, policy)?;
    time(d, policy.leeway.as_secs() as i64, now)?;
    if let Some(name) = d.ill_typed.iter().find(|n| claim_detail(n).is_some()) {
        return Err(missing_claim(name, d));
    }
    let c = &d.claims;
    for name in &is.required_claims {
        let present = match name.as_str() {
            "iss" => c.iss.is_some(),
            "exp" => c.exp.is_some(),
            "aud" => !c.aud.is_empty(),
            "sub" => c.sub.is_some(),
            "client_id" => c.client_id.is_some(),
            "iat" => c.iat.is_some(),
            "jti" => c.jti_present,
            "nbf" => c.nbf.is_some(),
            "scope" => c.scopes.iter().any(|(n, _)| n == "scope"),
            _ => true,
        };
        if !present {
            return Err(missing_claim(name, d));
        }
    }
    Ok(())
}

fn audience(d: &Decoded<'_>, is: &IssuerPolicy, policy: &Policy) -> Result<(), Check> {
    if is.audiences.is_empty() {
        return Ok(());
    }
    let aud = &d.claims.aud;
    if aud.iter().any(|a| is.audiences.contains(a)) {
        return Ok(());
    }
    if aud.is_empty() {
        if d.ill_typed.contains(&"aud") {
            return Err(missing_claim("aud", d));
        }
        return Err(
            Check::new(Cause::AudienceMismatch, Detail::Missing).expected(is.audiences.join(" "))
        );
    }
    let near = aud.iter().find_map(|a| {
        is.audiences
            .iter()
            .find_map(|e| near_miss(a, e).map(|d| (d, e)))
    });
    let (detail, expected) = match near {
        Some((d, e)) => (d, e.clone()),
        None => {
            let is_issuer = |a: &String| {
                policy
                    .issuers
                    .iter()
                    .any(|i| i.issuer.trim_end_matches('/') == a.trim_end_matches('/'))
                    || policy.identity_providers.contains(a)
            };
            let is_client = |a: &String| policy.issuers.iter().any(|i| i.client_ids.contains(a));
            let detail = if aud.iter().any(is_issuer) {
                Detail::AudIsIssuer
            } else if aud.iter().any(is_client) {
                Detail::AudIsClientId
            } else {
                Detail::OtherResource
            };
            (detail, is.audiences.join(" "))
        }
    };
    Err(Check::new(Cause::AudienceMismatch, detail)
        .expected(expected)
        .actual(aud.join(" ")))
}

fn time(d: &Decoded<'_>, leeway: i64, now: i64) -> Result<(), Check> {
    let c = &d.claims;
    if let Some(exp) = c.exp.filter(|exp| *exp <= now - leeway) {
        return Err(Check::new(Cause::TokenExpired, Detail::None)
            .actual(exp.to_string())
            .skew(now.saturating_sub(exp).unsigned_abs()));
    }
    let early = [c.nbf, c.iat]
        .into_iter()
        .flatten()
        .filter(|t| *t > now + leeway)
        .max();
    if let Some(t) = early {
        return Err(Check::new(Cause::TokenNotYetValid, Detail::None)
            .actual(t.to_string())
            .skew(t.saturating_sub(now).unsigned_abs()));
    }
    Ok(())
}

fn claim_detail(name: &str) -> Option<Detail> {
    Some(match name {
        "iss" => Detail::ClaimIss,
        "exp" => Detail::ClaimExp,
        "aud" => Detail::ClaimAud,
        "sub" => Detail::ClaimSub,
        "client_id" => Detail::ClaimClientId,
        "iat" => Detail::ClaimIat,
        "jti" => Detail::ClaimJti,
        "nbf" => Detail::Other,
        _ => return None,
    })
}

/// `required_claim_missing` for `name`, saying whether it is absent or of the wrong type.
fn missing_claim(name: &str, d: &Decoded<'_>) -> Check {
    let how = if d.ill_typed.contains(&name) {
        "present with the wrong JSON type"
    } else {
        "absent"
    };
    Check::new(
        Cause::RequiredClaimMissing,
        claim_detail(name).unwrap_or(Detail::Other),
    )
    .expected(name)
    .actual(how)
}

#[cfg(test)]
mod tests;
