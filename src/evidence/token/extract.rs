//! Finding the token in a request (RFC 6750 §2) without copying it.

use crate::cause::Detail;
use http::{HeaderMap, HeaderValue, Uri, header};
use std::fmt;

/// A bearer token held as a slice of the header it arrived in. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Token {
    value: HeaderValue,
    start: usize,
}

impl Token {
    pub fn as_str(&self) -> &str {
        // Validated ASCII when the token was cut out of the header.
        std::str::from_utf8(&self.value.as_bytes()[self.start..]).unwrap_or("")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// What the client presented.
#[derive(Clone, Debug)]
pub enum Presented {
    None,
    Bearer(Token),
    /// An `Authorization` header that is not `Bearer <token>`; the detail says how.
    NotBearer(Detail),
    /// Tokens in more than one place (header, `access_token` query parameter, repeated header).
    Multiple(Option<Token>),
}

impl Presented {
    pub fn token(&self) -> Option<&Token> {
        match self {
            Presented::Bearer(t) | Presented::Multiple(Some(t)) => Some(t),
            _ => None,
        }
    }

    /// Adds a token found in a form body, which is known only once the body has streamed past.
    pub fn with_body_token(self, body: Token) -> Presented {
        match self {
            Presented::None => Presented::Bearer(body),
            Presented::Bearer(t) | Presented::Multiple(Some(t)) => Presented::Multiple(Some(t)),
            Presented::Multiple(None) | Presented::NotBearer(_) => Presented::Multiple(Some(body)),
        }
    }
}

pub fn extract(headers: &HeaderMap, uri: &Uri) -> Presented {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let header = values.next().map(parse_authorization);
    let repeated = values.next().is_some();
    let query = uri.query().and_then(|q| form_token(q.as_bytes()));
    if repeated || (header.is_some() && query.is_some()) {
        return Presented::Multiple(header.and_then(Result::ok).or(query));
    }
    match (header, query) {
        (Some(Ok(t)), _) | (None, Some(t)) => Presented::Bearer(t),
        (Some(Err(detail)), _) => Presented::NotBearer(detail),
        (None, None) => Presented::None,
    }
}

/// `access_token` in `application/x-www-form-urlencoded` text: a query (RFC 6750 §2.3) or a
/// form body (§2.2). Rare, so copying it out is fine.
pub fn form_token(encoded: &[u8]) -> Option<Token> {
    let raw = encoded
        .split(|&b| b == b'&')
        .find_map(|kv| kv.strip_prefix(b"access_token="))
        .filter(|v| !v.is_empty())?;
    let value = HeaderValue::from_str(std::str::from_utf8(raw).ok()?).ok()?;
    Some(Token { value, start: 0 })
}

/// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 6750 §2.1).
/// Comparisons only (no table lookups), so the check over a whole token vectorises: every byte
/// of every token is checked on every request.
fn b64token(c: u8) -> bool {
    c.is_ascii_alphanumeric() | matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

fn parse_authorization(v: &HeaderValue) -> Result<Token, Detail> {
    let bytes = v.as_bytes();
    let (scheme, rest) = match bytes.iter().position(|&b| b == b' ') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(if scheme.eq_ignore_ascii_case(b"basic") {
            Detail::Basic
        } else if (scheme.len() > 6 && scheme[..6].eq_ignore_ascii_case(b"bearer"))
            || (scheme.len() == bytes.len() && scheme.contains(&b'.'))
        {
            Detail::Malformed // `Bearer:x`, `Bearer"x"`, or a bare token without a scheme
        } else {
            Detail::OtherScheme
        });
    }
    // No early exit, so the compiler can check many bytes at once.
    if rest.is_empty() || !rest.iter().fold(true, |ok, &b| ok & b64token(b)) {
        return Err(Detail::Malformed);
    }
    Ok(Token {
        value: v.clone(),
        start: bytes.len() - rest.len(),
    })
}

#[cfg(test)]
mod tests;
