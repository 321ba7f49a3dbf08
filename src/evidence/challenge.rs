//! The upstream's own words: `WWW-Authenticate` challenges and JSON error bodies.

mod body;
pub mod catalogue;
pub mod parse;

use crate::cause::{Cause, Detail};
use catalogue::{CLAIM_TEMPLATES, CLAIMS, CODES, ClaimSays, ROWS};
use http::HeaderValue;

/// Longest text kept from any one field (logs and matching both use the bounded text).
pub const MAX_WORDS: usize = 512;

/// What the upstream said about a failure, sanitised for logging: printable, bounded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpstreamWords {
    pub www_authenticate: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The `scope` parameter of the challenge (RFC 6750 §3): the scopes the API wanted.
    pub scope: Option<String>,
    /// A body's `message`/`detail` (Kong, FastAPI), Kong's `{"exp": …}` as `exp: …`, or a
    /// short plain-text body (Envoy).
    pub message: Option<String>,
    /// RFC 9728 §5.1 `resource_metadata` parameter.
    pub resource_metadata: Option<String>,
}

/// Longest quote of the upstream's words in a hint.
const QUOTED: usize = 160;

impl UpstreamWords {
    pub fn says_insufficient_scope(&self) -> bool {
        self.error.as_deref() == Some("insufficient_scope")
    }

    /// The API's own sentence about the failure (its `error_description`, else its message),
    /// short enough to quote in a hint.
    pub fn said(&self) -> Option<String> {
        let text = self
            .error_description
            .as_deref()
            .or(self.message.as_deref())?;
        Some(clean(text, QUOTED)).filter(|t| !t.is_empty())
    }

    /// The claim the API's words name (`Missing 'tenant' claim`, `Unexpected "aud" value`), and
    /// whether they say it is absent or wrong.
    pub fn claim(&self) -> Option<(String, ClaimSays)> {
        [&self.error_description, &self.message]
            .into_iter()
            .flatten()
            .find_map(|text| {
                let text = normalise(text);
                find_claim(&text).map(|(claim, says)| (clean(claim, QUOTED), says))
            })
    }
}

/// Control characters become spaces; the text is cut at `max` bytes on a char boundary.
pub(crate) fn clean(text: &str, max: usize) -> String {
    crate::base::text::prefix(text, max)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// What an error answer says about auth: its challenges and the first bytes of its body.
#[derive(Clone, Copy, Debug, Default)]
pub struct Answer<'a> {
    /// Every `WWW-Authenticate` value.
    pub www_authenticate: &'a [HeaderValue],
    pub content_type: Option<&'a HeaderValue>,
    pub body: Option<&'a [u8]>,
}

pub fn words(resp: &Answer<'_>) -> UpstreamWords {
    let raw = || resp.www_authenticate.iter().map(|v| v.as_bytes());
    let challenges = parse::challenges(raw());
    // The challenge that reports the error (Bearer or DPoP), else the Bearer one.
    let chosen = challenges
        .iter()
        .find(|c| c.param("error").is_some())
        .or_else(|| challenges.iter().find(|c| c.scheme == "bearer"));
    let param = |name| {
        chosen
            .and_then(|c| c.param(name))
            .map(|v| clean(v, MAX_WORDS))
    };
    let body = resp
        .body
        .map(|b| body::read(b, resp.content_type.map(|c| c.as_bytes())))
        .unwrap_or_default();
    let bounded = |s: Option<String>| s.map(|s| clean(&s, MAX_WORDS)).filter(|s| !s.is_empty());
    let header = (!resp.www_authenticate.is_empty()).then(|| {
        let mut joined = Vec::new();
        for v in raw() {
            if joined.len() >= MAX_WORDS {
                break;
            }
            if !joined.is_empty() {
                joined.extend_from_slice(b", ");
            }
            joined.extend_from_slice(&v[..v.len().min(MAX_WORDS)]);
        }
        clean(&String::from_utf8_lossy(&joined), MAX_WORDS)
    });
    UpstreamWords {
        www_authenticate: header,
        error: bounded(param("error").or(body.error)),
        error_description: bounded(param("error_description").or(body.error_description)),
        scope: bounded(param("scope")),
        message: bounded(body.message),
        resource_metadata: bounded(param("resource_metadata")),
    }
}

/// The cause a known middleware's own words name (taxonomy §2), if any. Unknown words give
/// `None` and classification falls back to authlens's own evidence.
pub fn cause_from_words(words: &UpstreamWords) -> Option<(Cause, Detail)> {
    [&words.error_description, &words.message]
        .into_iter()
        .flatten()
        .find_map(|text| from_text(&normalise(text)))
        .or_else(|| {
            let code = words.error.as_deref()?;
            CODES.iter().find(|(c, _)| *c == code)?.1
        })
}

/// Lower case, every quote as `"`: the form catalogue rows are written in.
fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\'' | '\u{2018}' | '\u{2019}' | '\u{201c}' | '\u{201d}' => '"',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn from_text(text: &str) -> Option<(Cause, Detail)> {
    if let Some(found) = from_claim_template(text) {
        return found;
    }
    let row = ROWS.iter().find(|r| {
        if r.exact {
            text.trim_end_matches('.') == r.text
        } else {
            text.contains(r.text)
        }
    })?;
    row.verdict
}

/// `Some(verdict)` when a claim-naming template matches (the verdict may be "no cause").
fn from_claim_template(text: &str) -> Option<Option<(Cause, Detail)>> {
    find_claim(text).map(|(claim, says)| claim_verdict(claim, says))
}

/// The claim a claim-naming template finds in normalised text.
fn find_claim(text: &str) -> Option<(&str, ClaimSays)> {
    CLAIM_TEMPLATES
        .iter()
        .find_map(|(_, prefix, suffix, says)| {
            text.match_indices(prefix).find_map(|(at, _)| {
                let rest = &text[at + prefix.len()..];
                let len = rest
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                let claim = &rest[..len];
                (len > 0 && rest[len..].starts_with(suffix)).then_some((claim, *says))
            })
        })
}

fn claim_verdict(claim: &str, says: ClaimSays) -> Option<(Cause, Detail)> {
    let known = CLAIMS.iter().find(|(name, _, _)| *name == claim);
    match (says, known) {
        (ClaimSays::Wrong, Some((_, wrong, _))) => *wrong,
        (ClaimSays::Absent, Some((_, _, absent))) => Some(*absent),
        (ClaimSays::Wrong, None) => None,
        (ClaimSays::Absent, None) => Some((Cause::RequiredClaimMissing, Detail::Other)),
    }
}

#[cfg(test)]
mod tests;
