//! Test harness: real hyper upstreams on loopback, the real `authlens` binary, a real client.
#![allow(dead_code, unused_imports)] // each test binary uses a different part of the harness

pub mod agree;
pub mod authlens;
pub mod browser;
pub mod client;
pub mod upstream;

pub use authlens::Authlens;
pub use client::{Reply, send};
pub use upstream::{Seen, Upstream};

/// A stream that yields `items` one by one, for streamed request and response bodies.
pub fn stream_of<T: Send + 'static>(items: Vec<T>) -> impl futures_core::Stream<Item = T> + Send {
    struct Iter<T>(std::vec::IntoIter<T>);
    impl<T> futures_core::Stream for Iter<T> {
        type Item = T;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<T>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    impl<T> Unpin for Iter<T> {}
    Iter(items.into_iter())
}
