//! Header handling for a transparent hop: drop hop-by-hop fields (RFC 9110 §7.6.1, including
//! those named in `Connection`), add the forwarding headers, and leave everything else alone.

use super::accept::Connection;
use crate::facts::RequestFacts;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{PathAndQuery, Uri};
use http::{Request, Version};
use std::net::IpAddr;

static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The fixed hop-by-hop fields, as names (a `&str` would be parsed on every lookup).
fn hop_by_hop() -> [&'static HeaderName; 6] {
    [
        &header::CONNECTION,
        &KEEP_ALIVE,
        &PROXY_CONNECTION,
        &header::TE,
        &header::TRANSFER_ENCODING,
        &header::UPGRADE,
    ]
}

/// `Upgrade` with `Connection: upgrade` (WebSocket): those two must reach the upstream.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers.get_all(header::CONNECTION).iter().any(|v| {
            v.as_bytes()
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
        })
}

/// Removes hop-by-hop fields. An upgrade keeps `Upgrade` and a bare `Connection: upgrade`;
/// `TE: trailers` is kept because it is how a client asks for trailers end to end.
pub fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    // Fields named in `Connection` are removed only along with it, so a message without any
    // fixed hop-by-hop field (most requests) needs no more than this one pass.
    let fixed = hop_by_hop();
    if !headers.keys().any(|k| fixed.contains(&k)) {
        return;
    }
    // `Connection: keep-alive` / `close` (nearly every upstream answer) names no field beyond
    // the fixed ones: no name to parse, nothing to collect.
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|t| {
            !t.eq_ignore_ascii_case(b"close")
                && !fixed
                    .iter()
                    .any(|f| t.eq_ignore_ascii_case(f.as_str().as_bytes()))
        })
        .filter_map(|t| HeaderName::from_bytes(t).ok())
        .collect();
    let wants_trailers = headers.get_all(header::TE).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"trailers"))
    });
    for name in listed
        .iter()
        .filter(|n| !(keep_upgrade && *n == header::UPGRADE))
    {
        headers.remove(name);
    }
    for name in fixed {
        if keep_upgrade && (name == header::UPGRADE || name == header::CONNECTION) {
            continue;
        }
        headers.remove(name);
    }
    if keep_upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    if wants_trailers {
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
    }
}

/// Turns the inbound request into the upstream one, in place. `version` is what the upstream
/// connection speaks; the forwarding headers say what the client's connection really was;
/// `upgrade` is `is_upgrade` of the request, which the caller has already asked.
pub fn prepare<B>(
    req: &mut Request<B>,
    facts: &RequestFacts,
    conn: &Connection,
    version: Version,
    upgrade: bool,
) {
    let authority = req.uri().authority().cloned();
    // The path alone: the upstream client puts it on the connection's origin (an h2 client's
    // or an absolute-form URI names authlens, not the upstream; an authority-form one has none).
    if req.uri().authority().is_some() || req.uri().path_and_query().is_none() {
        let path = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        *req.uri_mut() = Uri::from(path);
    }
    let from_h2 = req.version() == Version::HTTP_2;
    *req.version_mut() = version;

    let headers = req.headers_mut();
    strip_hop_by_hop(headers, upgrade);
    // An HTTP/1.1 upstream needs the host as `Host`.
    if from_h2
        && version == Version::HTTP_11
        && !headers.contains_key(header::HOST)
        && let Some(a) = authority
            .as_ref()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    {
        headers.insert(header::HOST, a);
    }
    if let Some(v) = forwarded_for(headers.get(&X_FORWARDED_FOR), conn.peer.ip()) {
        headers.insert(X_FORWARDED_FOR.clone(), v);
    }
    // An outer proxy knows the original scheme and host better than this hop does.
    if !headers.contains_key(&X_FORWARDED_PROTO) {
        headers.insert(
            X_FORWARDED_PROTO.clone(),
            HeaderValue::from_static(conn.scheme()),
        );
    }
    if !headers.contains_key(&X_FORWARDED_HOST)
        && let Some(host) = facts.host.clone()
    {
        headers.insert(X_FORWARDED_HOST.clone(), host);
    }
    headers.insert(TRACEPARENT.clone(), facts.trace.to_header());
    headers.insert(X_REQUEST_ID.clone(), facts.request_id.clone());
}

/// `X-Forwarded-For` with this hop's client appended. The address is written on the stack, so
/// the usual case (no earlier hop) costs one allocation, the value's own.
fn forwarded_for(prev: Option<&HeaderValue>, ip: IpAddr) -> Option<HeaderValue> {
    use std::io::Write;
    // The longest text form of an address (IPv6 with an IPv4 tail) is 45 bytes.
    let mut buf = [0u8; 45];
    let left = {
        let mut w = &mut buf[..];
        write!(w, "{ip}").ok()?;
        w.len()
    };
    let addr = &buf[..buf.len() - left];
    match prev {
        None => HeaderValue::from_bytes(addr).ok(),
        Some(p) => HeaderValue::from_bytes(&[p.as_bytes(), b", ", addr].concat()).ok(),
    }
}
