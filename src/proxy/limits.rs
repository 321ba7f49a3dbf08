//! What the listener turns away, named: a client stream that counts the bytes of the head it
//! is sending (so hyper's own 431/400 answers and header-read timeouts can be told apart
//! after the fact), and the open-connection limit.

use crate::cause::Detail;
use std::error::Error;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes read since authlens last wrote to the client: the head in progress, or a body.
#[derive(Default)]
pub struct HeadBytes {
    /// Any byte at all arrived on this connection.
    any: AtomicBool,
    pending: AtomicUsize,
    /// `pending` when the last write reset it: hyper's 431/400 is that write.
    before_last_write: AtomicUsize,
}

impl HeadBytes {
    fn read(&self, n: usize) {
        if n > 0 {
            self.any.store(true, Ordering::Relaxed);
        }
        self.pending.fetch_add(n, Ordering::Relaxed);
    }

    /// Resolves after `timeout` if the client has sent nothing by then; else never. hyper's
    /// header-read timeout starts only once it has read the first bytes (to tell HTTP/1.1
    /// from h2), so a connection that stays silent is closed here.
    pub async fn silent_for(&self, timeout: std::time::Duration) {
        tokio::time::sleep(timeout).await;
        if self.any.load(Ordering::Relaxed) {
            std::future::pending::<()>().await;
        }
    }

    /// Passes a write's result through; bytes written end the head that was being read.
    fn after_write(&self, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(n)) = polled
            && n > 0
        {
            let was = self.pending.swap(0, Ordering::Relaxed);
            self.before_last_write.store(was, Ordering::Relaxed);
        }
        polled
    }
}

/// A client stream that keeps `HeadBytes` up to date.
pub struct Counted<IO> {
    inner: IO,
    bytes: Arc<HeadBytes>,
}

impl<IO> Counted<IO> {
    pub fn new(inner: IO) -> (Self, Arc<HeadBytes>) {
        let bytes = Arc::new(HeadBytes::default());
        (
            Counted {
                inner,
                bytes: bytes.clone(),
            },
            bytes,
        )
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Counted<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.bytes.read(buf.filled().len() - before);
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Counted<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.bytes.after_write(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.bytes.after_write(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The `request_rejected` detail for a client connection that ended with `err`, or `None`
/// when it was not turned away (a reset, or an idle keep-alive connection that sent nothing
/// before the header-read timeout closed it).
pub fn rejection(
    err: &(dyn Error + 'static),
    bytes: &HeadBytes,
    max_head: usize,
) -> Option<Detail> {
    let hyper = crate::base::error::chain(err).find_map(|e| e.downcast_ref::<hyper::Error>())?;
    if hyper.is_timeout() {
        let partial = bytes.pending.load(Ordering::Relaxed) > 0;
        return partial.then_some(Detail::HeadTimeout);
    }
    if hyper.is_parse_too_large() {
        // hyper's read buffer filled up (a big head), or the field count ran out first.
        let head = bytes.before_last_write.load(Ordering::Relaxed);
        return Some(if head >= max_head {
            Detail::HeadTooLarge
        } else {
            Detail::TooManyHeaders
        });
    }
    if hyper.is_parse() {
        return Some(Detail::Malformed);
    }
    // On h2c, a protocol error h2 itself found in what the client sent (it answers with
    // GOAWAY); not one the client reported, nor a plain close.
    let h2 = crate::base::error::chain(err).find_map(|e| e.downcast_ref::<h2::Error>())?;
    (h2.is_library() && h2.reason().is_some_and(|r| r != h2::Reason::NO_ERROR))
        .then_some(Detail::Malformed)
}

/// One open client connection: holds its place under `downstream.max_connections` and the
/// open-connections gauge until the connection task ends.
pub struct Open {
    _permit: tokio::sync::OwnedSemaphorePermit,
    gauge: prometheus::IntGauge,
}

impl Open {
    pub fn new(permit: tokio::sync::OwnedSemaphorePermit, gauge: &prometheus::IntGauge) -> Self {
        gauge.inc();
        Open {
            _permit: permit,
            gauge: gauge.clone(),
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// Refusals at the connection limit, logged at most once a second with their count.
#[derive(Default)]
pub struct Refusals {
    unlogged: u64,
    last_line: Option<std::time::Instant>,
}

impl Refusals {
    /// Counts one refusal; returns how many to report in a log line now, if one is due.
    pub fn refused(&mut self) -> Option<u64> {
        self.unlogged += 1;
        let due = self
            .last_line
            .is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(1));
        due.then(|| {
            self.last_line = Some(std::time::Instant::now());
            std::mem::take(&mut self.unlogged)
        })
    }
}
