//! The express-oauth2-jwt-bearer interop fixture: its config, the tokens sent to it, and the
//! cause authlens must name for each of its 403s.

use super::{Node, Signer, interop_dir, npm_installed, serve_json};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

pub const ISSUER: &str = "https://auth.resource.example/";
pub const AUDIENCE: &str = "https://api.example/";

/// (what, path, the token's scope-bearing claims as JSON, cause, detail, confidence, words the
/// hint must contain). Routes in authlens's config: `/files/{id}` and `/files` need
/// `files.read`; `/reports` is not configured (the middleware wants `reports.read`).
pub type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    ("scope missing", "/files", r#"{"scope": "openid profile"}"#, "scope_missing", "", "both", "`files.read`"),
    ("comma-separated", "/files", r#"{"scope": "files.read,files.write"}"#, "scope_delimiter_wrong", "", "both", "comma-separated"),
    ("colon spelling", "/files", r#"{"scope": "files:read"}"#, "scope_name_mismatch", "", "both", "has `files:read`"),
    ("case", "/files", r#"{"scope": "Files.Read"}"#, "scope_name_mismatch", "", "both", "has `Files.Read`"),
    ("scopes under scp", "/files", r#"{"scp": "files.read"}"#, "scope_claim_name_mismatch", "", "both", "in `scp`"),
    ("scopes under permissions", "/files", r#"{"permissions": ["files.read"]}"#, "scope_claim_name_mismatch", "", "both", "in `permissions`"),
    ("route not in authlens's config", "/reports", r#"{"scope": "files.read"}"#, "scope_missing", "route_not_configured", "upstream", "`reports.read`"),
    ("scopes fine, not the owner", "/files/42", r#"{"scope": "files.read"}"#, "forbidden_other", "", "proxy", "every scope this route needs, yet the API denied access (its words: \"only the owner may read this file\")"),
];

/// The same routes, as authlens config YAML.
pub const ROUTES_YAML: &str = "\
routes:
  - name: file
    path_template: /files/{id}
    methods: [GET]
    required_scopes: [files.read]
  - name: files
    path: /files
    methods: [GET]
    required_scopes: [files.read]
";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Valid RFC 9068 claims for this fixture, with `extra` merged in.
pub fn claims(extra: Value) -> Value {
    let mut c = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "client_id": "app",
        "iat": now(), "exp": now() + 600, "jti": "j1",
    });
    if let (Some(c), Value::Object(extra)) = (c.as_object_mut(), extra) {
        c.extend(extra);
    }
    c
}

/// The express server with its key set on loopback; `None` (skip) without `node_modules`.
pub async fn start(signer: &Signer) -> Option<(Node, std::net::SocketAddr)> {
    start_server("express", signer).await
}

/// The Node server in `tests/interop/<name>`, configured for this fixture's issuer, audience and
/// key set (served on loopback); `None` (skip) without `node_modules`.
pub async fn start_server(name: &str, signer: &Signer) -> Option<(Node, std::net::SocketAddr)> {
    let dir = interop_dir(name);
    if !npm_installed(&dir) {
        return None;
    }
    let jwks = serve_json(signer.jwks.clone()).await;
    let node = Node::start(
        &dir,
        &[
            ("ISSUER", ISSUER.into()),
            ("AUDIENCE", AUDIENCE.into()),
            ("JWKS_URI", format!("http://{jwks}/jwks")),
        ],
    );
    Some((node, jwks))
}
