//! CORS causes, by the Fetch standard's own checks on what the upstream answered.
//!
//! The verdict comes from the upstream's headers alone; `cors.allowed_origins` only words the
//! hint. Same-origin and non-browser (no `Origin`) traffic is never checked, as browsers run
//! no CORS check on it.

use super::{Exchange, Expected, Failure};
use crate::cause::{Cause, Confidence, Detail};
use crate::evidence::cors::{self, Credentials, Problem};
use crate::evidence::cors::{CorsHeaders, Preflight};
use crate::facts::ResponseFacts;
use http::HeaderValue;

/// `auth` is the auth failure of the same response, if any: a preflight rejected by the auth
/// layer, or an error response that hides its cause from the browser.
pub(super) fn check(
    x: &Exchange<'_>,
    resp: &ResponseFacts,
    auth: Option<&Failure>,
) -> Option<Failure> {
    let (origin, headers) = browser_call(x, resp)?;
    let failure = match &x.request.preflight {
        Some(pf) => preflight(x, resp, origin, headers, pf)?,
        None => actual(x, resp, origin, headers, auth)?,
    };
    Some(failure.expecting(expected_origin(origin)))
}

/// The verdict on a preflight that passed but whose real request never came within the window:
/// the browser refused the call for a reason only it could check. Named once, when the window
/// passes, for the answers browsers refuse in some modes (a wildcard with credentials, `*` for
/// Authorization); a preflight with neither gives no verdict (the page may just have moved on).
pub(super) fn unfollowed(x: &Exchange<'_>, resp: &ResponseFacts) -> Option<Failure> {
    let (origin, headers) = browser_call(x, resp)?;
    let pf = x.request.preflight.as_ref()?;
    let failure =
        match cors::check_preflight(origin, resp.status, headers, pf, Credentials::NotInclude) {
            Err(Problem::HeadersNotAllowed {
                tolerated: true, ..
            }) => tolerated_authorization(Seen::Once),
            Ok(()) => wildcard_suspect(origin, headers, Seen::Once)?,
            // Failing preflights are named when they are answered.
            Err(_) => return None,
        };
    Some(failure.expecting(expected_origin(origin)))
}

/// The `Origin` and CORS headers of a cross-origin browser call; `None` for traffic browsers
/// run no CORS check on, or an answer whose headers were not kept.
fn browser_call<'a>(
    x: &'a Exchange<'_>,
    resp: &'a ResponseFacts,
) -> Option<(&'a HeaderValue, &'a CorsHeaders)> {
    let req = x.request;
    let origin = req.origin.as_ref()?;
    let not_cors_mode = req
        .fetch_mode
        .as_ref()
        .is_some_and(|m| m.as_bytes() != b"cors");
    if not_cors_mode || cors::is_same_origin(origin, req.host.as_ref()) {
        return None;
    }
    // The proxy copies the CORS headers whenever there is an `Origin`; without them, no verdict.
    Some((origin, resp.cors.as_ref()?))
}

fn expected_origin(origin: &HeaderValue) -> Expected {
    Expected {
        origin: Some(text(origin)),
        ..Expected::default()
    }
}

/// How authlens knows the browser gave up on the call.
#[derive(Clone, Copy)]
enum Seen {
    /// This preflight's window passed without its request.
    Once,
    /// Earlier identical preflights went unfollowed.
    Earlier,
}

impl Seen {
    fn words(self) -> &'static str {
        match self {
            Seen::Once => "the browser never sent the real request after this preflight",
            Seen::Earlier => {
                "browsers here did not follow earlier identical preflights with the real request"
            }
        }
    }
}

fn preflight(
    x: &Exchange<'_>,
    resp: &ResponseFacts,
    origin: &HeaderValue,
    headers: &CorsHeaders,
    pf: &Preflight,
) -> Option<Failure> {
    let unfollowed = x.history.preflights_unfollowed;
    let failure =
        match cors::check_preflight(origin, resp.status, headers, pf, Credentials::NotInclude) {
            // Most browsers let these through; a first one is judged when its window passes
            // (`unfollowed`), later ones at once if browsers were seen giving up on them.
            Err(Problem::HeadersNotAllowed {
                tolerated: true, ..
            })
            | Ok(())
                if unfollowed == 0 =>
            {
                return None;
            }
            Err(Problem::HeadersNotAllowed {
                tolerated: true, ..
            }) => tolerated_authorization(Seen::Earlier),
            Err(problem) => failure(x, origin, problem),
            Ok(()) => wildcard_suspect(origin, headers, Seen::Earlier)?,
        };
    Some(with_unfollowed(failure, unfollowed))
}

