//! Validation helpers shared by the config sections: the problem collector, label rules, and
//! one issuer (used by `auth.issuers` and `token_endpoints[].trusted_issuers`).

use super::model::{Issuer, Located};
use super::problem::Problem;
use crate::policy::{IssuerPolicy, JwksSource};
use http::Uri;
use jsonwebtoken::Algorithm;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Default)]
pub(super) struct Collector(pub(super) Vec<Problem>);

impl Collector {
    pub(super) fn push<T>(
        &mut self,
        key: impl Into<String>,
        at: &Located<T>,
        msg: impl Into<String>,
    ) {
        self.0.push(Problem::at(key, at, msg));
    }

    pub(super) fn addr(&mut self, key: &str, v: &Located<String>) -> SocketAddr {
        v.value.parse().unwrap_or_else(|_| {
            self.push(
                key,
                v,
                format!(
                    "`{}` is not an IP address with a port, e.g. 127.0.0.1:8080",
                    v.value
                ),
            );
            SocketAddr::from(([127, 0, 0, 1], 0))
        })
    }

    /// A CA file must hold certificates authlens can read, at start and on every reload.
    pub(super) fn ca_file(&mut self, key: &str, v: &Option<Located<PathBuf>>) {
        if let Some(f) = v
            && let Err(e) = crate::base::tls::read_certs(&f.value)
        {
            self.push(key, f, e.to_string());
        }
    }

    pub(super) fn url(&mut self, key: &str, v: &Located<String>, schemes: &[&str]) -> Uri {
        let parsed = Uri::from_str(&v.value)
            .ok()
            .filter(|u| u.authority().is_some());
        let problem = match parsed {
            // Nothing here would send them, and a URL is logged and shown on /failures.
            Some(u) if u.authority().is_some_and(|a| a.as_str().contains('@')) => format!(
                "`{}` carries credentials; authlens does not send them, and a URL is logged: remove them",
                without_credentials(&v.value)
            ),
            Some(u) if schemes.contains(&u.scheme_str().unwrap_or("")) => return u,
            _ => format!(
                "`{}` is not an absolute {} URL",
                without_credentials(&v.value),
                schemes.join(" or ")
            ),
        };
        self.push(key, v, problem);
        Uri::from_static("http://invalid.invalid/")
    }
}

/// A URL as an error may quote it: whatever stands before an `@` in its authority (a user
/// name and password) is replaced, even when the rest does not parse.
fn without_credentials(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}…@{}", &url[..start], &url[start + at + 1..]),
        None => url.to_string(),
    }
}

const KNOWN_CLAIMS: &[&str] = &[
    "iss",
    "exp",
    "aud",
    "sub",
    "client_id",
    "iat",
    "jti",
    "nbf",
    "scope",
];

/// One issuer at `at` (e.g. `auth.issuers[0]`); `names` holds the names used so far.
pub(super) fn issuer<'c>(
    p: &mut Collector,
    at: &str,
    is: &'c Issuer,
    names: &mut HashSet<&'c str>,
) -> IssuerPolicy {
    let key = |k: &str| format!("{at}.{k}");
    if !valid_label(&is.name.value) {
        p.push(
            key("name"),
            &is.name,
            "must be 1-64 characters of a-z, 0-9, _ or -",
        );
    } else if !names.insert(is.name.value.as_str()) {
        p.push(
            key("name"),
            &is.name,
            format!("`{}` is used by another issuer", is.name.value),
        );
    }
    p.url(&key("issuer"), &is.issuer, &["https", "http"]);
    let jwks = match &is.jwks_uri {
        Some(u) => JwksSource::Uri(p.url(&key("jwks_uri"), u, &["https", "http"])),
        None => JwksSource::Discover,
    };
    let algorithms = is
        .algorithms
        .iter()
        .filter_map(|a| {
            let alg = Algorithm::from_str(&a.value).ok();
            if alg.is_none() {
                p.push(
                    key("algorithms"),
                    a,
                    format!(
                        "`{}` is not a JWS algorithm (e.g. RS256, ES256, EdDSA)",
                        a.value
                    ),
                );
            }
            alg
        })
        .collect();
    for claim in &is.required_claims {
        if !KNOWN_CLAIMS.contains(&claim.value.as_str()) {
            p.push(
                key("required_claims"),
                claim,
                format!(
                    "`{}` is not one of {}",
                    claim.value,
                    KNOWN_CLAIMS.join(", ")
                ),
            );
        }
    }
    p.ca_file(&key("ca_file"), &is.ca_file);
    IssuerPolicy {
        name: is.name.value.clone(),
        issuer: is.issuer.value.clone(),
        jwks,
        audiences: is.audiences.iter().map(|a| a.value.clone()).collect(),
        algorithms,
        required_claims: is.required_claims.iter().map(|c| c.value.clone()).collect(),
        accepted_types: is.accepted_types.clone(),
        client_ids: is.client_ids.clone(),
        jwks_ttl: is.jwks_ttl.get(),
        jwks_min_refetch: is.jwks_min_refetch.get(),
        jwks_timeout: is.jwks_timeout.get(),
        ca_file: is.ca_file.as_ref().map(|f| f.value.clone()),
    }
}

/// Names become metric labels: keep them short and plain.
pub(super) fn valid_label(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}
