//! A token that passes authlens's checks: the upstream's evidence decides (taxonomy §2.10).

use super::*;

#[test]
fn valid_token_joins_the_upstream_evidence() {
    let p = policy();
    let accepted = History {
        upstream_accepted_a_token: true,
        ..History::default()
    };
    let recent_kid = History {
        upstream_accepted_a_token: true,
        kid_first_seen_secs_ago: Some(90),
        ..History::default()
    };
    let old_kid = History {
        kid_first_seen_secs_ago: Some(STALE_WINDOW_SECS + 1),
        ..accepted
    };
    struct Row {
        resp: ResponseFacts,
        upstream: Option<(Cause, Detail)>,
        history: History,
        exp: i64,
        iat: i64,
        want: (Cause, Detail, Confidence),
        hint: &'static str,
    }
    let row = |resp, upstream, history, want, hint| Row {
        resp,
        upstream,
        history,
        exp: NOW + 600,
        iat: NOW - 10,
        want,
        hint,
    };
    let mut rows = vec![
        row(
            response(false, None),
            None,
            accepted,
            (
                Cause::UpstreamAuthLayerAbsent,
                Detail::None,
                Confidence::Heuristic,
            ),
            "not mounted",
        ),
        row(
            response(true, None),
            None,
            accepted,
            (
                Cause::UpstreamRejectedValidToken,
                Detail::None,
                Confidence::Upstream,
            ),
            "typ at+jwt",
        ),
        row(
            response(true, Some(NOW + 700)),
            None,
            accepted,
            (
                Cause::ClockSkew,
                Detail::UpstreamClock,
                Confidence::Heuristic,
            ),
            "700s ahead of",
        ),
        row(
            response(true, Some(NOW + 700)),
            Some((Cause::TokenExpired, Detail::None)),
            accepted,
            (Cause::ClockSkew, Detail::UpstreamClock, Confidence::Both),
            "sync NTP",
        ),
        row(
            response(true, Some(NOW + 60)),
            None,
            accepted,
            (
                Cause::UpstreamRejectedValidToken,
                Detail::None,
                Confidence::Upstream,
            ),
            "auth logs",
        ),
        row(
            response(true, None),
            Some((Cause::TokenExpired, Detail::None)),
            accepted,
            (
                Cause::ClockSkew,
                Detail::UpstreamClock,
                Confidence::Upstream,
            ),
            "exp in 600s",
        ),
        row(
            response(true, None),
            Some((Cause::KidUnknown, Detail::None)),
            recent_kid,
            (
                Cause::UpstreamJwksStale,
                Detail::None,
                Confidence::Heuristic,
            ),
            "published 90s ago",
        ),
        row(
            response(true, None),
            Some((Cause::KidUnknown, Detail::None)),
            History::default(),
            (
                Cause::UpstreamJwksMisconfigured,
                Detail::None,
                Confidence::Heuristic,
            ),
            "metadata",
        ),
        row(
            response(true, None),
            Some((Cause::SignatureInvalid, Detail::None)),
            History::default(),
            (
                Cause::UpstreamJwksMisconfigured,
                Detail::None,
                Confidence::Heuristic,
            ),
            "accepted none",
        ),
        row(
            response(true, None),
            Some((Cause::KidUnknown, Detail::None)),
            old_kid,
            (
                Cause::UpstreamRejectedValidToken,
                Detail::None,
                Confidence::Upstream,
            ),
            "passes every check",
        ),
        row(
            response(true, None),
            Some((Cause::TypRejected, Detail::None)),
            accepted,
            (Cause::TypRejected, Detail::None, Confidence::Upstream),
            "make the API's expected values match",
        ),
        row(
            response(true, None),
            Some((Cause::AudienceMismatch, Detail::Other)),
            accepted,
            (Cause::AudienceMismatch, Detail::None, Confidence::Upstream),
            "audience_mismatch",
        ),
        row(
            response(true, None),
            Some((Cause::JwksFetchFailed, Detail::None)),
            accepted,
            (Cause::JwksFetchFailed, Detail::None, Confidence::Upstream),
            "API host's network path",
        ),
        row(
            response(true, None),
            Some((Cause::TokenMissing, Detail::None)),
            accepted,
            (
                Cause::UpstreamRejectedValidToken,
                Detail::None,
                Confidence::Upstream,
            ),
            "drops the Authorization header",
        ),
    ];
    rows.push(Row {
        exp: NOW - 5,
        ..row(
            response(true, None),
            Some((Cause::TokenExpired, Detail::None)),
            accepted,
            (Cause::ClockSkew, Detail::None, Confidence::Upstream),
            "expired 5s ago, inside authlens's leeway",
        )
    });
    rows.push(Row {
        iat: NOW + 20,
        ..row(
            response(true, None),
            Some((Cause::TokenNotYetValid, Detail::None)),
            accepted,
            (Cause::ClockSkew, Detail::IssuerClock, Confidence::Upstream),
            "20s in the future",
        )
    });
    for r in rows {
        let mut t = report(Verdict::Valid);
        t.claims.exp = Some(r.exp);
        t.claims.iat = Some(r.iat);
        let case = Case {
            token: Some(t),
            resp: r.resp,
            upstream: r.upstream,
            words: UpstreamWords::default(),
            history: r.history,
        };
        let f = case.run(&p);
        assert_eq!((f.cause, f.detail, f.confidence), r.want, "{}", f.hint);
        assert!(f.hint.contains(r.hint), "{:?}: {}", r.want, f.hint);
    }
}

#[test]
fn unverified_tokens_blame_the_key_fetch_unless_the_upstream_says_more() {
    let p = policy();
    let f = Case::new(Verdict::Unverified).run(&p);
    assert_eq!(
        (f.cause, f.confidence),
        (Cause::JwksFetchFailed, Confidence::Proxy)
    );
    assert!(f.hint.contains("resource-as"), "{}", f.hint);
    let mut case = Case::new(Verdict::Unverified);
    case.upstream = Some((Cause::TokenExpired, Detail::None));
    let f = case.run(&p);
    assert_eq!(
        (f.cause, f.confidence),
        (Cause::TokenExpired, Confidence::Upstream)
    );
    // No report at all (the verifying task failed): the upstream's answer shape decides.
    let mut case = Case::new(Verdict::Unverified);
    case.token = None;
    case.resp = response(false, None);
    assert_eq!(case.run(&p).cause, Cause::UpstreamAuthLayerAbsent);
    case.resp = response(true, None);
    let f = case.run(&p);
    assert_eq!(
        (f.cause, f.confidence),
        (Cause::UpstreamRejectedValidToken, Confidence::Heuristic)
    );
}
