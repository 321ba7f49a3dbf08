//! Every request shape the interop tests send through the authlens binary to a real npm
//! middleware, what each shape really is (the truth authlens should name), and the harness that
//! sends a table of them and reads authlens's verdict for each from its log.

#![allow(dead_code)] // each test crate uses a different part

use crate::interop::Signer;
use crate::interop::express::{AUDIENCE, ISSUER, claims, now};
use crate::support::{Authlens, send};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use serde_json::{Value, json};

/// One way of presenting (or failing to present) a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    NoHeader,
    BearerNoToken,
    TwoSpaces,
    Basic,
    OtherScheme,
    NoScheme,
    BearerColon,
    Opaque,
    TwoSegments,
    NotBase64,
    NotJson,
    Expired,
    NotYetValid,
    WrongAudience,
    WrongIssuer,
    BadSignature,
    UnknownKid,
    Hmac,
    AlgNone,
    NoExp,
    HeaderAndQuery,
}

/// What each shape really is: the cause and detail a perfect diagnosis names.
pub fn truth(shape: Shape) -> (&'static str, &'static str) {
    use Shape::*;
    match shape {
        NoHeader => ("token_missing", ""),
        BearerNoToken | TwoSpaces | NoScheme | BearerColon => {
            ("auth_scheme_not_bearer", "malformed")
        }
        Basic => ("auth_scheme_not_bearer", "basic"),
        OtherScheme => ("auth_scheme_not_bearer", "other_scheme"),
        Opaque => ("token_malformed", "opaque"),
        TwoSegments => ("token_malformed", "segments"),
        NotBase64 => ("token_malformed", "base64"),
        NotJson => ("token_malformed", "json"),
        Expired => ("token_expired", ""),
        NotYetValid => ("token_not_yet_valid", ""),
        WrongAudience => ("audience_mismatch", "other_resource"),
        WrongIssuer => ("issuer_mismatch", "other"),
        BadSignature => ("signature_invalid", ""),
        UnknownKid => ("kid_unknown", ""),
        Hmac => ("alg_not_allowed", "hmac"),
        AlgNone => ("alg_not_allowed", "none"),
        NoExp => ("required_claim_missing", "exp"),
        HeaderAndQuery => ("token_multiple_methods", ""),
    }
}

/// The `Authorization` header and query string of a shape, with tokens made for it now.
pub fn present(shape: Shape, signer: &Signer, stranger: &Signer) -> (Option<String>, String) {
    use Shape::*;
    let good = || signer.sign(&claims(json!({})));
    let with = |extra: Value| signer.sign(&claims(extra));
    let unsigned = |alg: &str| {
        let head = B64.encode(json!({"alg": alg, "kid": signer.kid, "typ": "at+jwt"}).to_string());
        let body = B64.encode(claims(json!({})).to_string());
        format!("{head}.{body}.c2lnbmF0dXJl")
    };
    let bearer = |t: String| Some(format!("Bearer {t}"));
    let header = match shape {
        NoHeader => None,
        BearerNoToken => Some("Bearer".into()),
        TwoSpaces => Some(format!("Bearer  {}", good())),
        Basic => Some("Basic dXNlcjpwYXNz".into()),
        OtherScheme => Some(format!("Token {}", good())),
        NoScheme => Some(good()),
        BearerColon => Some(format!("Bearer:{}", good())),
        Opaque => bearer("opaque-reference-token".into()),
        TwoSegments => bearer("eyJhbGciOiJFUzI1NiJ9.e30".into()),
        NotBase64 => bearer("eyJhbGciOiJFUzI1NiJ9+.e30.c2ln".into()),
        NotJson => bearer(format!("{}.e30.c2ln", B64.encode("not json"))),
        Expired => bearer(with(json!({"exp": now() - 3600}))),
        NotYetValid => bearer(with(json!({"nbf": now() + 3600}))),
        WrongAudience => bearer(with(json!({"aud": "https://other-api.example/"}))),
        WrongIssuer => bearer(with(json!({"iss": "https://someone-else.example/"}))),
        BadSignature => bearer(stranger.sign(&claims(json!({})))),
        UnknownKid => bearer(Signer::es256("k-unknown").sign(&claims(json!({})))),
        Hmac => bearer(unsigned("HS256")),
        AlgNone => bearer(unsigned("none")),
        NoExp => {
            let mut c = claims(json!({}));
            c.as_object_mut().map(|o| o.remove("exp"));
            bearer(signer.sign(&c))
        }
        HeaderAndQuery => bearer(good()),
    };
    let query = if shape == HeaderAndQuery {
        format!("?access_token={}", good())
    } else {
        String::new()
    };
    (header, query)
}

