//! The watch of an exchange, carried from the request head to the end of the response body:
//! a guard that ends it as `ClientGone` if the handler is dropped, and the response body that
//! streams to the client frame by frame while the watch sees phases 5 and 6.

use super::phase::{Ending, Watch};
use super::tap::{Observer, Tapped};
use crate::upstream::{Outgoing, UpstreamBody};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Holds the watch until the response body takes it; dropped unfinished, the client left.
/// The watch is boxed: it is most of a kilobyte, and the exchange's future and the response
/// body that carry it are moved several times per request.
pub struct Guard<W: Watch> {
    watch: Option<Box<W>>,
    cut: Arc<AtomicBool>,
}

impl<W: Watch> Guard<W> {
    /// `cut` is the listener's drain-deadline flag (`Shared::cut`).
    pub fn new(watch: W, cut: Arc<AtomicBool>) -> Self {
        Guard {
            watch: Some(Box::new(watch)),
            cut,
        }
    }

    pub fn get_mut(&mut self) -> &mut W {
        self.watch.as_mut().expect("present until taken")
    }

    pub fn get(&self) -> &W {
        self.watch.as_ref().expect("present until taken")
    }

    pub fn end(mut self, ending: Ending) {
        if let Some(w) = self.watch.take() {
            w.end(ending);
        }
    }

    fn take(mut self) -> (Option<Box<W>>, Arc<AtomicBool>) {
        (self.watch.take(), self.cut.clone())
    }
}

impl<W: Watch> Drop for Guard<W> {
    fn drop(&mut self) {
        gone(self.watch.take(), &self.cut);
    }
}

/// An unfinished watch dropped: the client left, unless the drain deadline cut the exchange
/// (then it was counted once as a drain cut and its watch ends without a verdict).
fn gone<W: Watch>(watch: Option<Box<W>>, cut: &AtomicBool) {
    if let Some(w) = watch
        && !cut.load(Ordering::Relaxed)
    {
        w.end(Ending::ClientGone);
    }
}

/// The upstream's response body with the watch riding along; `B` is the request body type of
/// the upstream client that fetched it.
pub type ResponseBody<W, B> = Tapped<ResponseWatch<W>, UpstreamBody<B>>;

pub struct ResponseWatch<W: Watch> {
    watch: Option<Box<W>>,
    /// The head asked for the body's chunks.
    chunks: bool,
    cut: Arc<AtomicBool>,
}

pub fn response_body<W: Watch, B: Outgoing>(
    inner: UpstreamBody<B>,
    guard: Guard<W>,
    chunks: bool,
) -> ResponseBody<W, B> {
    let (watch, cut) = guard.take();
    Tapped::new(inner, ResponseWatch { watch, chunks, cut })
}

impl<W: Watch> ResponseWatch<W> {
    fn finish(&mut self, ending: Ending) {
        if let Some(w) = self.watch.take() {
            w.end(ending);
        }
    }
}

impl<W: Watch> Observer for ResponseWatch<W> {
    fn data(&mut self, data: &Bytes) {
        if let (true, Some(w)) = (self.chunks, &mut self.watch) {
            w.response_chunk(data);
        }
    }

    fn trailers(&mut self, trailers: &http::HeaderMap) {
        if let Some(w) = &mut self.watch {
            w.response_trailers(trailers);
        }
    }

    fn end(&mut self) {
        self.finish(Ending::Complete);
    }

    fn broke(&mut self) {
        self.finish(Ending::UpstreamBroke);
    }

    fn dropped(&mut self, ended: bool) {
        // An empty body may never be polled (HEAD, 204, 304): that is a complete exchange.
        if ended {
            self.finish(Ending::Complete);
        } else {
            gone(self.watch.take(), &self.cut);
        }
    }
}
