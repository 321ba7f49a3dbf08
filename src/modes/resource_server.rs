//! The resource-server mode: a client presents a Bearer token to the API. Phase 1 starts the
//! token check beside the upstream round trip (or answers it from the cache); phase 2 reads a
//! form body for a token; phases 4–5 keep what a small error answer says; phase 6 classifies
//! with `classify::resource_server` and emits one event.

mod exchange;

pub use exchange::Exchange;

use crate::facts::RequestFacts;
use crate::generation::Generation;
use crate::inspect::Inspector;
use crate::proxy::phase::Mode;
use std::sync::Arc;
use std::time::Instant;

pub struct ResourceServer {
    pub inspector: Arc<Inspector>,
    /// `upstream.error_body_bytes`: how much of an error body is kept for its words.
    pub error_body_bytes: usize,
}

impl Mode for ResourceServer {
    type Watch = Exchange;

    #[inline]
    fn request_head(
        &self,
        generation: &Arc<Generation>,
        facts: RequestFacts,
        started: Instant,
    ) -> Exchange {
        let preflights = &generation.memory.preflights;
        if facts.preflight.is_none()
            && let Some(key) = preflights.key_of(&facts)
        {
            preflights.on_request(key);
        }
        let inspection = facts
            .credentials
            .token()
            .map(|t| self.inspector.inspect(&generation.trust, t));
        Exchange::new(
            generation.clone(),
            self.inspector.clone(),
            facts,
            inspection,
            started,
            self.error_body_bytes,
        )
    }
}
