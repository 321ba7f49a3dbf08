//! The closed catalogue of failure causes, details and findings (CONTRACT §2).
//!
//! Every label here is a `&'static str` so metric labels come from a closed set and cost no
//! formatting on the hot path.

/// Which family a cause belongs to; the `category` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Authn,
    Authz,
    Cors,
    Upstream,
    /// The seed's Steps 2–3: failures at an authorization server's token endpoint.
    TokenEndpoint,
    /// The caller's side of the wire: it went away, or sent what no server accepts.
    Client,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::Authn,
        Category::Authz,
        Category::Cors,
        Category::Upstream,
        Category::TokenEndpoint,
        Category::Client,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::Authn => "authn",
            Category::Authz => "authz",
            Category::Cors => "cors",
            Category::Upstream => "upstream",
            Category::TokenEndpoint => "token_endpoint",
            Category::Client => "client",
        }
    }
}

/// How sure authlens is of a verdict (the `confidence` log field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidence {
    /// authlens's own checks prove it.
    Proxy,
    /// The upstream said so in a form authlens can parse.
    Upstream,
    /// Both agree.
    Both,
    /// Inferred from correlation; not proven.
    Heuristic,
}

impl Confidence {
    pub fn label(self) -> &'static str {
        match self {
            Confidence::Proxy => "proxy",
            Confidence::Upstream => "upstream",
            Confidence::Both => "both",
            Confidence::Heuristic => "heuristic",
        }
    }
}

/// Declares `Cause` with its label, category and the closed set of details it may carry, so the
/// three can never drift apart.
macro_rules! causes {
    ($( $variant:ident = $label:literal, $cat:ident, [$($detail:ident),*]; )*) => {
        /// One failed exchange gets one primary cause.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Cause { $($variant),* }

        impl Cause {
            pub const ALL: &'static [Cause] = &[$(Cause::$variant),*];

            pub fn label(self) -> &'static str {
                match self { $(Cause::$variant => $label),* }
            }

            pub fn category(self) -> Category {
                match self { $(Cause::$variant => Category::$cat),* }
            }

            /// The details this cause may carry besides `Detail::None`.
            pub fn details(self) -> &'static [Detail] {
                match self { $(Cause::$variant => &[$(Detail::$detail),*]),* }
            }
        }
    };
}

