//! Decoding a JWT without trusting it (RFC 7515 compact form): the header and claims as facts,
//! or the way the token is malformed. No signature is checked here.

use super::report::{
    Check, ClaimFacts, Fingerprint, HeaderFacts, ScopeClaim, TokenReport, Verdict,
};
use crate::cause::Cause;
use crate::cause::Detail;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

/// A token split into its parts and read, not yet verified.
#[derive(Debug)]
pub struct Decoded<'t> {
    pub header: HeaderFacts,
    pub claims: ClaimFacts,
    /// `header.payload`: the bytes the signature covers.
    pub signing_input: &'t str,
    /// The signature segment, still base64url. Never logged.
    pub signature: &'t str,
    /// Claims that are present but of the wrong JSON type (e.g. `exp` as a string).
    pub ill_typed: Vec<&'static str>,
}

/// A report for `token` with its decoded parts, or the finished report of a malformed token
/// (`token_malformed`). The report's facts are filled in by whoever checks it.
// Both sides carry a report, moved once per verification: boxing one would buy nothing.
#[allow(clippy::result_large_err)]
pub fn begin(
    token: &str,
    fingerprint: Fingerprint,
) -> Result<(TokenReport, Decoded<'_>), TokenReport> {
    let mut report = TokenReport {
        fingerprint,
        header: HeaderFacts::default(),
        claims: ClaimFacts::default(),
        issuer: None,
        verdict: Verdict::Unverified,
    };
    match decode(token) {
        Ok(d) => Ok((report, d)),
        Err(detail) => {
            report.verdict = Verdict::Invalid(Check::new(Cause::TokenMalformed, detail));
            Err(report)
        }
    }
}

/// Splits and decodes `token`; the error is the `token_malformed` detail.
pub fn decode(token: &str) -> Result<Decoded<'_>, Detail> {
    let dots = token.bytes().filter(|&b| b == b'.').count();
    match dots {
        0 => return Err(Detail::Opaque),
        2 => {}
        4 => return Err(Detail::Jwe),
        _ => return Err(Detail::Segments),
    }
    let (signing_input, signature) = token.rsplit_once('.').ok_or(Detail::Segments)?;
    let (header_b64, payload_b64) = signing_input.split_once('.').ok_or(Detail::Segments)?;
    let header_bytes = b64(header_b64)?;
    let payload_bytes = b64(payload_b64)?;
    if !signature.bytes().all(is_b64url) {
        return Err(Detail::Base64);
    }
    let header: RawHeader = serde_json::from_slice(&header_bytes).map_err(|_| Detail::Json)?;
    if header.enc.is_some() {
        // A JWE header squeezed into three segments is still an encrypted token.
        return Err(Detail::Jwe);
    }
    let raw: RawClaims = serde_json::from_slice(&payload_bytes).map_err(|_| Detail::Json)?;
    let mut ill_typed = Vec::new();
    let claims = raw.into_facts(&mut ill_typed);
    Ok(Decoded {
        header: HeaderFacts {
            alg: header.alg.map(|a| match a {
                Value::String(s) => s,
                other => other.to_string(),
            }),
            kid: header.kid,
            typ: header.typ,
        },
        claims,
        signing_input,
        signature,
        ill_typed,
    })
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn b64(segment: &str) -> Result<Vec<u8>, Detail> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| Detail::Base64)
}

#[derive(Deserialize)]
struct RawHeader {
    alg: Option<Value>,
    kid: Option<String>,
    typ: Option<String>,
    enc: Option<Value>,
}

/// Every claim authlens reads, typed loosely so a wrong type is a finding, not a parse error.
#[derive(Deserialize)]
struct RawClaims {
    iss: Option<Value>,
    aud: Option<Value>,
    exp: Option<Value>,
    nbf: Option<Value>,
    iat: Option<Value>,
    sub: Option<Value>,
    client_id: Option<Value>,
    jti: Option<Value>,
    scope: Option<Value>,
    scp: Option<Value>,
    scopes: Option<Value>,
    permissions: Option<Value>,
    nonce: Option<Value>,
    at_hash: Option<Value>,
    resource: Option<Value>,
    email: Option<Value>,
    name: Option<Value>,
}

impl RawClaims {
    fn into_facts(self, ill_typed: &mut Vec<&'static str>) -> ClaimFacts {
        let mut text = |v: Option<Value>, name: &'static str| match v {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                ill_typed.push(name);
                None
            }
        };
        let iss = text(self.iss, "iss");
        let sub = text(self.sub, "sub");
        let client_id = text(self.client_id, "client_id");
        let email = text(self.email, "email");
        let name = text(self.name, "name");
        let aud = match self.aud {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .into_iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            Some(_) => {
                ill_typed.push("aud");
                Vec::new()
            }
        };
        let mut time = |v: Option<Value>, name: &'static str| match v {
            None => None,
            // NumericDate may carry a fraction (RFC 7519 §2); whole seconds are enough here.
            Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Some(_) => {
                ill_typed.push(name);
                None
            }
        };
        let exp = time(self.exp, "exp");
        let nbf = time(self.nbf, "nbf");
        let iat = time(self.iat, "iat");
        let scopes = [
            ("scope", self.scope),
            ("scp", self.scp),
            ("scopes", self.scopes),
            ("permissions", self.permissions),
        ]
        .into_iter()
        .filter_map(|(name, v)| Some((name.to_string(), scope_claim(v?)?)))
        .collect();
        ClaimFacts {
            iss,
            aud,
            exp,
            nbf,
            iat,
            client_id,
            jti_present: self.jti.is_some(),
            jti: match self.jti {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
            scopes,
            id_token_markers: self.nonce.is_some() || self.at_hash.is_some(),
            resource_present: self.resource.is_some(),
            sub,
            email,
            name,
        }
    }
}

fn scope_claim(v: Value) -> Option<ScopeClaim> {
    match v {
        Value::String(s) => Some(ScopeClaim::Text(s)),
        Value::Array(items) => Some(ScopeClaim::List(
            items
                .into_iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
