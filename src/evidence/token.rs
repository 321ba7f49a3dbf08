//! The bearer token: where the client put it, what it says, and whether the API should accept it.

pub mod cache;
pub mod checks;
pub mod decode;
mod extract;
mod keyset;
mod report;
#[cfg(test)]
pub(crate) mod test_support;
mod verifier;

pub use extract::{Presented, Token, extract, form_token};
pub use keyset::{Key, KeySet};
pub use report::{Check, ClaimFacts, Fingerprint, HeaderFacts, ScopeClaim, TokenReport, Verdict};
pub use verifier::Verifier;