causes! {
    TokenMissing = "token_missing", Authn, [];
    AuthSchemeNotBearer = "auth_scheme_not_bearer", Authn, [Basic, OtherScheme, Malformed];
    TokenMultipleMethods = "token_multiple_methods", Authn, [];
    TokenMalformed = "token_malformed", Authn, [Opaque, Segments, Base64, Json, Jwe];
    IdTokenSent = "id_token_sent", Authn, [];
    IdJagSent = "id_jag_sent", Authn, [];
    TypRejected = "typ_rejected", Authn, [];
    AlgNotAllowed = "alg_not_allowed", Authn, [AlgNone, Hmac, Other];
    KidUnknown = "kid_unknown", Authn, [];
    SignatureInvalid = "signature_invalid", Authn, [];
    IssuerMismatch = "issuer_mismatch", Authn, [TrailingSlash, Scheme, Case, IdpIssuer, Other];
    AudienceMismatch = "audience_mismatch", Authn,
        [TrailingSlash, Scheme, Case, AudIsIssuer, AudIsClientId, OtherResource, Missing];
    TokenExpired = "token_expired", Authn, [];
    TokenNotYetValid = "token_not_yet_valid", Authn, [];
    ClockSkew = "clock_skew", Authn, [UpstreamClock, IssuerClock];
    RequiredClaimMissing = "required_claim_missing", Authn,
        [ClaimIss, ClaimExp, ClaimAud, ClaimSub, ClaimClientId, ClaimIat, ClaimJti, Other];
    JwksFetchFailed = "jwks_fetch_failed", Authn, [];
    UpstreamJwksStale = "upstream_jwks_stale", Authn, [];
    UpstreamJwksMisconfigured = "upstream_jwks_misconfigured", Authn, [];
    UpstreamAuthLayerAbsent = "upstream_auth_layer_absent", Authn, [];
    UpstreamRejectedValidToken = "upstream_rejected_valid_token", Authn, [];
    ScopeMissing = "scope_missing", Authz, [RouteNotConfigured];
    ScopeDelimiterWrong = "scope_delimiter_wrong", Authz, [];
    ScopeNameMismatch = "scope_name_mismatch", Authz, [];
    ScopeClaimNameMismatch = "scope_claim_name_mismatch", Authz, [];
    ForbiddenOther = "forbidden_other", Authz, [];
    CorsPreflightAuthBlocked = "cors_preflight_auth_blocked", Cors, [];
    CorsPreflightNotOk = "cors_preflight_not_ok", Cors, [];
    CorsOriginNotAllowed = "cors_origin_not_allowed", Cors, [];
    CorsAllowOriginMultiple = "cors_allow_origin_multiple", Cors, [];
    CorsHeaderNotAllowed = "cors_header_not_allowed", Cors, [Authorization, ContentType, Other];
    CorsMethodNotAllowed = "cors_method_not_allowed", Cors, [];
    CorsCredentialsConflict = "cors_credentials_conflict", Cors, [];
    CorsHeadersMissingOnError = "cors_headers_missing_on_error", Cors, [];
    UpstreamConnectionRefused = "upstream_connection_refused", Upstream, [BoundToLoopback];
    UpstreamDnsFailure = "upstream_dns_failure", Upstream, [];
    UpstreamTlsError = "upstream_tls_error", Upstream, [Untrusted, NameMismatch, Expired, Protocol];
    UpstreamConnectTimeout = "upstream_connect_timeout", Upstream, [];
    UpstreamResponseTimeout = "upstream_response_timeout", Upstream, [];
    UpstreamReset = "upstream_reset", Upstream, [];
    UpstreamServerError = "upstream_server_error", Upstream, [];
    UpstreamResponseInvalid = "upstream_response_invalid", Upstream, [HeadTooLarge, Malformed];
    ClientAborted = "client_aborted", Client, [];
    RequestRejected = "request_rejected", Client,
        [HeadTooLarge, TooManyHeaders, HeadTimeout, Malformed];
    HealthCheckFailed = "health_check_failed", Upstream, [Status, NotFound, Timeout, Refused];
    TeDiscoveryFailed = "te_discovery_failed", TokenEndpoint, [];
    TeTokenEndpointNotFound = "te_token_endpoint_not_found", TokenEndpoint, [];
    TeMissingParameter = "te_missing_parameter", TokenEndpoint,
        [Audience, Resource, SubjectToken, SubjectTokenType, RequestedTokenType, Assertion,
         GrantType, Other];
    TeSubjectTokenInvalid = "te_subject_token_invalid", TokenEndpoint,
        [Type, Signature, AudClientMismatch, NoSub, Expired];
    TeInvalidTarget = "te_invalid_target", TokenEndpoint, [TrailingSlash, Other];
    TeInvalidScope = "te_invalid_scope", TokenEndpoint, [CommaSeparated, NotInAssertion, Other];
    TeInvalidClientWrongPair = "te_invalid_client_wrong_pair", TokenEndpoint, [];
    TeInvalidClientCredentials = "te_invalid_client_credentials", TokenEndpoint,
        [SecretOrDeleted, AuthMethod];
    TeUnsupportedGrantType = "te_unsupported_grant_type", TokenEndpoint,
        [GrantType, RequestedTokenType];
    IdjagTypInvalid = "idjag_typ_invalid", TokenEndpoint, [];
    IdjagAudienceMismatch = "idjag_audience_mismatch", TokenEndpoint,
        [TrailingSlash, Scheme, Case, Other];
    IdjagIssuerUntrusted = "idjag_issuer_untrusted", TokenEndpoint, [];
    IdjagSignatureInvalid = "idjag_signature_invalid", TokenEndpoint, [KidUnknown, Alg, Signature];
    IdjagExpired = "idjag_expired", TokenEndpoint, [Expired, NotYetValid, ClockSkew];
    IdjagClientIdUnknown = "idjag_client_id_unknown", TokenEndpoint, [];
    IdjagReplayed = "idjag_replayed", TokenEndpoint, [];
    TeStepUpRequired = "te_step_up_required", TokenEndpoint, [];
    TeServerError = "te_server_error", TokenEndpoint, [];
    TeInvalidGrantUnclassified = "te_invalid_grant_unclassified", TokenEndpoint, [];
}

