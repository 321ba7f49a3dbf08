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
    let headers = resp.cors.as_ref()?;
    let failure = match &req.preflight {
        Some(pf) => preflight(x, resp, origin, headers, pf)?,
        None => actual(x, resp, origin, headers, auth)?,
    };
    Some(failure.expecting(Expected {
        origin: Some(text(origin)),
        ..Expected::default()
    }))
}

fn preflight(
    x: &Exchange<'_>,
    resp: &ResponseFacts,
    origin: &HeaderValue,
    headers: &CorsHeaders,
    pf: &Preflight,
) -> Option<Failure> {
    let unfollowed = x.history.preflights_unfollowed;
    let failure = match cors::check_preflight(
        origin,
        resp.status,
        headers,
        pf,
        Credentials::NotInclude,
    ) {
        // Most browsers let this through; name it only once browsers are seen refusing it.
        Err(Problem::HeadersNotAllowed {
            tolerated: true, ..
        }) if unfollowed == 0 => return None,
        Err(Problem::HeadersNotAllowed {
            tolerated: true, ..
        }) => Failure::new(
            Cause::CorsHeaderNotAllowed,
            Detail::Authorization,
            Confidence::Heuristic,
            "the preflight answers Access-Control-Allow-Headers: *, which the Fetch standard says never covers \
             Authorization; Chromium and Firefox still accept it, but browsers here did not follow earlier \
             identical preflights with the real request, so they enforce the rule (or send credentials): list \
             Authorization explicitly",
        ),
        Err(problem) => failure(x, origin, problem),
        // Passing on wildcards, yet the browser dropped the real request after earlier such
        // answers: the page most likely sends credentials, for which `*` is refused.
        Ok(()) if unfollowed > 0 && cors::uses_wildcard(headers) => Failure::new(
            Cause::CorsCredentialsConflict,
            Detail::None,
            Confidence::Heuristic,
            format!(
                "this preflight passes only without credentials (it answers with a `*` wildcard), and the \
                 browser did not follow earlier identical preflights with the real request: the page most \
                 likely sends credentials (credentials: 'include'), so echo origin {} instead of `*` and send \
                 Access-Control-Allow-Credentials: true",
                text(origin)
            ),
        ),
        Ok(()) => return None,
    };
    Some(with_unfollowed(failure, unfollowed))
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
