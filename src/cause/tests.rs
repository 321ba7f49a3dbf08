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
    assert_eq!(
        Cause::ALL.len(),
        43,
        "the CONTRACT §2 catalogue without token_endpoint causes"
    );
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
