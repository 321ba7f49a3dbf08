//! Where client connections come from: any byte stream, with what is known about it. Plain
//! TCP is the sidecar case (TLS, if any, ends before authlens); a TLS acceptor plugs in here.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

/// How a client reached authlens, as the forwarding headers must tell the upstream.
#[derive(Clone, Copy, Debug)]
pub struct Connection {
    pub peer: SocketAddr,
    /// The client spoke TLS to authlens.
    pub tls: bool,
}

impl Connection {
    /// `X-Forwarded-Proto` for this hop.
    pub fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }
}

/// A source of client connections: any byte stream, with what is known about it.
pub trait Accept: Send {
    type Io: AsyncRead + AsyncWrite + Send + Unpin + 'static;

    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Io, Connection)>> + Send;
}

impl Accept for TcpListener {
    type Io = TcpStream;

    async fn accept(&mut self) -> io::Result<(TcpStream, Connection)> {
        let (stream, peer) = TcpListener::accept(self).await?;
        let _ = stream.set_nodelay(true);
        Ok((stream, Connection { peer, tls: false }))
    }
}
