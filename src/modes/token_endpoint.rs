//! The token-endpoint mode: authlens fronts an OAuth token endpoint (the IdP's token exchange,
//! Step 2, or the resource authorization server's JWT-bearer grant, Step 3). Phase 2 reads the
//! form fields as they stream past and notes the client authentication (never the secret);
//! phases 4–5 keep a small error answer; phase 6 verifies the assertion against the trusted
//! IdP's keys on a task (after the response has gone), classifies with
//! `classify::token_endpoint` and emits one event.

mod exchange;
mod replay;

pub use exchange::Exchange;
pub use replay::Accepted;

use crate::facts::RequestFacts;
use crate::generation::Generation;
use crate::inspect::Inspector;
use crate::policy::EndpointKind;
use std::sync::Arc;
use std::time::Instant;

/// What every token-endpoint exchange shares; outlives generations. Clones share the replay
/// memory, so every worker sees every accepted `jti`.
#[derive(Clone)]
pub struct TokenEndpoint {
    pub inspector: Arc<Inspector>,
    pub accepted: Arc<Accepted>,
    /// `upstream.error_body_bytes`, as in the resource-server mode.
    pub error_body_bytes: usize,
}

impl TokenEndpoint {
    pub fn new(inspector: Arc<Inspector>, error_body_bytes: usize) -> Self {
        TokenEndpoint {
            inspector,
            error_body_bytes,
            accepted: Arc::default(),
        }
    }

    /// Phase 1 for a route of endpoint `endpoint`.
    pub fn request_head(
        &self,
        generation: &Arc<Generation>,
        facts: RequestFacts,
        started: Instant,
        endpoint: usize,
        kind: EndpointKind,
    ) -> Exchange {
        Exchange {
            generation: generation.clone(),
            inspector: self.inspector.clone(),
            accepted: self.accepted.clone(),
            request: facts,
            started,
            endpoint,
            kind,
            basic: None,
            form: None,
            response: Default::default(),
            error_body_bytes: self.error_body_bytes,
        }
    }
}
