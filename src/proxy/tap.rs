//! A body streamed through unchanged while an observer watches its frames go by: phases 2 and
//! 5 of an exchange (request and response body chunks).

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// What a `Tapped` body tells its observer. `end` may be called more than once.
pub trait Observer {
    fn data(&mut self, data: &Bytes);
    /// The body's trailers (gRPC's status travels in them). No default, as for
    /// `Watch::response_trailers`: a wrapper must pass them on.
    fn trailers(&mut self, trailers: &HeaderMap);
    /// The body was delivered whole.
    fn end(&mut self);
    /// The peer broke off in the middle.
    fn broke(&mut self);
    /// The body was dropped; `ended` when nothing was left to send (HEAD, 204, 304).
    fn dropped(&mut self, ended: bool) {
        let _ = ended;
    }
}

/// No observer: the body passes untouched.
impl<O: Observer> Observer for Option<O> {
    fn data(&mut self, data: &Bytes) {
        if let Some(o) = self {
            o.data(data);
        }
    }

    fn trailers(&mut self, trailers: &HeaderMap) {
        if let Some(o) = self {
            o.trailers(trailers);
        }
    }

    fn end(&mut self) {
        if let Some(o) = self {
            o.end();
        }
    }

    fn broke(&mut self) {
        if let Some(o) = self {
            o.broke();
        }
    }

    fn dropped(&mut self, ended: bool) {
        if let Some(o) = self {
            o.dropped(ended);
        }
    }
}

/// A body (the client's request body, or the upstream's answer) with its observer.
pub struct Tapped<O: Observer, B: Body = Incoming> {
    inner: B,
    observer: O,
}

impl<O: Observer, B: Body> Tapped<O, B> {
    pub fn new(inner: B, observer: O) -> Self {
        Tapped { inner, observer }
    }
}

impl<O, B> Body for Tapped<O, B>
where
    O: Observer + Unpin,
    B: Body<Data = Bytes, Error = hyper::Error> + Unpin,
{
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let polled = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &polled {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.observer.data(data);
                } else if let Some(trailers) = frame.trailers_ref() {
                    this.observer.trailers(trailers);
                }
                if this.inner.is_end_stream() {
                    this.observer.end();
                }
            }
            Some(Err(_)) => this.observer.broke(),
            None => this.observer.end(),
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<O: Observer, B: Body> Drop for Tapped<O, B> {
    fn drop(&mut self) {
        self.observer.dropped(self.inner.is_end_stream());
    }
}
