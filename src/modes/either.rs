//! One of two watches (and their body observers), so one listener serves two modes.

use crate::facts::RequestFacts;
use crate::proxy::Observer;
use crate::proxy::phase::{Ending, Watch};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use std::time::Duration;

pub enum Either<A, B> {
    A(A),
    B(B),
}

impl<A: Watch, B: Watch> Watch for Either<A, B> {
    type RequestBody = Either<A::RequestBody, B::RequestBody>;

    fn request(&self) -> &RequestFacts {
        match self {
            Either::A(a) => a.request(),
            Either::B(b) => b.request(),
        }
    }

    fn request_body(&mut self, headers: &HeaderMap, empty: bool) -> Option<Self::RequestBody> {
        match self {
            Either::A(a) => a.request_body(headers, empty).map(Either::A),
            Either::B(b) => b.request_body(headers, empty).map(Either::B),
        }
    }

    fn response_head(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        upstream: Duration,
    ) -> bool {
        match self {
            Either::A(a) => a.response_head(status, headers, upstream),
            Either::B(b) => b.response_head(status, headers, upstream),
        }
    }

    fn response_chunk(&mut self, data: &Bytes) {
        match self {
            Either::A(a) => a.response_chunk(data),
            Either::B(b) => b.response_chunk(data),
        }
    }

    fn response_trailers(&mut self, trailers: &HeaderMap) {
        match self {
            Either::A(a) => a.response_trailers(trailers),
            Either::B(b) => b.response_trailers(trailers),
        }
    }

    fn end(self, ending: Ending) {
        match self {
            Either::A(a) => a.end(ending),
            Either::B(b) => b.end(ending),
        }
    }
}

impl<A: Observer, B: Observer> Observer for Either<A, B> {
    fn data(&mut self, data: &Bytes) {
        match self {
            Either::A(a) => a.data(data),
            Either::B(b) => b.data(data),
        }
    }

    fn trailers(&mut self, trailers: &HeaderMap) {
        match self {
            Either::A(a) => a.trailers(trailers),
            Either::B(b) => b.trailers(trailers),
        }
    }

    fn end(&mut self) {
        match self {
            Either::A(a) => a.end(),
            Either::B(b) => b.end(),
        }
    }

    fn broke(&mut self) {
        match self {
            Either::A(a) => a.broke(),
            Either::B(b) => b.broke(),
        }
    }

    fn dropped(&mut self, ended: bool) {
        match self {
            Either::A(a) => a.dropped(ended),
            Either::B(b) => b.dropped(ended),
        }
    }
}
