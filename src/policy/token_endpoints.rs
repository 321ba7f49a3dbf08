//! Token endpoints authlens fronts (the seed's Steps 2 and 3): what this authorization server
//! (or IdP) is, which issuers' assertions it trusts and which clients it knows. Their routes
//! come first in `Routes`, so telling a token-endpoint exchange from a resource-server one is
//! one comparison of the route id.

use super::{IssuerPolicy, RouteId};
use std::time::Duration;

#[derive(Debug)]
pub struct TokenEndpointPolicy {
    /// The route label (also the `{name}_discovery` route's stem).
    pub name: String,
    /// This server's issuer: the `aud` an ID-JAG must carry, the `issuer` its metadata names.
    pub issuer: Option<String>,
    /// Issuers whose assertions (Step 3) or ID tokens (Step 2) this server accepts.
    pub trusted: Vec<IssuerPolicy>,
    /// Where `trusted[0]`'s key set is in the generation's key sets (after `Policy::issuers`).
    pub key_offset: usize,
    /// Clients registered here; an entry may hold `{placeholders}` (`{client_id}-at-{resource_id}`).
    pub client_ids: Vec<String>,
    /// Audience and resource values the IdP has connections for (Step 2).
    pub resources: Vec<String>,
    /// The client authentication the server expects, when known.
    pub client_auth: Option<ClientAuthMethod>,
    /// Assertions that live longer than this are worth a word (the draft says 5 minutes).
    pub assertion_lifetime: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
}

impl ClientAuthMethod {
    pub fn label(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
        }
    }
}

/// What a token-endpoint route serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    Token,
    /// RFC 8414 / OpenID Connect metadata of the same server.
    Discovery,
}

/// The token endpoints and the first routes, which are theirs.
#[derive(Debug, Default)]
pub struct TokenEndpoints {
    pub list: Vec<TokenEndpointPolicy>,
    /// `(endpoint, kind)` for routes `0..routes.len()`.
    pub routes: Vec<(usize, EndpointKind)>,
}

impl TokenEndpoints {
    /// The endpoint a route belongs to, if it is a token-endpoint route.
    pub fn of(&self, route: RouteId) -> Option<(&TokenEndpointPolicy, EndpointKind)> {
        let &(i, kind) = self.routes.get(route.0 as usize)?;
        Some((&self.list[i], kind))
    }

    /// Every trusted issuer, in key-set order.
    pub fn issuers(&self) -> impl Iterator<Item = &IssuerPolicy> {
        self.list.iter().flat_map(|t| t.trusted.iter())
    }
}

impl TokenEndpointPolicy {
    /// Whether `id` is a client registered here; `None` when no clients are configured.
    pub fn knows_client(&self, id: &str) -> Option<bool> {
        (!self.client_ids.is_empty())
            .then(|| self.client_ids.iter().any(|pattern| matches(pattern, id)))
    }

    /// Whether registered ids follow a pattern with `-at-` (XAA's resource clients).
    pub fn xaa_pattern(&self) -> bool {
        self.client_ids.iter().any(|p| p.contains("-at-"))
    }
}

/// `pattern` with `{name}` placeholders, each matching one or more characters.
fn matches(pattern: &str, id: &str) -> bool {
    let mut parts = pattern
        .split('{')
        .map(|p| p.split_once('}').map_or(("", p), |(_, rest)| ("*", rest)));
    let Some((_, first)) = parts.next() else {
        return pattern == id;
    };
    let Some(mut rest) = id.strip_prefix(first) else {
        return false;
    };
    let literals: Vec<&str> = parts.map(|(_, lit)| lit).collect();
    if literals.is_empty() {
        return rest.is_empty();
    }
    for (n, lit) in literals.iter().enumerate() {
        let last = n + 1 == literals.len();
        let found = if last {
            rest.len()
                .checked_sub(lit.len())
                .filter(|&at| at >= 1 && rest.ends_with(lit))
        } else if lit.is_empty() {
            None
        } else {
            rest.get(1..).and_then(|r| r.find(lit)).map(|at| at + 1)
        };
        let Some(at) = found else {
            return false;
        };
        rest = &rest[at + lit.len()..];
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn client_id_patterns() {
        let p = "{client_id}-at-{resource_id}";
        assert!(matches(p, "app-at-files"));
        assert!(matches(p, "my-app-at-files-api"));
        assert!(!matches(p, "app"));
        assert!(!matches(p, "-at-files"));
        assert!(!matches(p, "app-at-"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
        assert!(matches("pre-{x}", "pre-1"));
        assert!(!matches("pre-{x}", "pre-"));
    }
}
