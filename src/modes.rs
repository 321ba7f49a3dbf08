//! Modes: what authlens watches for on a route. A mode plugs observers into the phases of the
//! data path (`proxy::phase`) and owns its classification. The resource-server mode (Bearer
//! tokens presented to an API) is the first; the token-endpoint mode watches the OAuth token
//! requests of the seed's Steps 2 and 3. `Modes` picks one per route.

mod either;
pub mod form_scan;
pub mod resource_server;
pub mod response;
pub mod token_endpoint;

pub use either::Either;

use crate::facts::RequestFacts;
use crate::generation::Generation;
use crate::proxy::phase::Mode;
use resource_server::ResourceServer;
use std::sync::Arc;
use std::time::Instant;
use token_endpoint::TokenEndpoint;

/// Both modes on one listener. Token-endpoint routes come first in the route table, so the
/// choice is one bounds check.
pub struct Modes {
    pub resource_server: ResourceServer,
    pub token_endpoint: TokenEndpoint,
}

impl Mode for Modes {
    type Watch = Either<resource_server::Exchange, token_endpoint::Exchange>;

    fn request_head(
        &self,
        generation: &Arc<Generation>,
        facts: RequestFacts,
        started: Instant,
    ) -> Self::Watch {
        match generation
            .policy
            .token_endpoints
            .routes
            .get(facts.route.0 as usize)
        {
            None => Either::A(
                self.resource_server
                    .request_head(generation, facts, started),
            ),
            Some(&(endpoint, kind)) => Either::B(
                self.token_endpoint
                    .request_head(generation, facts, started, endpoint, kind),
            ),
        }
    }
}
