//! The cases of the browser test: the authlens config, the calls the page makes, and the
//! upstream that answers each path with its own misconfiguration.

use super::support::upstream::{Body, reply};
use http::{Method, Request};
use hyper::body::Incoming;

pub const CONFIG: &str = "\
routes:
  - name: errors
    path_prefix: /c/error_no_cors
  - name: cred_preflight
    path_prefix: /c/cred_star_preflight
  - name: acah_strict
    path_prefix: /c/acah_star_strict
cors:
  allowed_origins: [https://xaa.dev, https://app.xaa.dev]
  preflight_window: 1s
log:
  access_log: true
";

pub const PAGE: &str = "<!doctype html><title>cors</title><p>test page</p>";

pub const FETCH: &str = "\
const [url, method, token, credentials, cookie, done] = arguments;
if (cookie) document.cookie = 'session=test; path=/';
fetch(url, { method, credentials, headers: { Authorization: 'Bearer ' + token } })
  .then(r => r.text().then(() => done({ status: r.status })))
  .catch(e => done({ error: String(e) }));";

/// Where the calling page lives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// `http://localhost:P`: cross-site to authlens, so no cookies go along.
    Localhost,
    /// `http://127.0.0.1:P` with a cookie: same-site to authlens, so `credentials: 'include'`
    /// sends it, yet still cross-origin (another port).
    LoopbackWithCookie,
    /// authlens's own origin: same-origin calls.
    Authlens,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Did {
    Blocked,
    Status(u16),
}

pub struct Case {
    pub name: &'static str,
    /// The path segment that picks the upstream's behaviour.
    pub path: &'static str,
    pub page: Page,
    pub method: &'static str,
    pub token: &'static str,
    pub credentials: &'static str,
    /// Run in a Chromium that enforces the Fetch rule "`*` never covers Authorization".
    pub strict: bool,
    /// Wait first until authlens has counted an unfollowed preflight on this route.
    pub after_unfollowed: Option<&'static str>,
    /// authlens names the call only when its preflight's window passes without the request.
    pub late: bool,
    pub browser: Did,
    /// The CORS cause and detail authlens must log for this call, if any.
    pub authlens: Option<(&'static str, &'static str)>,
}

const fn case(
    name: &'static str,
    browser: Did,
    cause: Option<(&'static str, &'static str)>,
) -> Case {
    Case {
        name,
        path: name,
        page: Page::Localhost,
        method: "GET",
        token: "good",
        credentials: "same-origin",
        strict: false,
        after_unfollowed: None,
        late: false,
        browser,
        authlens: cause,
    }
}

const fn blocked(name: &'static str, cause: &'static str, detail: &'static str) -> Case {
    case(name, Did::Blocked, Some((cause, detail)))
}

pub fn cases() -> Vec<Case> {
    let with_cookie = |c: Case| Case {
        page: Page::LoopbackWithCookie,
        credentials: "include",
        ..c
    };
    vec![
        case("correct", Did::Status(200), None),
        blocked("no_acao", "cors_origin_not_allowed", ""),
        blocked("wrong_origin", "cors_origin_not_allowed", ""),
        blocked("two_acao", "cors_allow_origin_multiple", ""),
        blocked("acah_no_auth", "cors_header_not_allowed", "authorization"),
        // The Fetch standard says `*` never covers Authorization, but shipping Chromium lets it
        // through, and so does authlens until a browser is seen dropping the real request: the
        // first such call is named when its preflight's window passes, later ones at once.
        case("acah_star", Did::Status(200), None),
        Case {
            strict: true,
            path: "acah_star_strict",
            late: true,
            ..blocked(
                "acah_star_strict (1st)",
                "cors_header_not_allowed",
                "authorization",
            )
        },
        Case {
            strict: true,
            after_unfollowed: Some("acah_strict"),
            ..blocked(
                "acah_star_strict",
                "cors_header_not_allowed",
                "authorization",
            )
        },
        Case {
            method: "PUT",
            ..blocked("method", "cors_method_not_allowed", "")
        },
        blocked("preflight_401", "cors_preflight_auth_blocked", ""),
        blocked("preflight_404", "cors_preflight_not_ok", ""),
        Case {
            path: "error_no_cors",
            ..case("error_no_cors (success first)", Did::Status(200), None)
        },
        Case {
            token: "expired",
            ..blocked("error_no_cors", "cors_headers_missing_on_error", "")
        },
        Case {
            page: Page::Authlens,
            method: "PUT",
            ..case("same_origin", Did::Status(200), None)
        },
        with_cookie(blocked("cred_star", "cors_credentials_conflict", "")),
        // A preflight carries no cookies, so authlens cannot see the credentials mode: one page
        // load, one call, answered `ACAO: *` + `ACAC: true`, and no real request; the call is
        // named when the preflight's window passes. Once counted, the next one is named at once.
        with_cookie(Case {
            path: "cred_star_preflight",
            late: true,
            ..blocked("cred_star_preflight (1st)", "cors_credentials_conflict", "")
        }),
        with_cookie(Case {
            after_unfollowed: Some("cred_preflight"),
            ..blocked("cred_star_preflight", "cors_credentials_conflict", "")
        }),
    ]
}

/// The upstream: each `/c/<case>/...` path is misconfigured its own way.
pub async fn upstream(req: Request<Incoming>) -> http::Response<Body> {
    let h = req.headers();
    let origin = h.get("origin").and_then(|v| v.to_str().ok()).unwrap_or("");
    let good = h.get("authorization").is_some_and(|v| v == "Bearer good");
    let path = req.uri().path();
    let case = path.split('/').nth(2).unwrap_or("");
    let preflight = req.method() == Method::OPTIONS;
    let acao = |v| ("access-control-allow-origin", v);
    let methods = ("access-control-allow-methods", "GET, PUT");
    let headers = ("access-control-allow-headers", "authorization");
    let creds = ("access-control-allow-credentials", "true");
    if path.ends_with("/page") {
        return reply(200, &[("content-type", "text/html")], PAGE);
    }
    match (case, preflight) {
        ("no_acao", true) => reply(204, &[methods, headers], ""),
        ("wrong_origin", true) => reply(204, &[acao("https://xaa.dev"), methods, headers], ""),
        ("two_acao", true) => reply(204, &[acao(origin), acao(origin), methods, headers], ""),
        ("acah_no_auth", true) => {
            let h = ("access-control-allow-headers", "content-type");
            reply(204, &[acao(origin), methods, h], "")
        }
        ("acah_star" | "acah_star_strict", true) => {
            let h = ("access-control-allow-headers", "*");
            reply(204, &[acao(origin), methods, h], "")
        }
        ("method", true) => {
            let m = ("access-control-allow-methods", "GET, POST");
            reply(204, &[acao(origin), m, headers], "")
        }
        ("preflight_401", true) => reply(401, &[("www-authenticate", "Bearer")], ""),
        ("preflight_404", true) => reply(404, &[], "no route"),
        ("cred_star_preflight", true) => reply(204, &[acao("*"), creds, methods, headers], ""),
        ("cred_star", false) => reply(200, &[acao("*"), creds], "{}"),
        ("error_no_cors", false) if !good => {
            let challenge = ("www-authenticate", "Bearer error=\"invalid_token\"");
            reply(401, &[challenge], "")
        }
        ("same_origin", _) => reply(200, &[], "{}"),
        (_, true) => reply(204, &[acao(origin), methods, headers, creds], ""),
        (_, false) => reply(200, &[acao(origin), creds], "{}"),
    }
}
