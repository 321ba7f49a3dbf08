//! The upstream's own words: `WWW-Authenticate` challenges and JSON error bodies.

use crate::facts::ResponseFacts;

/// What the upstream said about a failure, sanitised for logging.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpstreamWords {
    pub www_authenticate: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The `scope` parameter of an `insufficient_scope` challenge.
    pub scope: Option<String>,
}

pub fn words(resp: &ResponseFacts) -> UpstreamWords {
    let _ = resp;
    UpstreamWords::default()
}

/// The cause a known middleware's own words name (taxonomy §2), if any. Unknown words give
/// `None` and classification falls back to authlens's own evidence.
pub fn cause_from_words(
    words: &UpstreamWords,
) -> Option<(crate::cause::Cause, crate::cause::Detail)> {
    let _ = words;
    None
}
