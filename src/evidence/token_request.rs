//! An OAuth token request as authlens reads it: the form fields of RFC 6749 §4 / RFC 8693 §2.1
//! / RFC 7523 §2.1 and how the client authenticated (RFC 6749 §2.3.1). The assertion and the
//! subject token are kept only as `Secret`s (to decode them); a client secret is never kept,
//! only the fact that one was sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, header};
use std::fmt;

pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
pub const ID_JAG_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";

/// A credential read from the body, held only to be decoded and fingerprinted. Its `Debug`
/// never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How much of the body authlens read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FormRead {
    /// No body, or not `application/x-www-form-urlencoded`.
    #[default]
    NotForm,
    Complete,
    /// Longer than authlens reads: fields past the cut are unknown.
    Cut,
    /// The client broke off while sending it.
    Broken,
}

/// The fields of one token request. Values come from the client: bounded when logged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenForm {
    pub read: FormRead,
    pub grant_type: Option<String>,
    pub assertion: Option<Secret>,
    pub subject_token: Option<Secret>,
    pub subject_token_type: Option<String>,
    pub requested_token_type: Option<String>,
    pub audience: Option<String>,
    pub resource: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    /// `client_secret` was in the body (its value is dropped as it is read).
    pub client_secret_sent: bool,
    /// Names of known parameters sent more than once (RFC 6749 §3.2 forbids it).
    pub repeated: Vec<&'static str>,
}

/// How the client authenticated to the token endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ClientAuth {
    #[default]
    None,
    /// `Authorization: Basic`, with the client id it names (`None` if unreadable).
    Basic(Option<String>),
    /// `client_id` and `client_secret` in the body.
    Post,
    /// Both at once (RFC 6749 §2.3 allows one method per request).
    Both,
}

impl ClientAuth {
    pub fn label(&self) -> &'static str {
        match self {
            ClientAuth::None => "none",
            ClientAuth::Basic(_) => "client_secret_basic",
            ClientAuth::Post => "client_secret_post",
            ClientAuth::Both => "basic_and_post",
        }
    }
}

/// The parameters authlens reads, by name.
const FIELDS: &[&str] = &[
    "grant_type",
    "assertion",
    "subject_token",
    "subject_token_type",
    "requested_token_type",
    "audience",
    "resource",
    "scope",
    "client_id",
    "client_secret",
];

/// The longest plain parameter kept; a URN, a URL or a scope list fits with room to spare.
const MAX_PLAIN: usize = 512;

/// A plain parameter's value as it may be logged and quoted in hints. A token sent in the wrong
/// parameter (a swapped `subject_token` and `subject_token_type`, say) is a secret: only its
/// shape is kept. Anything else is cut to `MAX_PLAIN` bytes.
fn plain_value(value: String) -> String {
    let looks_like_jwt =
        value.starts_with("eyJ") && value.bytes().filter(|&b| b == b'.').count() >= 2;
    if looks_like_jwt {
        format!("(a token, {} bytes)", value.len())
    } else if value.len() > MAX_PLAIN {
        crate::base::text::shortened(&value, MAX_PLAIN)
    } else {
        value
    }
}

impl TokenForm {
    /// Reads `encoded`, whole parameters of a form body; `read` says whether that is all of it.
    pub fn parse(encoded: &[u8], read: FormRead) -> Self {
        let mut form = TokenForm {
            read,
            ..TokenForm::default()
        };
        let mut seen = [false; FIELDS.len()];
        for (name, value) in split(encoded) {
            let Some(i) = FIELDS.iter().position(|f| f.as_bytes() == decode(name)) else {
                continue;
            };
            if std::mem::replace(&mut seen[i], true) {
                form.repeated.push(FIELDS[i]);
                continue;
            }
            form.set(FIELDS[i], value);
        }
        form
    }

    fn set(&mut self, name: &str, raw: &[u8]) {
        if name == "client_secret" {
            self.client_secret_sent = true;
            return;
        }
        let value = String::from_utf8_lossy(&decode(raw)).into_owned();
        let slot = match name {
            "grant_type" => &mut self.grant_type,
            "subject_token_type" => &mut self.subject_token_type,
            "requested_token_type" => &mut self.requested_token_type,
            "audience" => &mut self.audience,
            "resource" => &mut self.resource,
            "scope" => &mut self.scope,
            "client_id" => &mut self.client_id,
            "assertion" => {
                self.assertion = Some(Secret(value));
                return;
            }
            _ => {
                self.subject_token = Some(Secret(value));
                return;
            }
        };
        *slot = Some(plain_value(value));
    }

    /// Whether `name` was sent (and so is not missing). Unknown past a cut.
    pub fn has(&self, name: &str) -> bool {
        let text = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        let secret = |v: &Option<Secret>| v.as_ref().is_some_and(|s| !s.0.is_empty());
        match name {
            "grant_type" => text(&self.grant_type),
            "assertion" => secret(&self.assertion),
            "subject_token" => secret(&self.subject_token),
            "subject_token_type" => text(&self.subject_token_type),
            "requested_token_type" => text(&self.requested_token_type),
            "audience" => text(&self.audience),
            "resource" => text(&self.resource),
            _ => false,
        }
    }
}

/// The `name=value` pairs of form text, still encoded.
fn split(encoded: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    encoded
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        })
}

/// Every pair of form text, decoded (for servers that read a whole token request).
pub fn pairs(encoded: &[u8]) -> Vec<(String, String)> {
    let text = |b: &[u8]| String::from_utf8_lossy(&decode(b)).into_owned();
    split(encoded).map(|(n, v)| (text(n), text(v))).collect()
}

/// Form text for `pairs` (for clients that send token requests: the demo, tests).
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let enc = |v: &str| -> String {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let joined: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    joined.join("&")
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; a broken
/// escape is kept as it is.
fn decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Which client authentication the request head shows, before the body is read.
pub fn basic_client(headers: &HeaderMap) -> Option<ClientAuth> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = value.split_at(value.iter().position(|&b| b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    // RFC 6749 §2.3.1: the id is form-encoded before the Basic encoding. The secret after
    // the colon is never copied.
    let id = STANDARD.decode(rest.trim_ascii()).ok().and_then(|plain| {
        let colon = plain.iter().position(|&b| b == b':')?;
        Some(String::from_utf8_lossy(&decode(&plain[..colon])).into_owned())
    });
    Some(ClientAuth::Basic(id))
}

/// The request's client authentication, from the head's Basic header and the body.
pub fn client_auth(basic: Option<&ClientAuth>, form: &TokenForm) -> ClientAuth {
    match (basic, form.client_secret_sent) {
        (Some(_), true) => ClientAuth::Both,
        (Some(b), false) => b.clone(),
        (None, true) => ClientAuth::Post,
        (None, false) => ClientAuth::None,
    }
}

impl ClientAuth {
    /// The client the request authenticated as: the Basic id, else the body's `client_id`.
    pub fn client_id<'a>(&'a self, form: &'a TokenForm) -> Option<&'a str> {
        match self {
            ClientAuth::Basic(Some(id)) => Some(id),
            _ => form.client_id.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests;
