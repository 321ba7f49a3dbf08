//! Findings on exchanges that did not fail: a protected route that let a bad token through, or
//! an upstream that accepts what authlens's config rejects.

use super::Exchange;
use crate::cause::Finding;
use crate::evidence::token::{Presented, Verdict};
use crate::facts::ResponseFacts;

pub(super) fn of(x: &Exchange<'_>, resp: &ResponseFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    // A preflight never carries a token, so a 2xx to it says nothing about protection.
    if !resp.status.is_success() || x.request.preflight.is_some() {
        return out;
    }
    let protected = x
        .policy
        .routes
        .get(x.request.route)
        .is_some_and(|r| r.protected);
    let verdict = x.token.map(|t| &t.verdict);
    match (&x.request.credentials, verdict) {
        (Presented::None | Presented::NotBearer(_), _) if protected => {
            out.push(Finding::UnprotectedRoute)
        }
        (_, Some(Verdict::Invalid(_))) => out.push(Finding::ConfigDrift),
        _ => {}
    }
    let expiring = x.token.and_then(|t| t.claims.exp).is_some_and(|exp| {
        let now = crate::base::clock::unix_secs(x.now);
        exp > now && exp - now <= x.policy.expiring_soon.as_secs() as i64
    });
    if expiring {
        out.push(Finding::TokenExpiringSoon);
    }
    out
}
