//! Error bodies: JSON (`error`, `error_description`, `message`, `detail`, Kong's
//! `{"exp": "..."}`) or short plain text (Envoy's status string). HTML pages are ignored: their
//! text is a framework's error page, not the middleware's words.

use serde_json::Value;

/// Largest body looked at; the proxy keeps only the first bytes of small bodies anyway.
pub const MAX_BODY: usize = 8 * 1024;

/// Claims Kong names as the key of its error object (`{"exp":"token expired"}`).
const CLAIM_KEYS: &[&str] = &["exp", "nbf", "iss", "iat"];

#[derive(Debug, Default, PartialEq, Eq)]
pub struct BodyWords {
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// `message` or `detail`, Kong's `claim: text`, or the plain-text body.
    pub message: Option<String>,
}

pub fn read(body: &[u8], content_type: Option<&[u8]>) -> BodyWords {
    let body = &body[..body.len().min(MAX_BODY)];
    let trimmed = body.trim_ascii();
    let ct = content_type.map(<[u8]>::to_ascii_lowercase);
    let says = |what: &str| ct.as_deref().is_some_and(|c| contains(c, what.as_bytes()));
    if trimmed.first() == Some(&b'{') || says("json") {
        return json(trimmed);
    }
    let html = says("html") || trimmed.first() == Some(&b'<');
    if html || trimmed.is_empty() || std::str::from_utf8(trimmed).is_err() {
        return BodyWords::default();
    }
    BodyWords {
        message: Some(String::from_utf8_lossy(trimmed).into_owned()),
        ..Default::default()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn json(body: &[u8]) -> BodyWords {
    // serde_json bounds nesting depth itself; the input is bounded above.
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return BodyWords::default();
    };
    let string = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let claim_message = || {
        CLAIM_KEYS
            .iter()
            .find_map(|k| Some(format!("{k}: {}", map.get(*k)?.as_str()?)))
    };
    BodyWords {
        error: string("error"),
        error_description: string("error_description"),
        message: string("message")
            .or_else(|| string("detail"))
            .or_else(claim_message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_json_shapes_middlewares_send() {
        let w = read(
            br#"{"error":"insufficient_scope","error_description":"The access token audience does not match","error_code":"x"}"#,
            Some(b"application/json"),
        );
        assert_eq!(w.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(
            w.error_description.as_deref(),
            Some("The access token audience does not match")
        );
        let kong = read(br#"{"exp":"token expired"}"#, None);
        assert_eq!(kong.message.as_deref(), Some("exp: token expired"));
        let kong = read(br#"{"nbf":"token not valid yet"}"#, None);
        assert_eq!(kong.message.as_deref(), Some("nbf: token not valid yet"));
        let kong = read(br#"{"message":"Invalid signature"}"#, None);
        assert_eq!(kong.message.as_deref(), Some("Invalid signature"));
        let fastapi = read(br#"{"detail":"Signature has expired"}"#, None);
        assert_eq!(fastapi.message.as_deref(), Some("Signature has expired"));
    }

    #[test]
    fn plain_text_is_kept_and_html_or_junk_is_not() {
        let envoy = read(b"Audiences in Jwt are not allowed", Some(b"text/plain"));
        assert_eq!(
            envoy.message.as_deref(),
            Some("Audiences in Jwt are not allowed")
        );
        assert_eq!(
            read(b"<!DOCTYPE html><pre>InsufficientScopeError</pre>", None),
            BodyWords::default()
        );
        assert_eq!(
            read(b"Forbidden", Some(b"text/html; charset=utf-8")),
            BodyWords::default()
        );
        assert_eq!(read(b"\xff\xfe\x00", None), BodyWords::default());
        assert_eq!(read(br#"{"error": [1, 2"#, None), BodyWords::default());
        assert_eq!(
            read(b"[1,2]", Some(b"application/json")),
            BodyWords::default()
        );
    }

    #[test]
    fn hostile_bodies_stay_bounded() {
        let deep = "[".repeat(100_000);
        assert_eq!(
            read(deep.as_bytes(), Some(b"application/json")),
            BodyWords::default()
        );
        let long = format!(r#"{{"message":"{}"}}"#, "a".repeat(100_000));
        // Cut at MAX_BODY the JSON no longer parses: nothing, rather than unbounded work.
        assert_eq!(read(long.as_bytes(), None), BodyWords::default());
        let text = "x".repeat(100_000);
        assert_eq!(
            read(text.as_bytes(), None).message.map(|m| m.len()),
            Some(MAX_BODY)
        );
    }
}
