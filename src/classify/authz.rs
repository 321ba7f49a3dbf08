//! 403-family causes: scopes first, then other policy denials.

use super::{Exchange, Failure};
use crate::cause::{Cause, Confidence, Detail};
use crate::challenge::UpstreamWords;
use crate::facts::ResponseFacts;

pub(super) fn classify(x: &Exchange<'_>, resp: &ResponseFacts, words: &UpstreamWords) -> Failure {
    let _ = (x, resp, words);
    Failure::new(
        Cause::ForbiddenOther,
        Detail::None,
        Confidence::Upstream,
        "the API denied access for a reason other than scope (role, tenant or ownership): check its \
         authorization policy",
    )
}
