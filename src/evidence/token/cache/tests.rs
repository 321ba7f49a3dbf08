use super::*;
use crate::cause::Detail;
use crate::evidence::token::report::{Check, ClaimFacts, Fingerprint};

const NOW: i64 = 1_800_000_000;

fn report(verdict: Verdict, exp: Option<i64>) -> Arc<TokenReport> {
    Arc::new(TokenReport {
        fingerprint: Fingerprint([0; 8]),
        header: Default::default(),
        claims: ClaimFacts {
            exp,
            ..Default::default()
        },
        issuer: Some(0),
        verdict,
    })
}

#[test]
fn valid_reports_live_until_exp_plus_leeway() {
    let cache = TokenCache::new(100);
    let k = key("a.b.c");
    cache.insert(k, report(Verdict::Valid, Some(NOW + 60)), 30, NOW, 0);
    assert!(cache.get(&k, NOW + 89, 0).is_some());
    assert!(cache.get(&k, NOW + 90, 0).is_none());
    assert!(cache.is_empty(), "an expired entry is dropped on lookup");
    // Without exp the entry is capped.
    cache.insert(k, report(Verdict::Valid, None), 30, NOW, 0);
    assert!(cache.get(&k, NOW + MAX_AGE_SECS - 1, 0).is_some());
    assert!(cache.get(&k, NOW + MAX_AGE_SECS, 0).is_none());
}

#[test]
fn verdicts_that_a_key_fetch_may_change_are_not_kept() {
    let cache = TokenCache::new(100);
    let rows = [
        Verdict::Unverified,
        Verdict::Invalid(Check::new(Cause::KidUnknown, Detail::None)),
        Verdict::Invalid(Check::new(Cause::JwksFetchFailed, Detail::None)),
    ];
    for (i, v) in rows.into_iter().enumerate() {
        let k = key(&format!("t{i}"));
        cache.insert(k, report(v, Some(NOW + 600)), 30, NOW, 0);
        assert!(cache.get(&k, NOW, 0).is_none());
    }
    let k = key("bad-aud");
    let v = Verdict::Invalid(Check::new(Cause::AudienceMismatch, Detail::TrailingSlash));
    cache.insert(k, report(v, Some(NOW + 600)), 30, NOW, 0);
    assert!(cache.get(&k, NOW + 1, 0).is_some());
}

#[test]
fn bounded_in_entries() {
    let cache = TokenCache::new(32);
    for i in 0..1000 {
        cache.insert(
            key(&i.to_string()),
            report(Verdict::Valid, Some(NOW + 600)),
            30,
            NOW,
            0,
        );
    }
    assert!(cache.len() <= 32, "{}", cache.len());
    assert!(
        cache.len() >= 16,
        "eviction keeps most of the bound: {}",
        cache.len()
    );
    let none = TokenCache::new(0);
    none.insert(
        key("x"),
        report(Verdict::Valid, Some(NOW + 600)),
        30,
        NOW,
        0,
    );
    assert!(none.is_empty());
}

#[test]
fn a_new_generation_makes_verdicts_stale() {
    let cache = TokenCache::new(8);
    let k = key("t");
    cache.insert(k, report(Verdict::Valid, Some(NOW + 600)), 30, NOW, 1);
    assert!(cache.get(&k, NOW, 1).is_some());
    assert!(cache.get(&k, NOW, 2).is_none());
}