/// `Access-Control-Allow-Headers: *` for a call that sends Authorization.
fn tolerated_authorization(seen: Seen) -> Failure {
    Failure::new(
        Cause::CorsHeaderNotAllowed,
        Detail::Authorization,
        Confidence::Heuristic,
        format!(
            "the preflight answers Access-Control-Allow-Headers: *, which the Fetch standard says never covers \
             Authorization; Chromium and Firefox still accept it, but {}, so the browser enforces the rule (or \
             the call sends credentials, for which `*` is no wildcard): list Authorization explicitly",
            seen.words()
        ),
    )
}

/// A preflight that passes only without credentials (a `*` wildcard), given up on by the
/// browser: the page most likely sends credentials.
fn wildcard_suspect(origin: &HeaderValue, headers: &CorsHeaders, seen: Seen) -> Option<Failure> {
    if !cors::uses_wildcard(headers) {
        return None;
    }
    let star_origin = headers.allow_origin.iter().any(|v| v.as_bytes() == b"*");
    let credentials = headers
        .allow_credentials
        .as_ref()
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
    let answer = if star_origin && credentials {
        "it answers Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true, \
         which browsers refuse for a credentialed call"
    } else {
        "it passes only without credentials (it answers with a `*` wildcard)"
    };
    Some(Failure::new(
        Cause::CorsCredentialsConflict,
        Detail::None,
        Confidence::Heuristic,
        format!(
            "{} and {answer}: the page most likely sends credentials (credentials: 'include'), so echo origin \
             {} instead of `*` and send Access-Control-Allow-Credentials: true",
            seen.words(),
            text(origin)
        ),
    ))
}

fn actual(
    x: &Exchange<'_>,
    resp: &ResponseFacts,
    origin: &HeaderValue,
    headers: &CorsHeaders,
    auth: Option<&Failure>,
) -> Option<Failure> {
    let credentials = if x.request.cookie_present {
        Credentials::Include
    } else {
        Credentials::NotInclude
    };
    let problem = cors::check_response(origin, headers, credentials).err()?;
    let error = resp.status.is_client_error() || resp.status.is_server_error();
    let bare_error = error && problem == Problem::NoAllowOrigin;
    let mut failure = if bare_error && x.history.route_cors_on_success {
        let status = resp.status.as_u16();
        Failure::new(
            Cause::CorsHeadersMissingOnError,
            Detail::None,
            Confidence::Proxy,
            format!(
                "the API's {status} response lacks the CORS headers its successful responses on this route carry, \
                 so the browser reports a CORS error instead of the real {status}: add CORS headers to error \
                 responses too"
            ),
        )
    } else if bare_error {
        let mut f = failure(x, origin, problem);
        f.hint.push_str(
            " (if successful calls on this route do carry it, the API omits CORS headers on its errors)",
        );
        f
    } else {
        failure(x, origin, problem)
    };
    // The browser hides the real status from the page; keep its cause. classify() itself adds
    // the auth cause for `cors_headers_missing_on_error`.
    match auth {
        Some(a) if failure.cause != Cause::CorsHeadersMissingOnError => {
            failure.hiding(a.cause, a.detail)
        }
        None if resp.status.is_server_error() => {
            failure.hiding(Cause::UpstreamServerError, Detail::None)
        }
        _ => {}
    }
    Some(failure)
}

