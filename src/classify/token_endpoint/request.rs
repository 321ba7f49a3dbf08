//! Checks of the token request itself (its parameters and client authentication) and of the
//! server's metadata answer.

use super::{Grant, TokenExchange};
use crate::cause::{Cause, Confidence, Detail};
use crate::classify::Failure;
use crate::evidence::token::checks::near_miss;
use crate::evidence::token_request::{
    ClientAuth, FormRead, ID_JAG_TYPE, JWT_BEARER, TOKEN_EXCHANGE,
};
use crate::facts::ResponseFacts;
use crate::policy::ClientAuthMethod;

const EXCHANGE_PARAMS: &[(&str, Detail)] = &[
    ("audience", Detail::Audience),
    ("resource", Detail::Resource),
    ("subject_token", Detail::SubjectToken),
    ("subject_token_type", Detail::SubjectTokenType),
    ("requested_token_type", Detail::RequestedTokenType),
];

/// `te_missing_parameter`: the parameters the grant needs that the body lacks, named one by
/// one. Only said when the whole body was read.
pub(super) fn missing(x: &TokenExchange<'_>) -> Option<Failure> {
    let form = x.form;
    let fail = |detail, hint: String| {
        Some(Failure::new(
            Cause::TeMissingParameter,
            detail,
            Confidence::Proxy,
            hint,
        ))
    };
    match form.read {
        FormRead::NotForm => {
            return fail(
                Detail::Other,
                "the token request has no application/x-www-form-urlencoded body (RFC 6749 §4), \
                 so the server sees none of its parameters; send them form-encoded"
                    .into(),
            );
        }
        FormRead::Cut | FormRead::Broken => return None,
        FormRead::Complete => {}
    }
    let wanted: &[(&str, Detail)] = match x.grant() {
        _ if !form.has("grant_type") => &[("grant_type", Detail::GrantType)],
        Grant::Exchange => EXCHANGE_PARAMS,
        Grant::JwtBearer => &[("assertion", Detail::Assertion)],
        Grant::Other => &[],
    };
    let absent: Vec<&(&str, Detail)> = wanted.iter().filter(|(n, _)| !form.has(n)).collect();
    if let Some((name, detail)) = absent.first() {
        let all: Vec<&str> = absent.iter().map(|(n, _)| *n).collect();
        let step = match x.grant() {
            Grant::Exchange => {
                " (the token exchange needs audience, resource, subject_token, \
                                subject_token_type and requested_token_type)"
            }
            Grant::JwtBearer => " (the JWT-bearer grant needs the ID-JAG as `assertion`)",
            Grant::Other => "",
        };
        return fail(
            *detail,
            format!(
                "the token request has no `{name}` parameter{step}; missing: {}",
                all.join(", ")
            ),
        );
    }
    if let Some(name) = form.repeated.first() {
        return fail(
            Detail::Other,
            format!(
                "the parameter `{name}` is sent more than once; RFC 6749 §3.2 allows each \
                 parameter once, so the server refuses the request"
            ),
        );
    }
    None
}

/// `te_unsupported_grant_type` when the URNs are misspelled (`id-jag` is hyphenated).
pub(super) fn grant_type(x: &TokenExchange<'_>, error: Option<&str>) -> Option<Failure> {
    let gt = x.form.grant_type.as_deref()?;
    let confidence = if error.is_some() {
        Confidence::Both
    } else {
        Confidence::Proxy
    };
    let fail = |detail, hint: String| {
        Failure::new(Cause::TeUnsupportedGrantType, detail, confidence, hint)
    };
    if gt == TOKEN_EXCHANGE {
        let rt = x.form.requested_token_type.as_deref()?;
        return (rt != ID_JAG_TYPE).then(|| {
            fail(
                Detail::RequestedTokenType,
                format!("requested_token_type must be `{ID_JAG_TYPE}` (id-jag is hyphenated), got `{rt}`"),
            )
        });
    }
    if gt == JWT_BEARER {
        return None;
    }
    let lower = gt.to_ascii_lowercase();
    let expected = if lower.contains("exchange") {
        TOKEN_EXCHANGE
    } else if lower.contains("jwt") || lower.contains("bearer") {
        JWT_BEARER
    } else {
        return error.is_some().then(|| grant_not_enabled(x));
    };
    Some(fail(
        Detail::GrantType,
        format!("grant_type must be `{expected}` exactly, got `{gt}`"),
    ))
}

