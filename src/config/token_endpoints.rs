//! `token_endpoints`: validated into `policy::TokenEndpoints` and the routes that come first.

use super::collect::{Collector, issuer, valid_label};
use super::model::Config;
use crate::policy::{
    EndpointKind, PathMatch, RoutePolicy, ScopeMatch, ScopeRule, TokenEndpointPolicy,
    TokenEndpoints,
};
use std::collections::HashSet;

/// RFC 8414 §3.1 inserts the well-known segment before the issuer's path; OpenID Connect
/// Discovery appends it. Both are watched.
fn discovery_paths(issuer_path: &str) -> [String; 3] {
    let path = issuer_path.trim_end_matches('/');
    [
        format!("/.well-known/oauth-authorization-server{path}"),
        format!("/.well-known/openid-configuration{path}"),
        format!("{path}/.well-known/openid-configuration"),
    ]
}

/// The token endpoints and their routes. `key_offset` is where their trusted issuers' key sets
/// start (after `auth.issuers`); `names` collects the route names.
pub(super) fn build(
    p: &mut Collector,
    c: &Config,
    key_offset: usize,
    names: &mut HashSet<String>,
) -> (TokenEndpoints, Vec<RoutePolicy>) {
    let mut endpoints = TokenEndpoints::default();
    let mut routes = Vec::new();
    let mut discovery = Vec::new();
    let mut offset = key_offset;
    let mut issuer_names = HashSet::new();
    for (i, te) in c.token_endpoints.iter().enumerate() {
        let at = format!("token_endpoints[{i}]");
        let key = |k: &str| format!("{at}.{k}");
        let name = &te.name.value;
        if !valid_label(name) || name == crate::policy::UNMATCHED || name.len() > 54 {
            p.push(
                key("name"),
                &te.name,
                "must be 1-54 characters of a-z, 0-9, _ or -, and not `unmatched`",
            );
        } else if !names.insert(name.clone()) {
            p.push(
                key("name"),
                &te.name,
                format!("`{name}` is used by another route"),
            );
        }
        if !te.path.value.starts_with('/') {
            p.push(key("path"), &te.path, "must start with /");
        }
        let issuer_uri = te
            .issuer
            .as_ref()
            .map(|is| p.url(&key("issuer"), is, &["https", "http"]));
        let trusted: Vec<_> = te
            .trusted_issuers
            .iter()
            .enumerate()
            .map(|(j, is)| {
                let mut policy = issuer(
                    p,
                    &format!("{at}.trusted_issuers[{j}]"),
                    is,
                    &mut issuer_names,
                );
                policy.audiences = te.issuer.iter().map(|i| i.value.clone()).collect();
                policy
            })
            .collect();
        let route = |name: String, path| RoutePolicy {
            name,
            path,
            methods: vec![],
            scopes: ScopeRule {
                required: vec![],
                matching: ScopeMatch::All,
                claim: "scope".into(),
            },
            protected: false,
        };
        routes.push(route(name.clone(), PathMatch::Exact(te.path.value.clone())));
        endpoints.routes.push((i, EndpointKind::Token));
        if let (true, Some(uri)) = (te.discovery, &issuer_uri) {
            let label = format!("{name}_discovery");
            if !names.insert(label.clone()) {
                p.push(
                    key("name"),
                    &te.name,
                    format!("`{label}` is used by another route"),
                );
            }
            let paths = discovery_paths(uri.path()).into_iter().collect();
            discovery.push((i, route(label, PathMatch::OneOf(paths))));
        }
        endpoints.list.push(TokenEndpointPolicy {
            name: name.clone(),
            issuer: te.issuer.as_ref().map(|i| i.value.clone()),
            key_offset: offset,
            client_ids: te.client_ids.iter().map(|c| c.value.clone()).collect(),
            resources: te.resources.iter().map(|r| r.value.clone()).collect(),
            client_auth: te.client_auth,
            assertion_lifetime: te.assertion_lifetime.get(),
            trusted,
        });
        offset += te.trusted_issuers.len();
    }
    // Discovery routes follow the token routes; `endpoints.routes` is in route order.
    for (i, r) in discovery {
        endpoints.routes.push((i, EndpointKind::Discovery));
        routes.push(r);
    }
    (endpoints, routes)
}