/// The `detail` label: a closed set, meaningful only together with its cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detail {
    None,
    Basic,
    OtherScheme,
    Malformed,
    Opaque,
    Segments,
    Base64,
    Json,
    Jwe,
    AlgNone,
    Hmac,
    Other,
    TrailingSlash,
    Scheme,
    Case,
    IdpIssuer,
    AudIsIssuer,
    AudIsClientId,
    OtherResource,
    Missing,
    UpstreamClock,
    IssuerClock,
    ClaimIss,
    ClaimExp,
    ClaimAud,
    ClaimSub,
    ClaimClientId,
    ClaimIat,
    ClaimJti,
    RouteNotConfigured,
    Authorization,
    ContentType,
    BoundToLoopback,
    Untrusted,
    NameMismatch,
    Expired,
    Protocol,
    Status,
    NotFound,
    Timeout,
    Refused,
    HeadTooLarge,
    TooManyHeaders,
    HeadTimeout,
    Audience,
    Resource,
    SubjectToken,
    SubjectTokenType,
    RequestedTokenType,
    Assertion,
    GrantType,
    Type,
    Signature,
    AudClientMismatch,
    NoSub,
    CommaSeparated,
    NotInAssertion,
    SecretOrDeleted,
    AuthMethod,
    KidUnknown,
    Alg,
    NotYetValid,
    ClockSkew,
}

impl Detail {
    pub fn label(self) -> &'static str {
        match self {
            Detail::None => "",
            Detail::Basic => "basic",
            Detail::OtherScheme => "other_scheme",
            Detail::Malformed => "malformed",
            Detail::Opaque => "opaque",
            Detail::Segments => "segments",
            Detail::Base64 => "base64",
            Detail::Json => "json",
            Detail::Jwe => "jwe",
            Detail::AlgNone => "none",
            Detail::Hmac => "hmac",
            Detail::Other => "other",
            Detail::TrailingSlash => "trailing_slash",
            Detail::Scheme => "scheme",
            Detail::Case => "case",
            Detail::IdpIssuer => "idp_issuer",
            Detail::AudIsIssuer => "aud_is_issuer",
            Detail::AudIsClientId => "aud_is_client_id",
            Detail::OtherResource => "other_resource",
            Detail::Missing => "missing",
            Detail::UpstreamClock => "upstream_clock",
            Detail::IssuerClock => "issuer_clock",
            Detail::ClaimIss => "iss",
            Detail::ClaimExp => "exp",
            Detail::ClaimAud => "aud",
            Detail::ClaimSub => "sub",
            Detail::ClaimClientId => "client_id",
            Detail::ClaimIat => "iat",
            Detail::ClaimJti => "jti",
            Detail::RouteNotConfigured => "route_not_configured",
            Detail::Authorization => "authorization",
            Detail::ContentType => "content_type",
            Detail::BoundToLoopback => "bound_to_loopback",
            Detail::Untrusted => "untrusted",
            Detail::NameMismatch => "name_mismatch",
            Detail::Expired => "expired",
            Detail::Protocol => "protocol",
            Detail::Status => "status",
            Detail::NotFound => "not_found",
            Detail::Timeout => "timeout",
            Detail::Refused => "refused",
            Detail::HeadTooLarge => "head_too_large",
            Detail::TooManyHeaders => "too_many_headers",
            Detail::HeadTimeout => "head_timeout",
            Detail::Audience => "audience",
            Detail::Resource => "resource",
            Detail::SubjectToken => "subject_token",
            Detail::SubjectTokenType => "subject_token_type",
            Detail::RequestedTokenType => "requested_token_type",
            Detail::Assertion => "assertion",
            Detail::GrantType => "grant_type",
            Detail::Type => "type",
            Detail::Signature => "signature",
            Detail::AudClientMismatch => "aud_client_mismatch",
            Detail::NoSub => "no_sub",
            Detail::CommaSeparated => "comma_separated",
            Detail::NotInAssertion => "not_in_assertion",
            Detail::SecretOrDeleted => "secret_or_deleted",
            Detail::AuthMethod => "auth_method",
            Detail::KidUnknown => "kid_unknown",
            Detail::Alg => "alg",
            Detail::NotYetValid => "not_yet_valid",
            Detail::ClockSkew => "clock_skew",
        }
    }
}

/// Things on-call should know that are not failures (CONTRACT §2, "Findings").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Finding {
    UnprotectedRoute,
    ConfigDrift,
    TokenExpiringSoon,
}

impl Finding {
    pub const ALL: &'static [Finding] = &[
        Finding::UnprotectedRoute,
        Finding::ConfigDrift,
        Finding::TokenExpiringSoon,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Finding::UnprotectedRoute => "unprotected_route",
            Finding::ConfigDrift => "config_drift",
            Finding::TokenExpiringSoon => "token_expiring_soon",
        }
    }
}

/// Every `(cause, detail)` pair the catalogue allows, `Detail::None` first for each cause.
pub fn known_pairs() -> impl Iterator<Item = (Cause, Detail)> {
    Cause::ALL.iter().flat_map(|&cause| {
        std::iter::once(Detail::None)
            .chain(cause.details().iter().copied())
            .map(move |detail| (cause, detail))
    })
}

#[cfg(test)]
mod tests;
