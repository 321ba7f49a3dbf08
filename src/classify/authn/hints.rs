//! One sentence per authn cause and detail, naming the expected and actual values.

use crate::base::clock::from_unix_secs;
use crate::cause::{Cause, Detail};
use crate::evidence::challenge::UpstreamWords;
use crate::evidence::challenge::catalogue::ClaimSays;
use crate::evidence::token::{Check, TokenReport};

pub(super) fn scheme(detail: Detail) -> &'static str {
    match detail {
        Detail::Basic => {
            "the Authorization header uses Basic, not Bearer: the client must send `Authorization: Bearer <access token>`"
        }
        Detail::OtherScheme => {
            "the Authorization header uses a scheme other than Bearer (Token, JWT, DPoP ...): send `Bearer <token>`"
        }
        _ => {
            "the Authorization header is not exactly `Bearer <token>` (a colon, quotes, an empty token or extra \
             spaces): fix how the client builds it"
        }
    }
}

/// An RFC 3339-ish rendering of a unix time, for people reading the hint.
fn when(unix: &str) -> String {
    match unix.parse::<u64>() {
        Ok(s) => format!(
            "{unix} = {}",
            httpdate::fmt_http_date(from_unix_secs(s.min(i64::MAX as u64) as i64))
        ),
        Err(_) => unix.to_string(),
    }
}

pub(super) fn own(check: &Check, t: &TokenReport) -> String {
    let exp = check.expected.as_deref().unwrap_or("?");
    let act = check.actual.as_deref().unwrap_or("?");
    let skew = check.skew_secs.unwrap_or_default();
    match (check.cause, check.detail) {
        (Cause::TokenMalformed, Detail::Opaque) => {
            "the bearer value is not a JWT (no dots): the client sent an opaque \
            or reference token, not the access token from the resource's authorization server"
                .into()
        }
        (Cause::TokenMalformed, Detail::Segments) => {
            "the bearer value is not three dot-separated parts: it was \
            truncated or joined with something else on the way"
                .into()
        }
        (Cause::TokenMalformed, Detail::Base64) => {
            "a part of the token is not base64url (padding, `+` or `/`, or a \
            copy-paste fragment): send the token exactly as issued"
                .into()
        }
        (Cause::TokenMalformed, Detail::Json) => {
            "the token's header or payload does not decode to a JSON object: it is not a JWT".into()
        }
        (Cause::TokenMalformed, _) => {
            "the token is encrypted (JWE, five parts); this API needs a signed JWT access \
            token"
                .into()
        }
        (Cause::IdJagSent, _) => format!(
            "the client sent an ID-JAG (typ {act}) to the API: exchange it at the resource authorization server's \
             token endpoint (JWT bearer grant) and send the access token it returns"
        ),
        (Cause::IdTokenSent, _) => format!(
            "the client sent an OpenID ID token ({act}) to the API: send the access token from the token exchange \
             instead"
        ),
        (Cause::TypRejected, _) => format!(
            "typ is {act} but the API accepts only {exp}: allow at+jwt (RFC 9068) in the API's validator or fix the \
             issuer"
        ),
        (Cause::AlgNotAllowed, Detail::AlgNone) => {
            format!(
                "the token is unsigned (alg {act}); this API accepts {exp}: never accept alg none"
            )
        }
        (Cause::AlgNotAllowed, Detail::Hmac) => format!(
            "the token is signed with {act}, a shared-secret algorithm, but this issuer signs with public keys \
             ({exp}): the token is not from the configured issuer"
        ),
        (Cause::AlgNotAllowed, _) => format!(
            "the token is signed with {act} but this API accepts {exp}: fix the issuer's signing algorithm or the \
             allowed list"
        ),
        (Cause::KidUnknown, _) => format!(
            "kid {act} is not in the issuer's key set (kids: {exp}) even after a refetch: the token comes from another \
             issuer or environment"
        ),
        (Cause::SignatureInvalid, _) => {
            let kid = t.header.kid.as_deref().unwrap_or("(no kid)");
            match &check.expected {
                Some(key_alg) => format!(
                    "the signature does not verify: key {kid} is for {key_alg} but the token says {act}"
                ),
                None => format!(
                    "the signature does not verify with published key {kid}: the token was altered, or another signer \
                     uses the same kid"
                ),
            }
        }
        (Cause::IssuerMismatch, d) => {
            let why = match d {
                Detail::TrailingSlash => " (trailing slash)",
                Detail::Scheme => " (http vs https)",
                Detail::Case => " (letter case)",
                Detail::IdpIssuer => {
                    ", the identity provider: the client sent an IdP token, not the resource \
                    authorization server's access token"
                }
                _ => "",
            };
            format!("iss is {act} but this API trusts {exp}{why}; the two must be identical")
        }
        (Cause::AudienceMismatch, Detail::Missing) => {
            format!("the token has no aud; this API expects {exp}")
        }
        (Cause::AudienceMismatch, d) => {
            let why = match d {
                Detail::TrailingSlash => " (trailing slash)",
                Detail::Scheme => " (http vs https)",
                Detail::Case => " (letter case)",
                Detail::AudIsIssuer => {
                    ": that is an authorization server, so this is a grant or assertion, not an \
                    access token for this API"
                }
                Detail::AudIsClientId => ": that is a client id, so this is an ID token",
                _ => ": the token was minted for another API; request it with the right resource",
            };
            format!("aud is {act} but this API expects {exp}{why}")
        }
        (Cause::TokenExpired, _) => format!(
            "the token expired {skew}s ago (exp {}): the client must get a new one",
            when(act)
        ),
        (Cause::TokenNotYetValid, _) => format!(
            "the token is not valid for another {skew}s (nbf/iat {}): the issuer's clock is ahead, or this host's \
             is behind",
            when(act)
        ),
        (Cause::RequiredClaimMissing, _) => {
            format!("the token's {exp} claim is {act}: fix the issuer's token template")
        }
        (cause, _) => format!("the token failed authlens's {} check", cause.label()),
    }
}

