//! The demo's traffic: one request per mistake users make, each with the verdict authlens
//! should reach.

use super::keys::{DemoKey, sign_hmac};
use super::servers::{APP_ORIGIN, AUDIENCE};
use serde_json::{Value, json};

pub struct Scenario {
    pub name: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    /// `cause/detail`, `finding:NAME`, or `ok`.
    pub expect: &'static str,
}

pub struct Tokens<'a> {
    pub issuer: &'a str,
    pub published: &'a DemoKey,
    pub unpublished: &'a DemoKey,
    pub now: i64,
}

impl<'a> Tokens<'a> {
    /// Tokens minted now, so the good ones are good for the next ten minutes.
    pub fn minted_now(issuer: &'a str, published: &'a DemoKey, unpublished: &'a DemoKey) -> Self {
        Tokens {
            issuer,
            published,
            unpublished,
            now: crate::base::clock::unix_now(),
        }
    }

    fn claims(&self, scope: &str) -> Value {
        json!({
            "iss": self.issuer, "aud": AUDIENCE, "sub": "demo-user", "client_id": "demo-client",
            "iat": self.now, "exp": self.now + 600, "jti": format!("j-{scope}"), "scope": scope,
        })
    }

    fn with(&self, scope: &str, key: &str, value: Value) -> Value {
        let mut c = self.claims(scope);
        c[key] = value;
        c
    }

    fn bearer(token: String) -> Vec<(&'static str, String)> {
        vec![("authorization", format!("Bearer {token}"))]
    }
}

pub fn all(t: &Tokens<'_>) -> Vec<Scenario> {
    let good = t.published.sign("at+jwt", &t.claims("files.read"));
    let tampered = {
        let other = t
            .published
            .sign("at+jwt", &t.claims("files.read files.write"));
        let (head_payload, _) = other.rsplit_once('.').unwrap_or_default();
        let (_, sig) = good.rsplit_once('.').unwrap_or_default();
        format!("{head_payload}.{sig}")
    };
    let s = |name, method, path, headers, expect| Scenario {
        name,
        method,
        path,
        headers,
        body: None,
        expect,
    };
    vec![
        s(
            "a valid token",
            "GET",
            "/files",
            Tokens::bearer(good.clone()),
            "ok",
        ),
        s("no token at all", "GET", "/files", vec![], "token_missing/"),
        s(
            "Basic credentials instead of a token",
            "GET",
            "/files",
            vec![("authorization", "Basic ZGVtbzpkZW1v".into())],
            "auth_scheme_not_bearer/basic",
        ),
        s(
            "an opaque string as token",
            "GET",
            "/files",
            Tokens::bearer("8f14e45fceea167a5a36dedd4bea2543".into()),
            "token_malformed/opaque",
        ),
        s(
            "an expired token",
            "GET",
            "/files",
            Tokens::bearer(
                t.published
                    .sign("at+jwt", &t.with("files.read", "exp", json!(t.now - 3600))),
            ),
            "token_expired/",
        ),
        s(
            "aud without the trailing slash",
            "GET",
            "/files",
            Tokens::bearer(t.published.sign(
                "at+jwt",
                &t.with("files.read", "aud", json!(AUDIENCE.trim_end_matches('/'))),
            )),
            "audience_mismatch/trailing_slash",
        ),
        s(
            "iss with a trailing slash",
            "GET",
            "/files",
            Tokens::bearer(t.published.sign(
                "at+jwt",
                &t.with("files.read", "iss", json!(format!("{}/", t.issuer))),
            )),
            "issuer_mismatch/trailing_slash",
        ),
        s(
            "an HS256 token",
            "GET",
            "/files",
            Tokens::bearer(sign_hmac(&t.claims("files.read"))),
            "alg_not_allowed/hmac",
        ),
        s(
            "a key the issuer never published",
            "GET",
            "/files",
            Tokens::bearer(t.unpublished.sign("at+jwt", &t.claims("files.read"))),
            "kid_unknown/",
        ),
        s(
            "a tampered token",
            "GET",
            "/files",
            Tokens::bearer(tampered),
            "signature_invalid/",
        ),
        s(
            "the ID-JAG instead of the access token",
            "GET",
            "/files",
            Tokens::bearer(t.published.sign(
                "oauth-id-jag+jwt",
                &t.with("files.read", "aud", json!(t.issuer)),
            )),
            "id_jag_sent/",
        ),
        s(
            "a token without the route's scope",
            "GET",
            "/files",
            Tokens::bearer(t.published.sign("at+jwt", &t.claims("profile"))),
            "scope_missing/",
        ),
        s(
            "scopes joined with commas",
            "GET",
            "/files",
            Tokens::bearer(
                t.published
                    .sign("at+jwt", &t.claims("files.read,files.write")),
            ),
            "scope_delimiter_wrong/",
        ),
        s(
            "files:read instead of files.read",
            "GET",
            "/files",
            Tokens::bearer(t.published.sign("at+jwt", &t.claims("files:read"))),
            "scope_name_mismatch/",
        ),
        s(
            "a role check the token cannot pass",
            "GET",
            "/admin",
            Tokens::bearer(good.clone()),
            "forbidden_other/",
        ),
        s(
            "a page on an origin the API does not allow",
            "OPTIONS",
            "/files",
            vec![
                ("origin", "https://evil.demo.local".into()),
                ("access-control-request-method", "GET".into()),
                ("access-control-request-headers", "authorization".into()),
            ],
            "cors_origin_not_allowed/",
        ),
        s(
            "a preflight the auth layer rejects",
            "OPTIONS",
            "/admin",
            vec![
                ("origin", APP_ORIGIN.into()),
                ("access-control-request-method", "GET".into()),
                ("access-control-request-headers", "authorization".into()),
            ],
            "cors_preflight_auth_blocked/",
        ),
        s(
            "a route that forgot its auth middleware",
            "GET",
            "/public",
            vec![],
            "finding:unprotected_route",
        ),
        s(
            "a handler that hangs",
            "GET",
            "/slow",
            Tokens::bearer(good.clone()),
            "upstream_response_timeout/",
        ),
        s(
            "a server error",
            "GET",
            "/boom",
            Tokens::bearer(good),
            "upstream_server_error/",
        ),
    ]
}