/// `te_unsupported_grant_type` for a well-formed grant the server does not allow.
pub(super) fn grant_not_enabled(x: &TokenExchange<'_>) -> Failure {
    let gt = x.form.grant_type.as_deref().unwrap_or("(none)");
    Failure::new(
        Cause::TeUnsupportedGrantType,
        Detail::GrantType,
        Confidence::Upstream,
        format!(
            "the server does not accept grant_type `{gt}` for client `{}`; enable the grant for \
             the client at the authorization server",
            x.client_id().unwrap_or("(none)")
        ),
    )
}

/// `invalid_client`: the IdP's credentials at the resource's server, or the credentials or
/// their method.
pub(super) fn client(x: &TokenExchange<'_>) -> Failure {
    let te = x.endpoint;
    let id = x.client_id();
    if let Some(f) = super::assertion::wrong_pair(x) {
        return f;
    }
    if let Some(a) = id
        && te.knows_client(a) == Some(false)
        && te.xaa_pattern()
        && !a.contains("-at-")
    {
        return Failure::new(
            Cause::TeInvalidClientWrongPair,
            Detail::None,
            Confidence::Both,
            format!(
                "client `{a}` is not registered here; clients of this server look like `{}`: \
                 use the resource client id and secret for the JWT-bearer step, not the IdP \
                 client's",
                te.client_ids.join("` or `")
            ),
        );
    }
    let method = |hint: String| {
        Failure::new(
            Cause::TeInvalidClientCredentials,
            Detail::AuthMethod,
            Confidence::Both,
            hint,
        )
    };
    let expects = te.client_auth.map(ClientAuthMethod::label);
    match (x.client, te.client_auth) {
        // Past a cut, a client_secret may still have been sent.
        (ClientAuth::None, _) if matches!(x.form.read, FormRead::Complete | FormRead::NotForm) => {
            return method(format!(
                "the request carries no client authentication; send {}",
                expects.unwrap_or("the client id and secret")
            ));
        }
        (ClientAuth::Both, _) => {
            return method(
                "the request authenticates twice (Authorization: Basic and client_secret in \
                 the body); RFC 6749 §2.3 allows one method: send only the one the server expects"
                    .into(),
            );
        }
        (ClientAuth::Basic(_), Some(ClientAuthMethod::ClientSecretPost))
        | (ClientAuth::Post, Some(ClientAuthMethod::ClientSecretBasic)) => {
            return method(format!(
                "the client authenticated with {}; this server expects {}",
                x.client.label(),
                expects.unwrap_or_default()
            ));
        }
        _ => {}
    }
    let who = id.unwrap_or("(unknown)");
    let hint = if te.knows_client(who) == Some(false) {
        format!(
            "client `{who}` is not among the clients registered here ({}); register it or use a \
             registered client's id and secret",
            te.client_ids.join(", ")
        )
    } else {
        format!(
            "client `{who}` failed authentication ({}): the secret is wrong or the client was \
             deleted; check the secret or register the client again",
            x.client.label()
        )
    };
    Failure::new(
        Cause::TeInvalidClientCredentials,
        Detail::SecretOrDeleted,
        Confidence::Upstream,
        hint,
    )
}