/// ` (its words: "…")` when the API said something, for hints whose verdict rests on it.
pub(crate) fn quote(words: &UpstreamWords) -> String {
    words
        .said()
        .map_or_else(String::new, |s| format!(" (its words: \"{s}\")"))
}

/// The API names a cause for a token that passes authlens's checks: say what it asked for,
/// in its own words, rather than that the two validators differ.
pub(super) fn api_named(cause: Cause, words: &UpstreamWords, t: &TokenReport) -> String {
    let said = quote(words);
    match words.claim() {
        Some((claim, ClaimSays::Absent)) => format!(
            "the API requires claim `{claim}`, which this token lacks{said}: have the issuer add it, or drop the \
             requirement from the API"
        ),
        Some((claim, ClaimSays::Wrong)) => format!(
            "the API rejects the token's `{claim}`{}{said}, which authlens's config accepts: the API expects another \
             value; make its `{claim}` setting match the tokens the issuer mints (and authlens's config)",
            claim_value(&claim, t)
        ),
        None => format!(
            "the API rejects this token as {}{said} although it passes authlens's checks (iss{}, aud{}, typ{}): \
             make the API's expected values match the ones in authlens's config",
            cause.label(),
            claim_value("iss", t),
            claim_value("aud", t),
            claim_value("typ", t),
        ),
    }
}

/// ` \`value\`` of a registered claim authlens decodes, for a hint; ` \`(none)\`` otherwise.
fn claim_value(claim: &str, t: &TokenReport) -> String {
    let c = &t.claims;
    let value = match claim {
        "iss" => c.iss.clone(),
        "aud" => (!c.aud.is_empty()).then(|| c.aud.join(" ")),
        "exp" => c.exp.map(|v| v.to_string()),
        "nbf" => c.nbf.map(|v| v.to_string()),
        "iat" => c.iat.map(|v| v.to_string()),
        "typ" => t.header.typ.clone(),
        "alg" => t.header.alg.clone(),
        _ => None,
    };
    let v = value.map_or_else(
        || "(none)".into(),
        |v| crate::evidence::challenge::clean(&v, 128),
    );
    format!(" `{v}`")
}

/// The honest catch-all, with the best-supported suspect first (taxonomy §3); a claim the
/// API names (one authlens does not check) comes first of all.
pub(super) fn rejected_valid(t: &TokenReport, words: &UpstreamWords) -> String {
    let said = quote(words);
    if let Some((claim, _)) = words.claim() {
        return format!(
            "the API rejects the value of claim `{claim}`, which authlens does not check{said}: mint the token with \
             the value the API expects, or fix the API's rule"
        );
    }
    let typ = t.header.typ.as_deref().unwrap_or("(none)");
    format!(
        "the API rejected a token that passes every check authlens can make (typ {typ}, alg {}, kid {}){said}: if its \
         JWT library enforces typ, allow at+jwt; otherwise revocation or a custom rule; read the API's own auth logs",
        t.header.alg.as_deref().unwrap_or("?"),
        t.header.kid.as_deref().unwrap_or("(none)")
    )
}
