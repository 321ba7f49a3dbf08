//! The proxy's own per-request work around the token: request facts from the head (route
//! matching included), the upstream request's headers, the response's hop-by-hop strip, the
//! metrics an exchange counts. Run
//! with `cargo bench --bench proxy_path`; the allocation columns are the point as much as the
//! times (each allocation is a malloc and a free on the request path).

use authlens::config::{Overrides, load_str};
use authlens::facts::RequestFacts;
use authlens::policy::Policy;
use authlens::proxy::Connection;
use authlens::proxy::headers::{prepare, strip_hop_by_hop};
use authlens::telemetry::metrics::Metrics;
use http::{HeaderMap, HeaderValue, Method, Request, Version};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

const PEER: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 40000);

/// A policy with `routes` routes, the one the traffic hits last (as in `scripts/bench.sh wide`).
fn policy(routes: usize) -> Arc<Policy> {
    static ONE: OnceLock<Arc<Policy>> = OnceLock::new();
    static HUNDRED: OnceLock<Arc<Policy>> = OnceLock::new();
    let cell = if routes == 1 { &ONE } else { &HUNDRED };
    cell.get_or_init(|| {
        let mut yaml = String::from(
            "upstream:\n  url: http://127.0.0.1:9\n  health: { enabled: false }\nauth:\n  issuers:\n    \
             - name: bench\n      issuer: https://issuer.bench.local/\n      \
             jwks_uri: http://127.0.0.1:9/jwks.json\n      audiences: [authlens-bench]\nroutes:\n",
        );
        for i in 1..routes {
            yaml += &format!(
                "  - name: other-{i}\n    path_prefix: /api/other-{i}\n    required_scopes: [read:other-{i}]\n"
            );
        }
        yaml += "  - name: items\n    path_prefix: /api/items\n    required_scopes: [read:items]\n";
        let settings = load_str(&yaml, &Overrides::default()).expect("valid config");
        Arc::new(settings.live.policy)
    })
    .clone()
}

/// The head wrk sends in the harness: `Host` and a bearer token of harness size.
fn request() -> Request<()> {
    let token = format!(
        "eyJ{}.eyJ{}.{}",
        "a".repeat(60),
        "b".repeat(400),
        "c".repeat(342)
    );
    Request::get("/api/items")
        .header("host", "127.0.0.1:18083")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .expect("request")
}

/// The head nginx answers with in the harness.
fn response_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("server", "nginx/1.22.1"),
        ("date", "Mon, 30 Nov 2026 06:00:00 GMT"),
        ("content-type", "application/json"),
        ("content-length", "27"),
        ("connection", "keep-alive"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    h
}

#[divan::bench(args = [1, 100])]
fn route_find(bencher: divan::Bencher<'_, '_>, routes: usize) {
    let policy = policy(routes);
    bencher.bench(|| {
        policy
            .routes
            .find(&Method::GET, divan::black_box("/api/items/7"))
    });
}

#[divan::bench(args = [1, 100])]
fn request_facts_from_head(bencher: divan::Bencher<'_, '_>, routes: usize) {
    let policy = policy(routes);
    let req = request();
    bencher.bench(|| RequestFacts::from_head(&req, &policy.routes, PEER));
}

/// Strip, forwarding headers, trace context: the request as it goes upstream.
#[divan::bench]
fn prepare_upstream_request(bencher: divan::Bencher<'_, '_>) {
    let policy = policy(1);
    let conn = Connection {
        peer: PEER,
        tls: false,
    };
    bencher
        .with_inputs(|| {
            let req = request();
            let facts = RequestFacts::from_head(&req, &policy.routes, PEER);
            (req, facts)
        })
        .bench_local_refs(|(req, facts)| {
            prepare(req, facts, &conn, Version::HTTP_11, false);
        });
}

#[divan::bench]
fn strip_response_hop_by_hop(bencher: divan::Bencher<'_, '_>) {
    bencher
        .with_inputs(response_headers)
        .bench_local_refs(|h| strip_hop_by_hop(h, false));
}

/// What a successful exchange counts: its request counter, its duration and its upstream
/// duration; the route counts are the generation's, resolved once (`Metrics::routes`).
#[divan::bench(args = [1, 100])]
fn count_exchange(bencher: divan::Bencher<'_, '_>, routes: usize) {
    let policy = policy(routes);
    let metrics = Arc::new(Metrics::new().expect("metrics"));
    let counts = metrics.routes(&policy);
    let route = policy.routes.find(&Method::GET, "/api/items/7");
    bencher.bench(|| {
        counts.request(route, 0, 1, divan::black_box(0.0012));
        counts.upstream_duration(route, divan::black_box(0.0009));
    });
}

fn main() {
    divan::main();
}
