//! Small pieces every layer shares and that depend on nothing else in the crate: Unix time,
//! hex, bounded text, and the TLS client roots. The bottom layer.

pub mod clock;
pub mod error;
pub mod fault;
pub mod hex;
pub mod server_tls;
pub mod text;
pub mod tls;
