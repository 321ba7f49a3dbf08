//! Scope strings come from tokens anyone can mint: any claim shape and any text must give a
//! diagnosis without panicking, and a token that has exactly what is required is satisfied.

use super::*;
use proptest::prelude::*;

fn claim_value() -> impl Strategy<Value = ScopeClaim> {
    prop_oneof![
        "[ -~]{0,200}".prop_map(ScopeClaim::Text),
        prop::collection::vec("[ -~]{0,20}", 0..20).prop_map(ScopeClaim::List),
    ]
}

proptest! {
    #[test]
    fn any_scope_claims_get_a_diagnosis(
        claims in prop::collection::vec((prop::sample::select(vec!["scope", "scp", "scopes", "permissions", "roles", "x"]), claim_value()), 0..5),
        required in prop::collection::vec("[ -~]{1,20}", 0..6),
        any in any::<bool>(),
        claim in prop::sample::select(vec!["scope", "scp", "permissions"]),
    ) {
        let claims: Vec<(String, ScopeClaim)> = claims.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        let need = Need {
            required: required.iter().map(String::as_str).collect(),
            matching: if any { ScopeMatch::Any } else { ScopeMatch::All },
            claim,
        };
        let _ = diagnose(&need, &claims);
        let _ = shape_only(claim, &claims);
    }

    #[test]
    fn exactly_the_required_scopes_satisfy(required in prop::collection::vec("[a-z:._-]{1,20}", 1..20)) {
        let claims = vec![("scope".to_string(), ScopeClaim::Text(required.join(" ")))];
        let need = Need { required: required.iter().map(String::as_str).collect(), matching: ScopeMatch::All, claim: "scope" };
        prop_assert_eq!(diagnose(&need, &claims), Diagnosis::Satisfied);
    }
}
