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
