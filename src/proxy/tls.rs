//! The TLS listener: TCP accepts handed to the server as streams that finish their handshake on
//! first use, so a slow or silent client holds only its own connection task, never the accept
//! loop. ALPN offers `h2` and `http/1.1`; the server speaks whichever the client picked.

use super::accept::{Accept, Connection};
use super::certs::Certs;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

pub struct TlsListener {
    tcp: TcpListener,
    certs: Arc<Certs>,
    handshake_timeout: Duration,
}

impl TlsListener {
    /// `handshake_timeout` bounds a client that connects and never finishes its handshake.
    pub fn new(tcp: TcpListener, certs: Arc<Certs>, handshake_timeout: Duration) -> Self {
        TlsListener {
            tcp,
            certs,
            handshake_timeout,
        }
    }
}

impl Accept for TlsListener {
    type Io = TlsIo;

    async fn accept(&mut self) -> io::Result<(TlsIo, Connection)> {
        let (stream, conn) = Accept::accept(&mut self.tcp).await?;
        let handshake = TlsAcceptor::from(self.certs.current()).accept(stream);
        let io = TlsIo::Handshaking(
            Box::pin(handshake),
            Box::pin(tokio::time::sleep(self.handshake_timeout)),
        );
        Ok((io, Connection { tls: true, ..conn }))
    }
}

type Handshake = Pin<Box<tokio_rustls::Accept<TcpStream>>>;

/// A client connection: its handshake under way, then the TLS stream.
pub enum TlsIo {
    Handshaking(Handshake, Pin<Box<Sleep>>),
    Ready(Box<TlsStream<TcpStream>>),
    Failed,
}

impl TlsIo {
    fn poll_stream(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Pin<&mut TlsStream<TcpStream>>>> {
        if let TlsIo::Handshaking(handshake, deadline) = self {
            let done = match handshake.as_mut().poll(cx) {
                Poll::Ready(r) => r,
                Poll::Pending => {
                    ready!(deadline.as_mut().poll(cx));
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "TLS handshake timed out",
                    ))
                }
            };
            match done {
                Ok(stream) => *self = TlsIo::Ready(Box::new(stream)),
                Err(e) => {
                    *self = TlsIo::Failed;
                    return Poll::Ready(Err(e));
                }
            }
        }
        match self {
            TlsIo::Ready(stream) => Poll::Ready(Ok(Pin::new(stream.as_mut()))),
            _ => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "TLS handshake failed",
            ))),
        }
    }
}

impl AsyncRead for TlsIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.get_mut().poll_stream(cx))?.poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.get_mut().poll_stream(cx))?.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.get_mut().poll_stream(cx))?.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.get_mut().poll_stream(cx))?.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.get_mut().poll_stream(cx))?.poll_shutdown(cx)
    }
}
