//! CORS causes, by the Fetch standard's own checks on what the upstream answered.

use super::{Exchange, Failure};
use crate::facts::ResponseFacts;

/// `auth` is the auth failure of the same response, if any: a preflight rejected by the auth
/// layer, or an error response that hides its cause from the browser.
pub(super) fn check(
    x: &Exchange<'_>,
    resp: &ResponseFacts,
    auth: Option<&Failure>,
) -> Option<Failure> {
    let _ = (x, resp, auth);
    None
}
