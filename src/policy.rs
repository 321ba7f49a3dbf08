//! What the API is expected to accept: the validated, compiled form of the config that
//! classification reads. Built once at start (or reload) and shared read-only.

mod routes;
mod token_endpoints;

pub use routes::{PathMatch, RouteId, RoutePolicy, Routes, UNMATCHED};
pub use token_endpoints::{ClientAuthMethod, EndpointKind, TokenEndpointPolicy, TokenEndpoints};

use http::Uri;
use jsonwebtoken::Algorithm;
use std::time::Duration;

#[derive(Debug)]
pub struct Policy {
    pub routes: Routes,
    pub issuers: Vec<IssuerPolicy>,
    pub leeway: Duration,
    pub identity_providers: Vec<String>,
    pub log_personal_claims: bool,
    pub expiring_soon: Duration,
    pub cors_allowed_origins: Vec<String>,
    pub preflight_window: Duration,
    /// Token endpoints fronted beside the API; their routes are the first ones.
    pub token_endpoints: TokenEndpoints,
}

/// One trusted issuer and what tokens from it must look like.
#[derive(Debug)]
pub struct IssuerPolicy {
    /// Metric label; from config, so the label set is closed.
    pub name: String,
    pub issuer: String,
    pub jwks: JwksSource,
    pub audiences: Vec<String>,
    pub algorithms: Vec<Algorithm>,
    pub required_claims: Vec<String>,
    pub accepted_types: Option<Vec<String>>,
    pub client_ids: Vec<String>,
    pub jwks_ttl: Duration,
    pub jwks_min_refetch: Duration,
    pub jwks_timeout: Duration,
    pub ca_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JwksSource {
    Uri(Uri),
    /// RFC 8414 metadata first, then OpenID Connect discovery.
    Discover,
}

impl Policy {
    /// A policy with no issuers and no routes: authlens then still sees transport failures,
    /// missing tokens and CORS.
    pub fn empty() -> Self {
        Policy {
            routes: Routes::default(),
            issuers: Vec::new(),
            leeway: Duration::from_secs(30),
            identity_providers: Vec::new(),
            log_personal_claims: false,
            expiring_soon: Duration::from_secs(60),
            cors_allowed_origins: Vec::new(),
            preflight_window: Duration::from_secs(5),
            token_endpoints: TokenEndpoints::default(),
        }
    }

    /// Every issuer whose keys this policy needs: the API's, then the token endpoints' trusted
    /// ones (`TokenEndpointPolicy::key_offset` counts from here).
    pub fn key_issuers(&self) -> impl Iterator<Item = &IssuerPolicy> {
        self.issuers.iter().chain(self.token_endpoints.issuers())
    }
}

/// How a route's scopes are read and matched.
#[derive(Debug, Clone)]
pub struct ScopeRule {
    pub required: Vec<String>,
    pub matching: ScopeMatch,
    pub claim: String,
}

/// Whether a route needs every listed scope or any one of them.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScopeMatch {
    #[default]
    All,
    Any,
}
