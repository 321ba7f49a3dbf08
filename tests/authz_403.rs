//! 403s end to end: the real authlens binary in front of a real hyper upstream that answers 403
//! the way each middleware does (taxonomy §2), with real ES256 tokens whose keys a loopback
//! JWKS server publishes. The cause must reach the log line and the failure counter.

mod interop;
mod support;

use authlens::evidence::token::Fingerprint;
use http::Request;
use http_body_util::Full;
use interop::{Signer, serve_json};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};
use support::upstream::reply;
use support::{Authlens, Upstream, send};

const ISSUER: &str = "https://auth.resource.example";
const AUDIENCE: &str = "https://api.example/";

/// How one path's upstream answers: (path, status, headers, body).
type Answer = (
    &'static str,
    u16,
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[rustfmt::skip]
const ANSWERS: &[Answer] = &[
    // express-oauth2-jwt-bearer requiredScopes
    ("/files", 403, &[("www-authenticate", r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="files.read""#)], "Forbidden"),
    ("/reports", 403, &[("www-authenticate", r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="reports.read""#)], "Forbidden"),
    // Spring BearerTokenAccessDeniedHandler: no scope=
    ("/spring", 403, &[("www-authenticate", r#"Bearer error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token.", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1""#)], ""),
    // ASP.NET HandleForbiddenAsync: a bare 403
    ("/aspnet", 403, &[], ""),
    // An application's own ownership rule
    ("/owner", 403, &[("content-type", "application/json")], r#"{"message":"only the owner may read this file"}"#),
    // Envoy jwt_authn: the one status it maps to 403
    ("/envoy", 403, &[("www-authenticate", r#"Bearer realm="http://api/envoy", error="invalid_token""#), ("content-type", "text/plain")], "Audiences in Jwt are not allowed"),
    // go-jwt-middleware v3: issuer problems as insufficient_scope, detail in header and body
    ("/gojwt", 403, &[("www-authenticate", r#"Bearer error="insufficient_scope", error_description="The access token was issued by an untrusted issuer""#), ("content-type", "application/json")], r#"{"error":"insufficient_scope","error_description":"The access token was issued by an untrusted issuer","error_code":"invalid_issuer"}"#),
    // Older Kong: 403 with a JSON message, no challenge
    ("/kong", 403, &[("content-type", "application/json")], r#"{"message":"Invalid signature"}"#),
];

fn config(upstream: &str, jwks: &str) -> String {
    Authlens::config(
        upstream,
        &format!(
            "\
routes:
  - name: files
    path: /files
    required_scopes: [files.read]
  - name: spring
    path: /spring
    required_scopes: [files.read]
  - name: aspnet
    path: /aspnet
    required_scopes: [files.read]
auth:
  issuers:
    - name: resource-as
      issuer: {ISSUER}
      jwks_uri: http://{jwks}/jwks
      audiences: [{AUDIENCE}]
      algorithms: [ES256]
"
        ),
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A valid token for this config whose scope-bearing claims are `scopes` (a JSON object).
fn token(signer: &Signer, scopes: &str) -> String {
    let mut claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "client_id": "app",
        "iat": now(), "exp": now() + 600, "jti": "j1",
    });
    if let (Some(c), Ok(Value::Object(extra))) = (
        claims.as_object_mut(),
        serde_json::from_str::<Value>(scopes),
    ) {
        c.extend(extra);
    }
    signer.sign(&claims)
}

async fn start() -> (Authlens, Upstream, Signer) {
    let signer = Signer::es256("k1");
    let jwks = serve_json(signer.jwks.clone()).await;
    let upstream = Upstream::start(|req| async move {
        let path = req.uri().path().to_string();
        match ANSWERS.iter().find(|(p, ..)| *p == path) {
            Some((_, status, headers, body)) => reply(*status, headers, body),
            None => reply(404, &[], ""),
        }
    })
    .await;
    let authlens = Authlens::with_config(&config(&upstream.url(), &jwks.to_string()));
    (authlens, upstream, signer)
}

async fn call(authlens: &Authlens, path: &str, token: &str) -> Value {
    let req = Request::get(format!("{}{path}", authlens.proxy))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::default())
        .expect("request");
    let reply = send(req).await;
    assert_eq!(reply.status, 403, "{path}: authlens passes the 403 through");
    // Rows share paths; the token's fingerprint picks this request's line.
    let fingerprint = Fingerprint::of(token).to_string();
    authlens.wait_log(|v| {
        v["message"] == "exchange failed" && v["token.fingerprint"] == fingerprint.as_str()
    })
}

const PROFILE: &str = r#"{"scope": "openid profile"}"#;

/// (path, the token's scope claims, cause, detail, route, words the hint must contain)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const ROWS: &[Row] = &[
    ("/files", PROFILE, "scope_missing", "", "files", "lacks scope `files.read`"),
    ("/spring", PROFILE, "scope_missing", "", "spring", "lacks scope `files.read`"),
    ("/aspnet", PROFILE, "scope_missing", "", "aspnet", "lacks scope `files.read`"),
    ("/reports", PROFILE, "scope_missing", "route_not_configured", "unmatched", "`reports.read`"),
    ("/owner", PROFILE, "forbidden_other", "", "unmatched", "role, tenant or ownership"),
    ("/envoy", PROFILE, "audience_mismatch", "", "unmatched", "wrong status"),
    ("/gojwt", PROFILE, "issuer_mismatch", "", "unmatched", "wrong status"),
    ("/kong", PROFILE, "signature_invalid", "", "unmatched", "wrong status"),
    // These need authlens's own view of the token's claims.
    ("/files", r#"{"scope": "files.read,files.write"}"#, "scope_delimiter_wrong", "", "files", "comma-separated"),
    ("/aspnet", r#"{"scope": ["files.read"]}"#, "scope_delimiter_wrong", "", "aspnet", "an array where"),
    ("/files", r#"{"scope": "Files.Read"}"#, "scope_name_mismatch", "", "files", "has `Files.Read`"),
    ("/spring", r#"{"scope": "read:files"}"#, "scope_name_mismatch", "", "spring", "has `read:files`"),
    ("/spring", r#"{"scp": "files.read"}"#, "scope_claim_name_mismatch", "", "spring", "in `scp`"),
    ("/files", r#"{"permissions": ["files.read"]}"#, "scope_claim_name_mismatch", "", "files", "in `permissions`"),
    ("/aspnet", r#"{"scope": "files.read"}"#, "forbidden_other", "", "aspnet", "every scope"),
    // Envoy's audience 403 where authlens's own check agrees (and knows the detail).
    ("/envoy", r#"{"aud": "https://api.example"}"#, "audience_mismatch", "trailing_slash", "unmatched", "wrong status"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_middlewares_403_is_named_in_log_and_metrics() {
    let (authlens, _upstream, signer) = start().await;
    let mut tokens = Vec::new();
    for (path, scopes, cause, detail, route, hint) in ROWS {
        let token = token(&signer, scopes);
        tokens.push(token.clone());
        let line = call(&authlens, path, &token).await;
        assert_eq!(line["cause"], *cause, "{path}: {line}");
        assert_eq!(
            line["detail"].as_str().unwrap_or(""),
            *detail,
            "{path}: {line}"
        );
        assert_eq!(line["route"], *route, "{path}");
        assert_eq!(line["http.response.status_code"], 403, "{path}");
        let text = line["hint"].as_str().unwrap_or("");
        assert!(text.contains(hint), "{path}: hint {text:?} lacks {hint:?}");
        let category = if cause.starts_with("scope") || *cause == "forbidden_other" {
            "authz"
        } else {
            "authn"
        };
        let series = format!(
            "authlens_failures_total{{category=\"{category}\",cause=\"{cause}\",detail=\"{detail}\",route=\"{route}\"}}"
        );
        assert!(authlens.wait_metric(&series, 1.0).await >= 1.0, "{series}");
    }
    // The upstream's own words are logged, sanitised, next to the cause.
    let files =
        authlens.wait_log(|v| v["url.path"] == "/files" && v["message"] == "exchange failed");
    assert_eq!(files["upstream.error"], "insufficient_scope");
    assert_eq!(files["expected.scope"], "files.read");
    let raw = authlens.raw_output();
    for token in &tokens {
        let signature = token.rsplit('.').next().unwrap_or(token);
        assert!(
            !raw.contains(signature),
            "no token or signature reaches the log"
        );
    }
}
