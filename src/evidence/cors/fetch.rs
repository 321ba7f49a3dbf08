//! The Fetch standard's CORS check and CORS-preflight checks (https://fetch.spec.whatwg.org/,
//! "CORS check" and "CORS-preflight fetch"), in the order a browser runs them.

use super::{CorsHeaders, Preflight};
use http::{HeaderValue, StatusCode};

/// Methods a browser never asks a preflight about ("CORS-safelisted method").
const SAFELISTED_METHODS: &[&[u8]] = &[b"GET", b"HEAD", b"POST"];
/// Header values quoted back in hints come from outside: keep them short.
const MAX_QUOTED: usize = 200;

/// The request's credentials mode, as far as authlens can tell. A cross-origin request that
/// carries cookies was sent with `credentials: "include"`. A preflight never carries cookies,
/// so its mode is unknown and it is checked as `NotInclude`: that can miss a block, never
/// invent one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    Include,
    NotInclude,
}

/// Why a browser would refuse the response. Quoted values are the upstream's, shortened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The preflight was not answered with an ok status (200–299).
    PreflightStatus(StatusCode),
    /// No `Access-Control-Allow-Origin` at all.
    NoAllowOrigin,
    /// Several `Access-Control-Allow-Origin` values, or one holding a list.
    AllowOriginMultiple(String),
    /// A single value that is neither `*` nor the request's origin.
    AllowOriginMismatch(String),
    /// `Access-Control-Allow-Origin: *` on a request with credentials.
    WildcardWithCredentials,
    /// Credentials sent, origin echoed, but `Access-Control-Allow-Credentials` is not `true`.
    CredentialsNotAllowed(Option<String>),
    /// The preflight's requested method is not in `Access-Control-Allow-Methods`.
    MethodNotAllowed { method: String, allowed: String },
    /// Requested headers `Access-Control-Allow-Headers` does not cover (lower-case names).
    HeadersNotAllowed {
        missing: Vec<String>,
        allowed: String,
        /// Only `Authorization` is missing, under a `*`: the Fetch standard refuses this, but
        /// shipping Chromium and Firefox still accept it (with a console warning), so the call
        /// works in most browsers today.
        tolerated: bool,
    },
}

/// The Fetch "CORS check" of one response against the request's serialized `origin`.
pub fn check_response(
    origin: &HeaderValue,
    cors: &CorsHeaders,
    credentials: Credentials,
) -> Result<(), Problem> {
    let value = match cors.allow_origin.as_slice() {
        [] => return Err(Problem::NoAllowOrigin),
        // Fetch reads the header as one combined value, so a list never equals an origin.
        [one] if !one.as_bytes().contains(&b',') => one,
        many => return Err(Problem::AllowOriginMultiple(joined(many))),
    };
    if value.as_bytes() == b"*" {
        return match credentials {
            Credentials::Include => Err(Problem::WildcardWithCredentials),
            Credentials::NotInclude => Ok(()),
        };
    }
    if value.as_bytes() != origin.as_bytes() {
        return Err(Problem::AllowOriginMismatch(quoted(value.as_bytes())));
    }
    let allowed = cors
        .allow_credentials
        .as_ref()
        .is_some_and(|v| v.as_bytes() == b"true");
    if credentials == Credentials::Include && !allowed {
        return Err(Problem::CredentialsNotAllowed(
            cors.allow_credentials
                .as_ref()
                .map(|v| quoted(v.as_bytes())),
        ));
    }
    Ok(())
}

/// The checks of a "CORS-preflight fetch": ok status, the CORS check, then the requested
/// method and headers. `status` is the preflight response's.
pub fn check_preflight(
    origin: &HeaderValue,
    status: StatusCode,
    cors: &CorsHeaders,
    preflight: &Preflight,
    credentials: Credentials,
) -> Result<(), Problem> {
    if !status.is_success() {
        return Err(Problem::PreflightStatus(status));
    }
    check_response(origin, cors, credentials)?;
    let strict = credentials == Credentials::Include;

    let methods = items(&cors.allow_methods);
    let method = preflight.method.as_bytes();
    let method_ok = SAFELISTED_METHODS.contains(&method)
        || methods.contains(&method)
        || (!strict && methods.contains(&&b"*"[..]));
    if !method_ok {
        return Err(Problem::MethodNotAllowed {
            method: quoted(method),
            allowed: joined(&cors.allow_methods),
        });
    }

    let names = items(&cors.allow_headers);
    let wildcard = !strict && names.contains(&&b"*"[..]);
    let requested = preflight.headers.as_ref().map(std::slice::from_ref);
    let missing: Vec<String> = items(requested.unwrap_or_default())
        .into_iter()
        .filter(|want| {
            let listed = names.iter().any(|n| n.eq_ignore_ascii_case(want));
            // Fetch: a `*` wildcard never covers `Authorization`.
            let covered = listed || (wildcard && !want.eq_ignore_ascii_case(b"authorization"));
            !covered
        })
        .map(|h| quoted(h).to_ascii_lowercase())
        .collect();
    if !missing.is_empty() {
        let tolerated = wildcard && missing.iter().all(|m| m == "authorization");
        return Err(Problem::HeadersNotAllowed {
            missing,
            allowed: joined(&cors.allow_headers),
            tolerated,
        });
    }
    Ok(())
}

/// Whether the response relies on a `*` wildcard somewhere, which a browser refuses as soon as
/// the request carries credentials.
pub fn uses_wildcard(cors: &CorsHeaders) -> bool {
    [&cors.allow_origin, &cors.allow_methods, &cors.allow_headers]
        .into_iter()
        .any(|values| items(values).contains(&&b"*"[..]))
}

/// The comma-separated items of every value of a header ("extracting header list values").
fn items(values: &[HeaderValue]) -> Vec<&[u8]> {
    values
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(|item| item.trim_ascii())
        .filter(|item| !item.is_empty())
        .collect()
}

fn joined(values: &[HeaderValue]) -> String {
    let all: Vec<&[u8]> = values.iter().map(HeaderValue::as_bytes).collect();
    quoted(&all.join(&b", "[..]))
}

fn quoted(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(MAX_QUOTED) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.into_owned(),
    }
}
