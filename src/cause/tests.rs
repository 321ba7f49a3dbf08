use super::*;
use std::collections::HashSet;

#[test]
fn labels_are_unique_snake_case() {
    let mut seen = HashSet::new();
    for cause in Cause::ALL {
        let label = cause.label();
        assert!(seen.insert(label), "duplicate label {label}");
        assert!(
            label.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{label}"
        );
    }
}

/// The CONTRACT §2 table, copied verbatim, so the enum cannot drift from the published names.
const CONTRACT_TABLE: &str = "\
| authn | `token_missing` | |
| authn | `auth_scheme_not_bearer` | `basic`, `other_scheme`, `malformed` |
| authn | `token_multiple_methods` | |
| authn | `token_malformed` | `opaque`, `segments`, `base64`, `json`, `jwe` |
| authn | `id_token_sent` | |
| authn | `id_jag_sent` | |
| authn | `typ_rejected` | |
| authn | `alg_not_allowed` | `none`, `hmac`, `other` |
| authn | `kid_unknown` | |
| authn | `signature_invalid` | |
| authn | `issuer_mismatch` | `trailing_slash`, `scheme`, `case`, `idp_issuer`, `other` |
| authn | `audience_mismatch` | `trailing_slash`, `scheme`, `case`, `aud_is_issuer`, `aud_is_client_id`, `other_resource`, `missing` |
| authn | `token_expired` | |
| authn | `token_not_yet_valid` | |
| authn | `clock_skew` | `upstream_clock`, `issuer_clock` |
| authn | `required_claim_missing` | `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`, `other` |
| authn | `jwks_fetch_failed` | |
| authn | `upstream_jwks_stale` | |
| authn | `upstream_jwks_misconfigured` | |
| authn | `upstream_auth_layer_absent` | |
| authn | `upstream_rejected_valid_token` | |
| authz | `scope_missing` | `route_not_configured` |
| authz | `scope_delimiter_wrong` | |
| authz | `scope_name_mismatch` | |
| authz | `scope_claim_name_mismatch` | |
| authz | `forbidden_other` | |
| cors | `cors_preflight_auth_blocked` | |
| cors | `cors_preflight_not_ok` | |
| cors | `cors_origin_not_allowed` | |
| cors | `cors_allow_origin_multiple` | |
| cors | `cors_header_not_allowed` | `authorization`, `content_type`, `other` |
| cors | `cors_method_not_allowed` | |
| cors | `cors_credentials_conflict` | |
| cors | `cors_headers_missing_on_error` | |
| upstream | `upstream_connection_refused` | `bound_to_loopback` |
| upstream | `upstream_dns_failure` | |
| upstream | `upstream_tls_error` | `untrusted`, `name_mismatch`, `expired`, `protocol` |
| upstream | `upstream_connect_timeout` | |
| upstream | `upstream_response_timeout` | |
| upstream | `upstream_reset` | |
| upstream | `upstream_server_error` | |
| upstream | `upstream_response_invalid` | `head_too_large`, `malformed` |
| client | `client_aborted` | |
| client | `request_rejected` | `head_too_large`, `too_many_headers`, `head_timeout`, `malformed` |
| upstream | `health_check_failed` | `status`, `not_found`, `timeout`, `refused` |
| token_endpoint | `te_discovery_failed` | |
| token_endpoint | `te_token_endpoint_not_found` | |
| token_endpoint | `te_missing_parameter` | `audience`, `resource`, `subject_token`, `subject_token_type`, `requested_token_type`, `assertion`, `grant_type`, `other` |
| token_endpoint | `te_subject_token_invalid` | `type`, `signature`, `aud_client_mismatch`, `no_sub`, `expired` |
| token_endpoint | `te_invalid_target` | `trailing_slash`, `other` |
| token_endpoint | `te_invalid_scope` | `comma_separated`, `not_in_assertion`, `other` |
| token_endpoint | `te_invalid_client_wrong_pair` | |
| token_endpoint | `te_invalid_client_credentials` | `secret_or_deleted`, `auth_method` |
| token_endpoint | `te_unsupported_grant_type` | `grant_type`, `requested_token_type` |
| token_endpoint | `idjag_typ_invalid` | |
| token_endpoint | `idjag_audience_mismatch` | `trailing_slash`, `scheme`, `case`, `other` |
| token_endpoint | `idjag_issuer_untrusted` | |
| token_endpoint | `idjag_signature_invalid` | `kid_unknown`, `alg`, `signature` |
| token_endpoint | `idjag_expired` | `expired`, `not_yet_valid`, `clock_skew` |
| token_endpoint | `idjag_client_id_unknown` | |
| token_endpoint | `idjag_replayed` | |
| token_endpoint | `te_step_up_required` | |
| token_endpoint | `te_server_error` | |
| token_endpoint | `te_invalid_grant_unclassified` | |
";

#[test]
fn catalogue_matches_the_contract_table() {
    let ours: Vec<String> = Cause::ALL
        .iter()
        .map(|cause| {
            let details: Vec<String> = cause
                .details()
                .iter()
                .map(|d| format!("`{}`", d.label()))
                .collect();
            format!(
                "| {} | `{}` | {} |",
                cause.category().label(),
                cause.label(),
                details.join(", ")
            )
            .replace(" |  |", " | |")
        })
        .collect();
    let contract: Vec<&str> = CONTRACT_TABLE.lines().collect();
    assert_eq!(ours, contract);
}

#[test]
fn details_never_repeat_within_a_cause_and_none_is_implicit() {
    for cause in Cause::ALL {
        let details = cause.details();
        let set: HashSet<_> = details.iter().collect();
        assert_eq!(set.len(), details.len(), "{cause:?}");
        assert!(!details.contains(&Detail::None), "{cause:?}");
    }
    let pairs = known_pairs().count();
    let expected: usize = Cause::ALL.iter().map(|c| 1 + c.details().len()).sum();
    assert_eq!(pairs, expected);
}

#[test]
fn contract_spot_checks() {
    assert_eq!(Cause::AudienceMismatch.category(), Category::Authn);
    assert_eq!(Cause::ScopeMissing.category().label(), "authz");
    assert_eq!(
        Cause::CorsHeaderNotAllowed.details(),
        &[Detail::Authorization, Detail::ContentType, Detail::Other]
    );
    assert_eq!(Detail::AlgNone.label(), "none");
    assert_eq!(Detail::ClaimClientId.label(), "client_id");
    assert_eq!(Cause::HealthCheckFailed.label(), "health_check_failed");
}
