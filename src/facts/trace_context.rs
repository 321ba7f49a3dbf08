//! W3C Trace Context (`traceparent`) and `X-Request-Id`: parse what came in, start a new trace
//! when it is absent or invalid, and forward authlens's own span id upstream.

use crate::base::hex::{push_hex, write_hex};
use http::HeaderValue;
use rand::RngCore;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    /// The caller's span, when a valid `traceparent` came in.
    pub parent_id: Option<[u8; 8]>,
    /// authlens's own span for this exchange.
    pub span_id: [u8; 8],
    pub flags: u8,
}

impl TraceContext {
    /// A new trace, as the spec asks for when the header is absent or invalid.
    pub fn fresh() -> Self {
        let mut rng = rand::rng();
        let mut trace_id = [0u8; 16];
        while trace_id == [0; 16] {
            rng.fill_bytes(&mut trace_id);
        }
        TraceContext {
            trace_id,
            parent_id: None,
            span_id: new_span_id(),
            flags: 0,
        }
    }

    /// Continues the caller's trace when `traceparent` is valid; otherwise starts a new one.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| parse(v.as_bytes()))
            .unwrap_or_else(Self::fresh)
    }

    /// The `traceparent` to send upstream: same trace, authlens's span as the parent.
    pub fn to_header(&self) -> HeaderValue {
        // Built on the stack: one allocation per request (the value's), not two.
        let mut s = *b"00-00000000000000000000000000000000-0000000000000000-00";
        write_hex(&mut s[3..35], &self.trace_id);
        write_hex(&mut s[36..52], &self.span_id);
        write_hex(&mut s[53..55], &[self.flags]);
        HeaderValue::from_bytes(&s).expect("hex is a valid header value")
    }

    pub fn trace_id_hex(&self) -> String {
        let mut s = String::with_capacity(32);
        push_hex(&mut s, &self.trace_id);
        s
    }

    pub fn span_id_hex(&self) -> String {
        let mut s = String::with_capacity(16);
        push_hex(&mut s, &self.span_id);
        s
    }
}

fn new_span_id() -> [u8; 8] {
    let mut id = [0u8; 8];
    let mut rng = rand::rng();
    while id == [0; 8] {
        rng.fill_bytes(&mut id);
    }
    id
}

fn unhex<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in s.chunks(2).enumerate() {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None, // the spec allows lowercase hex only
        };
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// `version-traceid-parentid-flags`; version 00 must be exactly that, later versions may add
/// fields after the flags (W3C Trace Context §3.2).
fn parse(v: &[u8]) -> Option<TraceContext> {
    let mut parts = v.split(|&b| b == b'-');
    let version: [u8; 1] = unhex(parts.next()?)?;
    let trace_id: [u8; 16] = unhex(parts.next()?)?;
    let parent: [u8; 8] = unhex(parts.next()?)?;
    let flags: [u8; 1] = unhex(parts.next()?)?;
    let extra = parts.next().is_some();
    if version[0] == 0xff || (version[0] == 0 && extra) || trace_id == [0; 16] || parent == [0; 8] {
        return None;
    }
    Some(TraceContext {
        trace_id,
        parent_id: Some(parent),
        span_id: new_span_id(),
        flags: flags[0] & 0x01,
    })
}

/// Keeps a sane inbound `X-Request-Id` (1-128 printable ASCII characters) or makes one.
pub fn request_id(inbound: Option<&HeaderValue>, trace: &TraceContext) -> HeaderValue {
    match inbound {
        Some(v)
            if (1..=128).contains(&v.len())
                && v.as_bytes().iter().all(|b| b.is_ascii_graphic()) =>
        {
            v.clone()
        }
        _ => {
            let mut s = [b'-'; 41];
            write_hex(&mut s[..32], &trace.trace_id);
            write_hex(&mut s[33..], &trace.span_id[..4]);
            HeaderValue::from_bytes(&s).expect("hex is a valid header value")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_header_continues_the_trace_with_a_new_span() {
        let h = HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        let t = TraceContext::from_header(Some(&h));
        assert_eq!(t.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            t.parent_id,
            Some([0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7])
        );
        let out = t.to_header();
        let out = out.to_str().unwrap();
        assert!(out.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert!(out.ends_with("-01"));
        assert_ne!(&out[36..52], "00f067aa0ba902b7");
    }

    #[test]
    fn invalid_headers_start_a_new_trace() {
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "garbage",
            "",
        ] {
            let t = TraceContext::from_header(Some(&HeaderValue::from_static(bad)));
            assert_eq!(t.parent_id, None, "{bad}");
            assert_ne!(
                t.trace_id_hex(),
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "{bad}"
            );
        }
    }

    #[test]
    fn future_versions_may_carry_more_fields() {
        let h = HeaderValue::from_static(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever",
        );
        assert!(TraceContext::from_header(Some(&h)).parent_id.is_some());
    }

    #[test]
    fn request_ids_are_kept_only_when_sane() {
        let t = TraceContext::fresh();
        let keep = HeaderValue::from_static("abc-123");
        assert_eq!(request_id(Some(&keep), &t), keep);
        let long = HeaderValue::from_str(&"x".repeat(200)).unwrap();
        assert_ne!(request_id(Some(&long), &t), long);
        let spaced = HeaderValue::from_static("a b");
        assert_ne!(request_id(Some(&spaced), &t), spaced);
        assert!(
            request_id(None, &t)
                .to_str()
                .unwrap()
                .starts_with(&t.trace_id_hex())
        );
    }
}
