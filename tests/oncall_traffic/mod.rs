//! A running sidecar with failures of several causes behind it, for the on-call views' tests
//! (`/failures`, `/failures.html`, `authlens top`). Every request carries a marker secret (in
//! the token's signature, a cookie, Basic credentials, a personal claim, the query string), so
//! the tests can assert that none of them reaches a view.
#![allow(dead_code)] // each test binary uses a different part

use crate::support::upstream::reply;
use crate::support::{Authlens, Upstream, send};
use crate::token_kit::{AUD, Idp, TestKey, claims, now};
use base64::Engine;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use jsonwebtoken::Algorithm;
use serde_json::Value;
use std::time::{Duration, Instant};

/// `(cause, detail, how many)` the traffic produces, all on route `files`.
pub const EXPECTED: &[(&str, &str, usize)] = &[
    ("token_missing", "", 3),
    ("token_malformed", "opaque", 2),
    ("token_expired", "", 2),
    ("audience_mismatch", "trailing_slash", 1),
    ("auth_scheme_not_bearer", "basic", 1),
    ("signature_invalid", "", 1),
];

pub fn expected_total() -> usize {
    EXPECTED.iter().map(|(_, _, n)| n).sum()
}

pub struct Scene {
    pub idp: Idp,
    pub api: Upstream,
    pub authlens: Authlens,
    key: TestKey,
    /// Every secret sent: none may appear in any view.
    pub secrets: Vec<String>,
}

impl Scene {
    pub async fn start() -> Scene {
        let key = TestKey::rsa("k1", Algorithm::RS256);
        let idp = Idp::start("", &[&key]).await;
        // An API that rejects every call the way RFC 6750 middlewares do.
        let api = Upstream::start(|req| async move {
            let challenge = if req.headers().contains_key("authorization") {
                "Bearer realm=\"api\", error=\"invalid_token\""
            } else {
                "Bearer realm=\"api\""
            };
            reply(401, &[("www-authenticate", challenge)], "unauthorized")
        })
        .await;
        let extra = format!(
            "auth:\n  issuers:\n    - name: as\n      issuer: {}\n      jwks_uri: {}\n      audiences: [{AUD}]\nroutes:\n  - {{ name: files, path_prefix: /files }}\n",
            idp.issuer,
            idp.jwks_url()
        );
        let authlens = Authlens::start(&api.url(), &extra);
        Scene {
            idp,
            api,
            authlens,
            key,
            secrets: Vec::new(),
        }
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) {
        let mut req = Request::get(format!("{}{path}", self.authlens.proxy));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let reply = send(req.body(Full::new(Bytes::new())).expect("request")).await;
        assert_eq!(reply.status, 401, "{path}");
    }

    /// The traffic of `EXPECTED`, each request with a marker secret.
    pub async fn send_traffic(&mut self) {
        let issuer = self.idp.issuer.clone();
        let personal = |mut c: Value| {
            c["sub"] = "MARKER-SUB-7f3a".into();
            c["email"] = "marker-email-7f3a@example.com".into();
            c["name"] = "MARKER NAME".into();
            c
        };
        let mut expired = personal(claims(&issuer));
        expired["exp"] = (now() - 600).into();
        let expired = self.key.sign(&expired);
        let mut near = personal(claims(&issuer));
        near["aud"] = AUD.trim_end_matches('/').into();
        let near = self.key.sign(&near);
        let good = self.key.sign(&personal(claims(&issuer)));
        let (signed, _) = good.rsplit_once('.').expect("a JWS");
        let forged = format!("{signed}.MARKERSIGNATURExMARKERSIGNATURE");
        let opaque = "MARKEROPAQUE0123456789abcdef";
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("MARKER-USER:MARKER-PASSWORD")
        );
        let cookie = "session=MARKER-COOKIE-9c1d";
        self.secrets = [
            &expired,
            &near,
            &forged,
            &good,
            opaque,
            &basic,
            "MARKER-USER",
            "MARKER-PASSWORD",
            "MARKER-COOKIE",
            "MARKERSIGNATURE",
            "MARKER-SUB",
            "marker-email",
            "MARKER NAME",
            "MARKER-QUERY",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Signatures are secrets too (CONTRACT §1.3).
        for t in [&expired, &near] {
            self.secrets
                .push(t.rsplit('.').next().expect("sig").to_string());
        }

        let bearer = |t: &str| format!("Bearer {t}");
        for _ in 0..3 {
            self.get("/files/report?api_key=MARKER-QUERY", &[("cookie", cookie)])
                .await;
        }
        for _ in 0..2 {
            self.get("/files", &[("authorization", &bearer(opaque))])
                .await;
            self.get(
                "/files",
                &[("authorization", &bearer(&expired)), ("cookie", cookie)],
            )
            .await;
        }
        self.get("/files", &[("authorization", &bearer(&near))])
            .await;
        self.get("/files", &[("authorization", &basic)]).await;
        self.get("/files", &[("authorization", &bearer(&forged))])
            .await;
    }

    /// `/failures` once it holds `n` failures (bounded wait: events end after the response).
    pub async fn failures_holding(&self, n: usize) -> (Value, String) {
        let url = format!("{}/failures", self.authlens.admin);
        let started = Instant::now();
        loop {
            let reply = send(crate::support::client::get(&url)).await;
            assert_eq!(reply.status, 200);
            let text = String::from_utf8(reply.body.to_vec()).expect("utf-8");
            let v: Value = serde_json::from_str(&text).expect("JSON");
            if v["held"].as_u64() == Some(n as u64) {
                return (v, text);
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "held {} of {n}: {text}",
                v["held"]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Panics if any secret sent appears in `text`.
    pub fn assert_no_secret(&self, what: &str, text: &str) {
        assert!(!self.secrets.is_empty(), "send the traffic first");
        for s in &self.secrets {
            assert!(!text.contains(s.as_str()), "{what} contains the secret {s}");
        }
    }
}
