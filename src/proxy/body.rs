//! The watch of an exchange, carried from the request head to the end of the response body:
//! a guard that ends it as `ClientGone` if the handler is dropped, and the response body that
//! streams to the client frame by frame while the watch sees phases 5 and 6.

use super::phase::{Ending, Watch};
use super::tap::{Observer, Tapped};
use bytes::Bytes;

/// Holds the watch until the response body takes it; dropped unfinished, the client left.
pub struct Guard<W: Watch>(Option<W>);

impl<W: Watch> Guard<W> {
    pub fn new(watch: W) -> Self {
        Guard(Some(watch))
    }

    pub fn get_mut(&mut self) -> &mut W {
        self.0.as_mut().expect("present until taken")
    }

    pub fn get(&self) -> &W {
        self.0.as_ref().expect("present until taken")
    }

    pub fn end(mut self, ending: Ending) {
        if let Some(w) = self.0.take() {
            w.end(ending);
        }
    }

    fn take(mut self) -> Option<W> {
        self.0.take()
    }
}

impl<W: Watch> Drop for Guard<W> {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            w.end(Ending::ClientGone);
        }
    }
}

/// The upstream's response body with the watch riding along.
pub type ResponseBody<W> = Tapped<ResponseWatch<W>>;

pub struct ResponseWatch<W: Watch> {
    watch: Option<W>,
    /// The head asked for the body's chunks.
    chunks: bool,
}

pub fn response_body<W: Watch>(
    inner: hyper::body::Incoming,
    guard: Guard<W>,
    chunks: bool,
) -> ResponseBody<W> {
    Tapped::new(
        inner,
        ResponseWatch {
            watch: guard.take(),
            chunks,
        },
    )
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
        self.finish(if ended {
            Ending::Complete
        } else {
            Ending::ClientGone
        });
    }
}
