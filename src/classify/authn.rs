//! 401-family causes: authlens's own token checks first, then the upstream's words.

use super::{Exchange, Failure};
use crate::cause::{Cause, Confidence, Detail};
use crate::challenge::UpstreamWords;
use crate::facts::ResponseFacts;
use crate::token::{Presented, Verdict};

pub(super) fn classify(x: &Exchange<'_>, resp: &ResponseFacts, words: &UpstreamWords) -> Failure {
    let _ = words;
    match &x.request.credentials {
        Presented::None => {
            return Failure::new(
                Cause::TokenMissing,
                Detail::None,
                Confidence::Proxy,
                "the request carried no access token: the client must send `Authorization: Bearer <token>`",
            );
        }
        Presented::NotBearer(detail) => {
            return Failure::new(
                Cause::AuthSchemeNotBearer,
                *detail,
                Confidence::Proxy,
                "the Authorization header is not in `Bearer <token>` form: fix how the client builds it",
            );
        }
        Presented::Multiple(_) => {
            return Failure::new(
                Cause::TokenMultipleMethods,
                Detail::None,
                Confidence::Proxy,
                "the request carries the token more than once: send it only in the Authorization header",
            );
        }
        Presented::Bearer(_) => {}
    }
    if let Some(Verdict::Invalid(check)) = x.token.map(|t| &t.verdict) {
        return Failure::new(
            check.cause,
            check.detail,
            Confidence::Proxy,
            "the token failed authlens's checks",
        );
    }
    if resp.www_authenticate.is_empty() {
        return Failure::new(
            Cause::UpstreamAuthLayerAbsent,
            Detail::None,
            Confidence::Heuristic,
            "the API answered 401 without a WWW-Authenticate challenge: the JWT middleware is probably not \
             mounted on this route and the handler rejects on its own",
        );
    }
    Failure::new(
        Cause::UpstreamRejectedValidToken,
        Detail::None,
        Confidence::Upstream,
        "the API rejected a token that passes every check authlens can make: read the API's own auth logs",
    )
}
