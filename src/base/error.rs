//! Walking an error's sources. Transport errors arrive nested several levels deep, and the top
//! level alone says little ("client error (Connect)").

use std::error::Error;
use std::io;

/// The next error down. `io::Error::source` skips the error it wraps (it answers that error's
/// own source), and TLS failures arrive as an `io::Error` wrapping an `io::Error` wrapping the
/// `rustls::Error`; so look inside io errors explicitly.
pub fn inner<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a (dyn Error + 'static)> {
    match e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
        Some(wrapped) => Some(wrapped),
        None => e.source(),
    }
}

/// Every level of the error on one line, for logs. These messages come from the network stack,
/// never from request data.
pub fn chain_text(err: &(dyn Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = inner(err);
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = inner(e);
    }
    text
}

/// Every level of the error, outermost first.
pub fn chain<'a>(
    err: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(err), |e: &&'a (dyn Error + 'static)| inner(*e))
}
