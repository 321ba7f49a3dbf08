//! The upstream client each worker owns: connections opened through the connector and reused
//! by that worker alone. A request takes an idle HTTP/1.1 connection (or the worker's HTTP/2
//! one), and its response body hands the connection back when it ends. There is no pool task
//! and no task spawned per request: hyper-util's legacy client spent about 1 µs of each
//! request on those (docs/performance.md).

use super::client::{Protocol, Resolver, UpstreamConnector, connector};
use crate::base::tls::CaError;
use crate::config::ConnectorSettings;
use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, Uri, header};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body the client can stream to the upstream.
pub trait Outgoing: Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static {}

impl<T> Outgoing for T where T: Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static {}

/// Why a request got no response. The connector's and hyper's errors are the sources, so
/// `transport_failure` walks the same chain it always has.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("cannot connect to the upstream")]
    Connect(#[source] BoxError),
    #[error("the upstream connection's handshake failed")]
    Handshake(#[source] hyper::Error),
    #[error("the upstream request failed")]
    Send(#[source] hyper::Error),
}

impl RequestError {
    pub fn is_connect(&self) -> bool {
        matches!(self, RequestError::Connect(_))
    }
}

/// One worker's connections to the upstream, for request bodies of type `B`.
pub struct UpstreamClient<B> {
    pool: Arc<Pool<B>>,
}

struct Pool<B> {
    connector: UpstreamConnector,
    protocol: Protocol,
    h1: http1::Builder,
    h2: http2::Builder<TokioExecutor>,
    idle_timeout: Duration,
    conns: Mutex<Conns<B>>,
    /// Set once the task that closes idle connections in a quiet spell is running.
    sweeping: AtomicBool,
}

/// Where a connection goes: `upstream.url` reloads live, so a connection to the old URL's
/// origin is never handed a request for the new one.
#[derive(Clone, PartialEq, Eq)]
struct Origin {
    scheme: Option<Scheme>,
    authority: Option<Authority>,
}

impl Origin {
    fn of(uri: &Uri) -> Self {
        Origin {
            scheme: uri.scheme().cloned(),
            authority: uri.authority().cloned(),
        }
    }

    fn is(&self, uri: &Uri) -> bool {
        self.scheme.as_ref() == uri.scheme() && self.authority.as_ref() == uri.authority()
    }
}

/// The connections not carrying a request, under one lock (one lock per request).
struct Conns<B> {
    /// Idle HTTP/1.1 connections, most recently used last: expired ones are at the front.
    idle: Vec<Idle<B>>,
    /// One HTTP/2 connection carries every request it can.
    multiplexed: Option<Multiplexed<B>>,
}

impl<B> Default for Conns<B> {
    fn default() -> Self {
        Conns {
            idle: Vec::new(),
            multiplexed: None,
        }
    }
}

struct Idle<B> {
    origin: Origin,
    sender: http1::SendRequest<B>,
    since: Instant,
}

struct Multiplexed<B> {
    origin: Origin,
    sender: http2::SendRequest<B>,
    /// When a request last took it.
    used: Instant,
}

enum Sender<B> {
    /// Its origin, and whether it came from the pool (a stale one may refuse a request).
    H1(Origin, http1::SendRequest<B>, bool),
    H2(http2::SendRequest<B>),
}

impl<B> UpstreamClient<B>
where
    B: Outgoing,
{
    /// A worker's client, through the connector the health probe uses too.
    pub fn build(
        settings: &ConnectorSettings,
        resolver: &Resolver,
        protocol: Protocol,
    ) -> Result<Self, CaError> {
        Ok(Self::new(
            connector(settings, resolver, protocol)?,
            settings,
            protocol,
        ))
    }

    fn new(connector: UpstreamConnector, settings: &ConnectorSettings, protocol: Protocol) -> Self {
        let mut h1 = http1::Builder::new();
        // hyper's floor for its read buffer is 8 KiB.
        h1.max_buf_size(settings.max_header_bytes.max(8192))
            .max_headers(settings.max_headers);
        let mut h2 = http2::Builder::new(TokioExecutor::new());
        h2.timer(TokioTimer::new());
        UpstreamClient {
            pool: Arc::new(Pool {
                connector,
                protocol,
                h1,
                h2,
                idle_timeout: settings.idle_timeout,
                conns: Mutex::default(),
                sweeping: AtomicBool::new(false),
            }),
        }
    }

    /// Sends `req` (its URI the path and query) to `upstream` (whose own path is not used) on
    /// a reused or a new connection.
    pub async fn request(
        &self,
        upstream: &Uri,
        req: Request<B>,
    ) -> Result<Response<UpstreamBody<B>>, RequestError> {
        let sender = match self.pool.checkout(upstream) {
            Some(sender) => sender,
            // Boxed, like the retry below: a new connection's state would otherwise make every
            // exchange's future kilobytes larger, and hyper moves that future per request.
            None => Box::pin(self.pool.connect(upstream)).await?,
        };
        match self.pool.send(sender, upstream, req).await {
            Ok(resp) => Ok(resp),
            // A pooled connection the upstream closed just as it was taken gives the request
            // back unsent: it goes once more, on a new connection, whose outcome is the answer.
            Err((_, Some(req))) => Box::pin(self.retry(upstream, req)).await,
            Err((e, None)) => Err(e),
        }
    }

    async fn retry(
        &self,
        upstream: &Uri,
        req: Request<B>,
    ) -> Result<Response<UpstreamBody<B>>, RequestError> {
        let sender = self.pool.connect(upstream).await?;
        self.pool
            .send(sender, upstream, req)
            .await
            .map_err(|(e, _)| e)
    }
}

impl<B> Pool<B>
where
    B: Outgoing,
{
    fn checkout(&self, upstream: &Uri) -> Option<Sender<B>> {
        let mut conns = lock(&self.conns);
        if let Some(h2) = &mut conns.multiplexed
            && h2.origin.is(upstream)
            && !h2.sender.is_closed()
        {
            h2.used = Instant::now();
            return Some(Sender::H2(h2.sender.clone()));
        }
        while let Some(Idle {
            origin,
            sender,
            since,
        }) = conns.idle.pop()
        {
            if origin.is(upstream) && since.elapsed() <= self.idle_timeout && sender.is_ready() {
                return Some(Sender::H1(origin, sender, true));
            }
        }
        None
    }

    async fn connect(self: &Arc<Self>, upstream: &Uri) -> Result<Sender<B>, RequestError> {
        let mut connector = self.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(RequestError::Connect)?;
        let io = connector
            .call(upstream.clone())
            .await
            .map_err(RequestError::Connect)?;
        let origin = Origin::of(upstream);
        if self.protocol == Protocol::H2c || io.connected().is_negotiated_h2() {
            let (sender, conn) = self
                .h2
                .handshake(io)
                .await
                .map_err(RequestError::Handshake)?;
            tokio::spawn(conn);
            lock(&self.conns).multiplexed = Some(Multiplexed {
                origin,
                sender: sender.clone(),
                used: Instant::now(),
            });
            self.sweep_from_now_on();
            return Ok(Sender::H2(sender));
        }
        let (sender, conn) = self
            .h1
            .handshake(io)
            .await
            .map_err(RequestError::Handshake)?;
        tokio::spawn(conn.with_upgrades());
        Ok(Sender::H1(origin, sender, false))
    }

    /// On failure, the request comes back if a pooled connection refused it unsent.
    async fn send(
        self: &Arc<Self>,
        sender: Sender<B>,
        upstream: &Uri,
        mut req: Request<B>,
    ) -> Result<Response<UpstreamBody<B>>, (RequestError, Option<Request<B>>)> {
        match sender {
            Sender::H2(mut sender) => {
                h2_form(&mut req, upstream);
                match sender.try_send_request(req).await {
                    Ok(resp) => Ok(resp.map(|b| UpstreamBody::new(b, None))),
                    Err(mut e) => {
                        let unsent = e.take_message();
                        Err((RequestError::Send(e.into_error()), unsent))
                    }
                }
            }
            Sender::H1(origin, mut sender, reused) => {
                h1_form(&mut req, upstream);
                match sender.try_send_request(req).await {
                    Ok(resp) => {
                        let back = Back {
                            pool: self.clone(),
                            origin,
                            sender,
                        };
                        Ok(resp.map(|b| UpstreamBody::new(b, Some(back))))
                    }
                    Err(mut e) => {
                        let unsent = e.take_message().filter(|_| reused);
                        Err((RequestError::Send(e.into_error()), unsent))
                    }
                }
            }
        }
    }

    /// Back to the pool once hyper says the connection is free: at once when the response was
    /// read to its end (the usual case), else when the rest of the request body has gone.
    fn give_back(self: Arc<Self>, origin: Origin, mut sender: http1::SendRequest<B>) {
        if sender.is_ready() {
            self.push(origin, sender);
        } else if !sender.is_closed() {
            tokio::spawn(async move {
                if sender.ready().await.is_ok() {
                    self.push(origin, sender);
                }
            });
        }
    }

    fn push(self: &Arc<Self>, origin: Origin, sender: http1::SendRequest<B>) {
        lock(&self.conns).idle.push(Idle {
            origin,
            sender,
            since: Instant::now(),
        });
        self.sweep_from_now_on();
    }

    fn sweep_from_now_on(self: &Arc<Self>) {
        // A plain load first: this runs per request, the swap once.
        if !self.sweeping.load(Ordering::Relaxed) && !self.sweeping.swap(true, Ordering::Relaxed) {
            tokio::spawn(sweep(Arc::downgrade(self)));
        }
    }
}

/// Without traffic nothing else would close an idle connection, so every half idle timeout
/// the expired ones go (the HTTP/2 one when no request took it for that long). Ends with the
/// pool.
async fn sweep<B: Outgoing>(pool: Weak<Pool<B>>) {
    let every = pool
        .upgrade()
        .map_or(Duration::ZERO, |p| p.idle_timeout / 2)
        .max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(every).await;
        let Some(pool) = pool.upgrade() else { return };
        let now = Instant::now();
        let expired = |since: Instant| now.duration_since(since) > pool.idle_timeout;
        let mut conns = lock(&pool.conns);
        let old = conns.idle.iter().take_while(|i| expired(i.since)).count();
        conns.idle.drain(..old);
        // Dropping the last handle lets the HTTP/2 connection finish its streams and close.
        if conns.multiplexed.as_ref().is_some_and(|m| expired(m.used)) {
            conns.multiplexed = None;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing is left half-done under this lock.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// HTTP/1.1 names the target by path (origin form) and the host by `Host`; an HTTP/2 client's
/// request without `Host` gets the upstream's. A request given back unsent by an HTTP/2
/// connection has an absolute URI: it goes back to its path.
fn h1_form<B>(req: &mut Request<B>, upstream: &Uri) {
    if !req.headers().contains_key(header::HOST)
        && let Some(host) = upstream
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    {
        req.headers_mut().insert(header::HOST, host);
    }
    if req.uri().scheme().is_some() {
        *req.uri_mut() = Uri::from(path_of(req.uri()));
    }
}

/// HTTP/2 carries the host as `:authority` (the upstream's, from the URL): a `Host` that
/// differs from it is not allowed there (RFC 9113 §8.3.1), and `X-Forwarded-Host` keeps the
/// client's. This holds for h2c and for h2 chosen by ALPN alike.
fn h2_form<B>(req: &mut Request<B>, upstream: &Uri) {
    req.headers_mut().remove(header::HOST);
    let mut parts = http::uri::Parts::default();
    parts.scheme = upstream.scheme().cloned();
    parts.authority = upstream.authority().cloned();
    parts.path_and_query = Some(path_of(req.uri()));
    if let Ok(uri) = Uri::from_parts(parts) {
        *req.uri_mut() = uri;
    }
}

fn path_of(uri: &Uri) -> PathAndQuery {
    uri.path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"))
}

/// The way home for an HTTP/1.1 connection once its response has been read to the end.
struct Back<B> {
    pool: Arc<Pool<B>>,
    origin: Origin,
    sender: http1::SendRequest<B>,
}

/// The upstream's response body; an HTTP/1.1 connection goes back to the pool when it ends.
pub struct UpstreamBody<B> {
    inner: Incoming,
    back: Option<Back<B>>,
}

impl<B> UpstreamBody<B>
where
    B: Outgoing,
{
    fn new(inner: Incoming, back: Option<Back<B>>) -> Self {
        let mut body = UpstreamBody { inner, back };
        // No body at all (HEAD, 204, 304): the connection is free already.
        body.ended();
        body
    }

    fn ended(&mut self) {
        if self.inner.is_end_stream()
            && let Some(Back {
                pool,
                origin,
                sender,
            }) = self.back.take()
        {
            pool.give_back(origin, sender);
        }
    }
}

impl<B> Body for UpstreamBody<B>
where
    B: Outgoing,
{
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = std::task::ready!(Pin::new(&mut self.inner).poll_frame(cx));
        match &polled {
            Some(Ok(_)) | None => self.ended(),
            // A body cut short leaves the connection mid-message: it is not reused.
            Some(Err(_)) => self.back = None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http1_gets_the_path_and_the_upstream_host_http2_the_absolute_uri_and_no_host() {
        let upstream: Uri = "https://api.internal:8443/ignored".parse().unwrap();
        let mut req = Request::get("/v1/items?page=2").body(()).unwrap();
        h1_form(&mut req, &upstream);
        assert_eq!(req.uri(), "/v1/items?page=2");
        assert_eq!(req.headers()[header::HOST], "api.internal:8443");
        // Refused unsent by an HTTP/2 connection, then sent on HTTP/1.1: back to the path.
        h2_form(&mut req, &upstream);
        assert_eq!(req.uri(), "https://api.internal:8443/v1/items?page=2");
        assert!(req.headers().get(header::HOST).is_none());
        h1_form(&mut req, &upstream);
        assert_eq!(req.uri(), "/v1/items?page=2");
        assert_eq!(req.headers()[header::HOST], "api.internal:8443");
    }

    #[test]
    fn a_client_host_is_kept_on_http1() {
        let upstream: Uri = "http://10.0.0.7:8080".parse().unwrap();
        let mut req = Request::get("/")
            .header(header::HOST, "api.example")
            .body(())
            .unwrap();
        h1_form(&mut req, &upstream);
        assert_eq!(req.uri(), "/");
        assert_eq!(req.headers()[header::HOST], "api.example");
    }

    #[test]
    fn an_origin_matches_scheme_and_authority_only() {
        let origin = Origin::of(&"http://a.internal:80/x".parse().unwrap());
        assert!(origin.is(&"http://a.internal:80/y?z".parse().unwrap()));
        assert!(!origin.is(&"https://a.internal:80/x".parse().unwrap()));
        assert!(!origin.is(&"http://b.internal:80/x".parse().unwrap()));
    }
}