/// One row of a middleware's table: the request shape, what the middleware answered (status
/// and words found in its challenge or body), and the cause and detail authlens names.
pub struct Row {
    pub shape: Shape,
    pub status: u16,
    pub words: &'static str,
    pub named: (&'static str, &'static str),
}

/// authlens configured for the fixture's issuer, with an access log so every exchange has a
/// line, and `routes` YAML.
pub fn authlens_for(
    upstream: std::net::SocketAddr,
    jwks: std::net::SocketAddr,
    routes: &str,
) -> Authlens {
    Authlens::start(
        &format!("http://{upstream}"),
        &format!(
            "{routes}auth:\n  issuers:\n    - name: resource-as\n      issuer: {ISSUER}\n      \
             jwks_uri: http://{jwks}/jwks\n      audiences: [{AUDIENCE}]\n      algorithms: [ES256]\n\
             log:\n  access_log: true\n"
        ),
    )
}

/// Sends every row through authlens to `path`; returns the mismatches (empty when every row
/// holds) and how many of the middleware's failures (4xx/5xx rows) authlens names exactly (its
/// verdict is the shape's truth). An accepted call's verdict is `finding:NAME` or nothing.
pub async fn run(
    authlens: &Authlens,
    signer: &Signer,
    path: &str,
    rows: &[Row],
) -> (Vec<String>, usize) {
    let stranger = Signer::es256(&signer.kid);
    let mut wrong = Vec::new();
    let mut exact = 0;
    for (i, row) in rows.iter().enumerate() {
        let (header, query) = present(row.shape, signer, &stranger);
        let id = format!("interop-{i}-{:?}", row.shape);
        let mut req =
            Request::get(format!("{}{path}{query}", authlens.proxy)).header("x-request-id", &id);
        if let Some(h) = &header {
            req = req.header("authorization", h);
        }
        let reply = send(req.body(Full::new(Bytes::new())).expect("request")).await;
        let said = format!(
            "{} {}",
            reply
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
            String::from_utf8_lossy(&reply.body)
        );
        let line = authlens.wait_log(|v| {
            v["request_id"] == id.as_str()
                && (v["message"] == "exchange failed" || v["message"] == "request")
        });
        // An accepted call is no failure; what authlens found about it is its verdict.
        let finding = authlens.logs().into_iter().find_map(|v| {
            (v["request_id"] == id.as_str() && v["message"] == "finding")
                .then(|| format!("finding:{}", v["finding"].as_str().unwrap_or("")))
        });
        let cause = finding.unwrap_or_else(|| line["cause"].as_str().unwrap_or("").to_string());
        let got = (cause.as_str(), line["detail"].as_str().unwrap_or(""));
        if reply.status.as_u16() != row.status || !said.contains(row.words) || got != row.named {
            wrong.push(format!(
                "{:?}: {} {said:?} named {got:?}; table says {} {:?} {:?}",
                row.shape, reply.status, row.status, row.words, row.named
            ));
        }
        if row.status >= 400 && got == truth(row.shape) {
            exact += 1;
        }
        // No secret leaves the process: the token is never in the line.
        if let Some(token) = header
            .as_deref()
            .and_then(|h| h.split_once(' '))
            .map(|(_, t)| t.trim())
        {
            assert!(
                token.len() < 8 || !line.to_string().contains(token),
                "token in {line}"
            );
        }
    }
    (wrong, exact)
}

/// The failure kinds of a table: its rows the middleware answered with an error.
pub fn failures(rows: &[Row]) -> usize {
    rows.iter().filter(|r| r.status >= 400).count()
}

/// The whole matrix test of one middleware in `tests/interop/<dir>` (`lib` names it): its
/// server and authlens in front, every row of `table` sent and checked. Returns how many of
/// its failure kinds authlens names exactly; `None` when the npm install is missing (skip).
pub async fn matrix(dir: &str, lib: &str, table: &[Row]) -> Option<usize> {
    let signer = Signer::es256("k1");
    let (node, jwks) = crate::interop::express::start_server(dir, &signer).await?;
    let authlens = authlens_for(
        node.addr,
        jwks,
        "routes:\n  - { name: files, path: /files }\n",
    );
    let (wrong, exact) = run(&authlens, &signer, "/files", table).await;
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    println!(
        "{lib}: {exact} of {} failure kinds named exactly",
        failures(table)
    );
    Some(exact)
}