/// `invalid_target`: no resource connection for the audience/resource pair.
pub(super) fn target(x: &TokenExchange<'_>) -> Failure {
    let sent = [x.form.audience.as_deref(), x.form.resource.as_deref()];
    let near = sent.iter().flatten().find_map(|s| {
        x.endpoint.resources.iter().find_map(|r| {
            (near_miss(s, r) == Some(Detail::TrailingSlash)).then_some((*s, r.as_str()))
        })
    });
    if let Some((actual, expected)) = near {
        return Failure::new(
            Cause::TeInvalidTarget,
            Detail::TrailingSlash,
            Confidence::Both,
            format!(
                "the IdP's resource connection is for `{expected}` but the request sent \
                 `{actual}`: send the registered value exactly (trailing slash)"
            ),
        );
    }
    let known = if x.endpoint.resources.is_empty() {
        String::new()
    } else {
        format!(
            " (connections exist for {})",
            x.endpoint.resources.join(", ")
        )
    };
    Failure::new(
        Cause::TeInvalidTarget,
        Detail::Other,
        Confidence::Upstream,
        format!(
            "the IdP has no resource connection for audience `{}` and resource `{}`{known}; \
             register the resource for this client",
            sent[0].unwrap_or("(none)"),
            sent[1].unwrap_or("(none)")
        ),
    )
}

/// `invalid_scope`: comma-joined scopes, scopes beyond the ID-JAG's, or unregistered ones.
pub(super) fn scope(x: &TokenExchange<'_>) -> Failure {
    let requested = x.form.scope.as_deref().unwrap_or("");
    if requested.contains(',') {
        let fixed: Vec<&str> = requested
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .collect();
        return Failure::new(
            Cause::TeInvalidScope,
            Detail::CommaSeparated,
            Confidence::Both,
            format!(
                "scope `{requested}` is comma-joined; OAuth scopes are space-separated: send `{}`",
                fixed.join(" ")
            ),
        );
    }
    if x.grant() == Grant::JwtBearer
        && let Some(granted) = super::assertion::scopes(x)
    {
        let extra: Vec<&str> = requested
            .split(' ')
            .filter(|s| !s.is_empty() && !granted.iter().any(|g| g == s))
            .collect();
        if !extra.is_empty() {
            return Failure::new(
                Cause::TeInvalidScope,
                Detail::NotInAssertion,
                Confidence::Both,
                format!(
                    "requested `{}` beyond the ID-JAG's scope `{}`; request a subset of the \
                     ID-JAG's scopes (or ask the IdP for more in the token exchange)",
                    extra.join(" "),
                    granted.join(" ")
                ),
            );
        }
    }
    Failure::new(
        Cause::TeInvalidScope,
        Detail::Other,
        Confidence::Upstream,
        format!(
            "the scopes `{requested}` are not permitted for this client and resource; add them \
             to the registration or request fewer"
        ),
    )
}

/// `te_discovery_failed`: the metadata answer is missing, unreadable or names another issuer.
/// A failed RFC 8414 path alone is not a failure: clients then try OpenID Connect discovery.
pub(super) fn discovery(x: &TokenExchange<'_>, resp: &ResponseFacts) -> Option<Failure> {
    let want = x
        .endpoint
        .issuer
        .as_deref()
        .unwrap_or("(no issuer configured)");
    let fail = |what: String| {
        Some(Failure::new(
            Cause::TeDiscoveryFailed,
            Detail::None,
            Confidence::Proxy,
            format!(
                "{what}; publish RFC 8414 metadata (with token_endpoint and jwks_uri) whose \
                 issuer is `{want}`"
            ),
        ))
    };
    if !resp.status.is_success() {
        if x.path
            .starts_with("/.well-known/oauth-authorization-server")
        {
            return None;
        }
        return fail(format!(
            "authorization-server metadata at {} answered {}",
            x.path,
            resp.status.as_u16()
        ));
    }
    let body = resp.body.as_deref()?;
    let doc: Option<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(body).ok();
    let Some(doc) = doc else {
        return fail(format!("the metadata at {} is not a JSON object", x.path));
    };
    let text = |k: &str| doc.get(k).and_then(serde_json::Value::as_str);
    match (text("issuer"), text("token_endpoint")) {
        (None, _) => fail(format!("the metadata at {} has no issuer", x.path)),
        (Some(iss), _) if iss != want => fail(format!(
            "the metadata at {} names issuer `{iss}`, not `{want}`",
            x.path
        )),
        (Some(_), None) => fail(format!("the metadata at {} has no token_endpoint", x.path)),
        (Some(_), Some(_)) => None,
    }
}
