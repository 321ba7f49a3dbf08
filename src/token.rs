//! The bearer token: where the client put it, what it says, and whether the API should accept it.

mod extract;
mod report;

pub use extract::{Presented, Token, extract};
pub use report::{Check, ClaimFacts, Fingerprint, HeaderFacts, ScopeClaim, TokenReport, Verdict};
