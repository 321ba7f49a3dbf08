//! The worker's own upstream pool, against the real binary: keep-alive connections are reused
//! across requests and client connections, one the upstream closed while idle is replaced
//! without a failed request, and after a reload that moves `upstream.url` no request goes to
//! the old upstream on a pooled connection; in a quiet spell an idle connection is closed after
//! `upstream.idle_timeout`.

mod support;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::client::get;
use support::upstream::reply;
use support::{Authlens, send};
use tokio::net::TcpListener;

/// An HTTP/1.1 and h2c server on loopback that counts the connections it accepted, the requests it
/// answered and the connections that ended; `lifetime` closes each connection that long after
/// it was accepted.
struct Counting {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    ended: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Counting {
    async fn start(lifetime: Option<Duration>) -> Counting {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let ended = Arc::new(AtomicUsize::new(0));
        let (c, r, e) = (connections.clone(), requests.clone(), ended.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let (r, e) = (r.clone(), e.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |_req| {
                        r.fetch_add(1, Ordering::SeqCst);
                        async { Ok::<_, std::convert::Infallible>(reply(200, &[], "ok")) }
                    });
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    match lifetime {
                        Some(t) => drop(tokio::time::timeout(t, conn).await),
                        None => drop(conn.await),
                    }
                    e.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        Counting {
            addr,
            connections,
            requests,
            ended,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn ended(&self) -> usize {
        self.ended.load(Ordering::SeqCst)
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_requests_share_one_upstream_connection() {
    let upstream = Counting::start(None).await;
    let authlens = Authlens::start(&upstream.url(), "workers: 1\n");
    // Each `send` is a new client connection; the worker's pool still holds the one upstream
    // connection between them.
    for _ in 0..20 {
        let got = send(get(&format!("{}/x", authlens.proxy))).await;
        assert_eq!(got.status, 200);
    }
    assert_eq!(upstream.requests(), 20);
    assert_eq!(
        upstream.connections(),
        1,
        "a keep-alive connection was not reused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_upstream_closed_while_idle_is_replaced_without_a_failure() {
    let upstream = Counting::start(Some(Duration::from_millis(150))).await;
    let authlens = Authlens::start(&upstream.url(), "workers: 1\n");
    for round in 1..=3 {
        let got = send(get(&format!("{}/x", authlens.proxy))).await;
        assert_eq!(got.status, 200, "round {round}");
        // The upstream drops the connection meanwhile; the next request needs a new one.
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(upstream.requests(), 3);
    assert_eq!(upstream.connections(), 3);
    let failures = authlens
        .metrics()
        .await
        .lines()
        .filter(|l| l.starts_with("authlens_failures_total{"))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(
        failures.iter().all(|l| l.ends_with(" 0")),
        "a failure was counted: {failures:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_reload_moves_the_upstream_no_request_goes_to_the_old_one() {
    let (old, new) = (Counting::start(None).await, Counting::start(None).await);
    let authlens = Authlens::start(&old.url(), "workers: 1\n");
    for _ in 0..3 {
        assert_eq!(
            send(get(&format!("{}/x", authlens.proxy))).await.status,
            200
        );
    }
    // The old upstream's connection sits in the pool, ready, when the URL changes.
    let yaml = std::fs::read_to_string(authlens.config_path()).expect("config");
    std::fs::write(authlens.config_path(), yaml.replace(&old.url(), &new.url())).expect("write");
    authlens.signal("HUP");
    assert_eq!(authlens.reload_line(1)["result"], "ok");
    for _ in 0..3 {
        assert_eq!(
            send(get(&format!("{}/x", authlens.proxy))).await.status,
            200
        );
    }
    assert_eq!((old.requests(), new.requests()), (3, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_after_the_idle_timeout_without_more_traffic() {
    for protocol in ["http1", "h2c"] {
        let upstream = Counting::start(None).await;
        let authlens =
            Authlens::with_config(&Authlens::config(&upstream.url(), "workers: 1\n").replace(
                "upstream:\n  url:",
                &format!("upstream:\n  protocol: {protocol}\n  idle_timeout: 300ms\n  url:"),
            ));
        assert_eq!(
            send(get(&format!("{}/x", authlens.proxy))).await.status,
            200
        );
        assert_eq!(upstream.ended(), 0, "{protocol}: closed at once");
        // Nothing else happens: only authlens's own sweep can close it.
        let started = std::time::Instant::now();
        while upstream.ended() == 0 && started.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            upstream.ended(),
            1,
            "{protocol}: the idle connection stayed open"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "{protocol}: closed before its idle timeout: {:?}",
            started.elapsed()
        );
        assert_eq!((upstream.connections(), upstream.requests()), (1, 1));
    }
}
