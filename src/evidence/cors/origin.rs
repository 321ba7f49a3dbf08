//! Telling a page's own API calls from cross-origin ones: a browser runs no CORS check on
//! same-origin requests, so authlens must not either.

use http::HeaderValue;
use http::uri::Authority;

/// Whether `origin` (the `Origin` header) names the same host and port the request was sent to
/// (`Host`, or the h2 authority). The scheme is not compared: behind a TLS-terminating balancer
/// authlens sees plain HTTP for an `https://` page, so the origin's scheme only supplies the
/// default port. No `Host`, an opaque `null` origin or anything unparsable counts as
/// cross-origin.
pub fn is_same_origin(origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
    let Some(host) = host else {
        return false;
    };
    let Some((scheme, authority)) = origin.to_str().ok().and_then(|o| o.split_once("://")) else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    let (Ok(page), Ok(target)) = (
        Authority::try_from(authority),
        Authority::try_from(host.as_bytes()),
    ) else {
        return false;
    };
    page.host().eq_ignore_ascii_case(target.host())
        && page.port_u16().unwrap_or(default_port) == target.port_u16().unwrap_or(default_port)
}

#[cfg(test)]
mod tests;
