//! gRPC's own status: `grpc-status` and `grpc-message`, in the trailers (or, for a
//! trailers-only answer, the head) of an HTTP 200. UNAUTHENTICATED and PERMISSION_DENIED are
//! gRPC's 401 and 403.

use http::{HeaderMap, StatusCode, header};

/// The status a gRPC answer ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrpcStatus {
    pub code: u32,
    /// `grpc-message`, percent-decoded.
    pub message: Option<String>,
}

pub const UNAUTHENTICATED: u32 = 16;
pub const PERMISSION_DENIED: u32 = 7;

/// A gRPC call answers with `content-type: application/grpc` (or `application/grpc+proto`…).
pub fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

impl GrpcStatus {
    /// The status in `fields` (trailers, or a trailers-only head), if they carry one.
    pub fn from_fields(fields: &HeaderMap) -> Option<Self> {
        let code = std::str::from_utf8(fields.get("grpc-status")?.as_bytes())
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let message = fields
            .get("grpc-message")
            .map(|m| percent_decode(m.as_bytes()))
            .filter(|m| !m.is_empty());
        Some(GrpcStatus { code, message })
    }

    /// The HTTP status this gRPC status means for auth: 401 and 403, else none.
    pub fn auth_status(&self) -> Option<StatusCode> {
        match self.code {
            UNAUTHENTICATED => Some(StatusCode::UNAUTHORIZED),
            PERMISSION_DENIED => Some(StatusCode::FORBIDDEN),
            _ => None,
        }
    }
}

/// gRPC percent-encodes `grpc-message` (bytes outside printable ASCII and `%`).
fn percent_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (raw[i], raw.get(i + 1).copied(), raw.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn fields(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn reads_status_and_decodes_message() {
        let s = GrpcStatus::from_fields(&fields(&[
            ("grpc-status", "16"),
            ("grpc-message", "token%20expired%3A%20exp%E2%9C%93%"),
        ]))
        .expect("a status");
        assert_eq!(s.code, 16);
        assert_eq!(s.message.as_deref(), Some("token expired: exp\u{2713}%"));
        assert_eq!(s.auth_status(), Some(StatusCode::UNAUTHORIZED));
    }

    #[test]
    fn permission_denied_is_403_and_others_are_not_auth() {
        let denied = GrpcStatus::from_fields(&fields(&[("grpc-status", "7")])).unwrap();
        assert_eq!(denied.auth_status(), Some(StatusCode::FORBIDDEN));
        assert_eq!(denied.message, None);
        let ok = GrpcStatus::from_fields(&fields(&[("grpc-status", "0")])).unwrap();
        assert_eq!(ok.auth_status(), None);
        assert_eq!(
            GrpcStatus::from_fields(&fields(&[("grpc-status", "x")])),
            None
        );
        assert_eq!(GrpcStatus::from_fields(&HeaderMap::new()), None);
    }
}
