//! `explain` for a token a token endpoint receives: an ID-JAG (Step 3) or an ID token (Step 2),
//! checked against the `token_endpoints` config the way the token-endpoint mode checks it
//! (issuer trust, keys, `typ`, `aud`, lifetime, `client_id`), with the cause authlens would
//! name if the server answered `invalid_grant`.

use crate::classify::token_endpoint::{self, TokenExchange};
use crate::evidence::token::checks::TokenKind;
use crate::evidence::token::{TokenReport, Verdict};
use crate::evidence::token_request::{
    ClientAuth, FormRead, ID_JAG_TYPE, ID_TOKEN_TYPE, JWT_BEARER, TOKEN_EXCHANGE, TokenForm, encode,
};
use crate::facts::{Outcome, ResponseFacts};
use crate::inspect::Standalone;
use crate::policy::{EndpointKind, Policy, TokenEndpointPolicy};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use std::time::SystemTime;

#[derive(Debug, Serialize)]
pub struct EndpointCheck {
    /// The `token_endpoints` entry the token was checked against.
    pub endpoint: String,
    /// `token_exchange` (an ID token at the IdP) or `jwt_bearer` (an ID-JAG at the resource's
    /// authorization server).
    pub grant: &'static str,
    /// `accepted`, `rejected`, or `unverified` (its keys could not be had).
    pub verdict: &'static str,
    pub cause: Option<&'static str>,
    pub detail: Option<&'static str>,
    pub hint: Option<String>,
    /// Things worth knowing that are no failure (e.g. a lifetime above the draft's 5 minutes).
    pub notes: Vec<String>,
}

/// The endpoint that would receive this token: for an ID-JAG one that trusts its issuer; for an
/// ID token the IdP's own (whose issuer or trusted issuers name it). `None` when the token is
/// neither, or no endpoint is configured.
fn endpoint_for<'p>(
    policy: &'p Policy,
    kind: TokenKind,
    iss: Option<&str>,
) -> Option<&'p TokenEndpointPolicy> {
    let list = &policy.token_endpoints.list;
    let trusts =
        |t: &&TokenEndpointPolicy| t.trusted.iter().any(|i| Some(i.issuer.as_str()) == iss);
    match kind {
        TokenKind::IdJag => list
            .iter()
            .find(trusts)
            .or_else(|| list.iter().find(|t| t.issuer.is_some())),
        TokenKind::IdToken => list
            .iter()
            .find(|t| t.issuer.as_deref() == iss && trusts(t))
            .or_else(|| list.iter().find(trusts)),
        _ => None,
    }
}

pub(super) async fn check(
    inspector: &Standalone,
    policy: &Policy,
    token: &str,
    report: &TokenReport,
) -> Option<EndpointCheck> {
    let kind = match &report.verdict {
        Verdict::Invalid(c) if c.cause == crate::cause::Cause::IdTokenSent => TokenKind::IdToken,
        _ => TokenKind::of(&report.header, &report.claims),
    };
    let endpoint = endpoint_for(policy, kind, report.claims.iss.as_deref())?;
    let checked = inspector
        .inspector
        .verify_assertion(&inspector.trust, endpoint, token)
        .await;
    let client = checked
        .claims
        .client_id
        .clone()
        .or_else(|| checked.claims.aud.first().cloned());
    let (grant, pairs) = if kind == TokenKind::IdJag {
        (
            "jwt_bearer",
            vec![("grant_type", JWT_BEARER), ("assertion", token)],
        )
    } else {
        (
            "token_exchange",
            vec![
                ("grant_type", TOKEN_EXCHANGE),
                ("subject_token", token),
                ("subject_token_type", ID_TOKEN_TYPE),
                ("requested_token_type", ID_JAG_TYPE),
                // Not in the token: present, so only the token itself is judged.
                ("audience", "given"),
                ("resource", "given"),
            ],
        )
    };
    let mut form = TokenForm::parse(encode(&pairs).as_bytes(), FormRead::Complete);
    form.client_id = client;
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let mut answer = ResponseFacts::from_head(StatusCode::BAD_REQUEST, &headers, false);
    answer.body = Some(bytes::Bytes::from_static(br#"{"error":"invalid_grant"}"#));
    let outcome = Outcome::Response(answer);
    let now = SystemTime::now();
    let failure = token_endpoint::classify(&TokenExchange {
        endpoint,
        kind: EndpointKind::Token,
        path: "/",
        form: &form,
        client: &ClientAuth::None,
        assertion: Some(&checked),
        replayed: false,
        outcome: &outcome,
        leeway: policy.leeway,
        now,
    })
    .failure
    .filter(|f| f.cause != crate::cause::Cause::TeInvalidGrantUnclassified);
    let mut notes = Vec::new();
    let lifetime = checked
        .claims
        .exp
        .zip(checked.claims.iat)
        .map(|(e, i)| e.saturating_sub(i));
    if let Some(lives) = lifetime
        && kind == TokenKind::IdJag
        && lives > endpoint.assertion_lifetime.as_secs() as i64
    {
        notes.push(format!(
            "lives {lives}s (exp - iat), longer than the {}s the ID-JAG draft asks for",
            endpoint.assertion_lifetime.as_secs()
        ));
    }
    let verdict = match (&failure, &checked.verdict) {
        (Some(_), _) => "rejected",
        (None, Verdict::Unverified) => "unverified",
        (None, _) => "accepted",
    };
    Some(EndpointCheck {
        endpoint: endpoint.name.clone(),
        grant,
        verdict,
        cause: failure.as_ref().map(|f| f.cause.label()),
        detail: failure
            .as_ref()
            .map(|f| f.detail.label())
            .filter(|d| !d.is_empty()),
        hint: failure.map(|f| f.hint),
        notes,
    })
}
