//! Modes: what authlens watches for on a route. A mode plugs observers into the phases of the
//! data path (`proxy::phase`) and owns its classification. The resource-server mode (Bearer
//! tokens presented to an API) is the first.

pub mod form_scan;
pub mod resource_server;
pub mod response;