/// The cause and hint of one failed Fetch check.
fn failure(x: &Exchange<'_>, origin: &HeaderValue, problem: Problem) -> Failure {
    let o = text(origin);
    let proof = Confidence::Proxy;
    let (cause, detail, hint) = match problem {
        Problem::PreflightStatus(status) if matches!(status.as_u16(), 401 | 403) => (
            Cause::CorsPreflightAuthBlocked,
            Detail::None,
            format!(
                "the auth layer answered the CORS preflight (OPTIONS) with {}, but preflights never carry a \
                 token: let OPTIONS through before authentication (CORS handler first, or skip auth on OPTIONS)",
                status.as_u16()
            ),
        ),
        Problem::PreflightStatus(status) => (
            Cause::CorsPreflightNotOk,
            Detail::None,
            format!(
                "the API answered the CORS preflight (OPTIONS) with {}, and browsers need a 2xx: add an OPTIONS \
                 handler or CORS middleware for this route",
                status.as_u16()
            ),
        ),
        Problem::NoAllowOrigin => (
            Cause::CorsOriginNotAllowed,
            Detail::None,
            format!(
                "the API sent no Access-Control-Allow-Origin for origin {o}{}",
                allow_list(x, &o)
            ),
        ),
        Problem::AllowOriginMismatch(got) => (
            Cause::CorsOriginNotAllowed,
            Detail::None,
            format!(
                "the API allowed origin {got} but the page's origin is {o}{}{}",
                near_miss(&got, &o),
                allow_list(x, &o)
            ),
        ),
        Problem::AllowOriginMultiple(got) => (
            Cause::CorsAllowOriginMultiple,
            Detail::None,
            format!(
                "Access-Control-Allow-Origin arrived as `{got}`: two layers (say a gateway and the app) both add \
                 it; emit it once, holding only {o}"
            ),
        ),
        Problem::WildcardWithCredentials => (
            Cause::CorsCredentialsConflict,
            Detail::None,
            format!(
                "the browser sends credentials (cookies), so Access-Control-Allow-Origin must echo {o} instead of \
                 `*`, together with Access-Control-Allow-Credentials: true"
            ),
        ),
        Problem::CredentialsNotAllowed(got) => (
            Cause::CorsCredentialsConflict,
            Detail::None,
            format!(
                "the browser sends credentials (cookies), so the API must send Access-Control-Allow-Credentials: \
                 true (got {})",
                got.as_deref().unwrap_or("none")
            ),
        ),
        Problem::MethodNotAllowed { method, allowed } => (
            Cause::CorsMethodNotAllowed,
            Detail::None,
            format!(
                "the preflight response does not allow method {method} (Access-Control-Allow-Methods: {}): add it",
                or_none(&allowed)
            ),
        ),
        Problem::HeadersNotAllowed {
            missing, allowed, ..
        } => (
            Cause::CorsHeaderNotAllowed,
            header_detail(&missing),
            format!(
                "the preflight response does not allow request header {} (Access-Control-Allow-Headers: {}): \
                 list it explicitly",
                missing.join(", "),
                or_none(&allowed)
            ),
        ),
    };
    Failure::new(cause, detail, proof, hint)
}

/// The detail names the most telling missing header: Authorization for a bearer API first.
fn header_detail(missing: &[String]) -> Detail {
    let has = |name: &str| missing.iter().any(|m| m == name);
    if has("authorization") {
        Detail::Authorization
    } else if has("content-type") {
        Detail::ContentType
    } else {
        Detail::Other
    }
}

/// Words the operator's expectation (`cors.allowed_origins`) into the hint.
fn allow_list(x: &Exchange<'_>, origin: &str) -> String {
    let list = &x.policy.cors_allowed_origins;
    if list.is_empty() {
        return ": add it to the API's CORS allow-list if this page should call the API".into();
    }
    let shown = list.join(", ");
    if list.iter().any(|o| o == origin) {
        format!(
            "; it is in the allowed list [{shown}], so the API's own CORS allow-list lacks it: add it there"
        )
    } else {
        format!(
            "; origin {origin} is not in the allowed list [{shown}]: if this page should call the API, add the \
             origin to the API's CORS allow-list and to cors.allowed_origins"
        )
    }
}

/// Near misses on the exact comparison browsers make.
fn near_miss(got: &str, origin: &str) -> &'static str {
    if got.trim_end_matches('/') == origin {
        " (drop the trailing slash: the value must equal the origin exactly)"
    } else if got.eq_ignore_ascii_case(origin) {
        " (the case differs: the value must equal the origin exactly)"
    } else if got.split_once("://").map(|(_, rest)| rest)
        == origin.split_once("://").map(|(_, r)| r)
    {
        " (the scheme differs: the value must equal the origin exactly)"
    } else {
        ""
    }
}

fn with_unfollowed(mut f: Failure, unfollowed: u32) -> Failure {
    if unfollowed > 0 {
        f.hint.push_str(&format!(
            "; {unfollowed} earlier preflight(s) for this origin, path and method were not followed by the real \
             request, so browsers are blocking it"
        ));
    }
    f
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "none" } else { s }
}

/// The `Origin` value for hints; it is visible ASCII or it could not have been a header value,
/// and it is cut short like every client-sent text.
fn text(v: &HeaderValue) -> String {
    let s = v.to_str().unwrap_or("<non-ascii>");
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests;
