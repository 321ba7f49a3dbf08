use super::*;

const WINDOW: Duration = Duration::from_secs(5);

fn routes(expired: Vec<Expired>) -> Vec<RouteId> {
    expired.into_iter().map(|e| e.route).collect()
}

fn tracker() -> (Preflights, PreflightKey, PreflightKey) {
    let t = Preflights::new(WINDOW);
    let a = t.key(b"http://localhost:5173", "/files", b"PUT");
    let b = t.key(b"http://localhost:5173", "/files", b"DELETE");
    (t, a, b)
}

#[test]
fn keys_separate_origin_path_and_method() {
    let t = Preflights::new(WINDOW);
    let k = t.key(b"http://a.test", "/x", b"PUT");
    assert_eq!(k, t.key(b"http://a.test", "/x", b"PUT"));
    assert_ne!(k, t.key(b"http://b.test", "/x", b"PUT"));
    assert_ne!(k, t.key(b"http://a.test", "/y", b"PUT"));
    assert_ne!(k, t.key(b"http://a.test", "/x", b"GET"));
}

#[test]
fn a_followed_preflight_is_not_counted() {
    let (t, a, _) = tracker();
    let now = Instant::now();
    assert!(t.on_preflight(a, RouteId(3), now, None));
    t.on_request(a);
    assert!(t.sweep(now + WINDOW * 2).is_empty());
    assert_eq!((t.unfollowed(a), t.unfollowed_total()), (0, 0));
}

#[test]
fn an_unfollowed_preflight_is_counted_once_after_its_window() {
    let (t, a, b) = tracker();
    let now = Instant::now();
    t.on_preflight(a, RouteId(3), now, None);
    t.on_preflight(b, RouteId(4), now, None);
    t.on_request(b);
    assert!(
        t.sweep(now + WINDOW / 2).is_empty(),
        "still inside the window"
    );
    assert_eq!(routes(t.sweep(now + WINDOW)), vec![RouteId(3)]);
    assert!(t.sweep(now + WINDOW * 3).is_empty(), "counted once");
    assert_eq!((t.unfollowed(a), t.unfollowed(b)), (1, 0));
    assert_eq!(t.unfollowed_total(), 1);

    // Another miss adds up; the real request finally arriving clears the key's history.
    t.on_preflight(a, RouteId(3), now + WINDOW * 4, None);
    assert_eq!(t.sweep(now + WINDOW * 6).len(), 1);
    assert_eq!(t.unfollowed(a), 2);
    t.on_request(a);
    assert_eq!(t.unfollowed(a), 0);
    assert_eq!(t.unfollowed_total(), 2);
}

#[test]
fn a_repeated_preflight_restarts_its_window() {
    let (t, a, _) = tracker();
    let now = Instant::now();
    t.on_preflight(a, RouteId(0), now, None);
    t.on_preflight(a, RouteId(0), now + WINDOW / 2, None);
    assert!(
        t.sweep(now + WINDOW).is_empty(),
        "the second one is still waiting"
    );
    assert_eq!(t.sweep(now + WINDOW * 2).len(), 1);
}

#[test]
fn the_tracker_is_bounded() {
    let t = Preflights::new(WINDOW);
    let now = Instant::now();
    let recorded = (0..MAX_PENDING + 10)
        .filter(|i| t.on_preflight(t.key(b"o", &i.to_string(), b"PUT"), RouteId(0), now, None))
        .count();
    assert_eq!(recorded, MAX_PENDING);
    assert_eq!(t.sweep(now + WINDOW).len(), MAX_PENDING);
    assert!(t.lock().unfollowed.len() <= MAX_UNFOLLOWED);
    // Swept, it takes new preflights again.
    assert!(t.on_preflight(t.key(b"o", "/new", b"PUT"), RouteId(0), now + WINDOW, None));
}

#[test]
fn swept_preflights_reach_the_metric() {
    let policy = crate::policy::Policy::empty();
    let metrics = std::sync::Arc::new(crate::telemetry::metrics::Metrics::new().expect("metrics"));
    let routes = metrics.routes(&policy);
    let line = r#"authlens_cors_preflights_unfollowed_total{route="unmatched"}"#;
    assert!(!metrics.render().contains(line), "shown once counted");

    let (t, a, _) = tracker();
    let now = Instant::now();
    t.on_preflight(a, policy.routes.unmatched(), now, None);
    for expired in t.sweep(now + WINDOW) {
        routes.cors_preflight_unfollowed(expired.route);
    }
    assert!(metrics.render().contains(&format!("{line} 1")));
}

#[test]
fn a_request_that_overtakes_its_preflights_end_counts_as_following_it() {
    let (t, a, _) = tracker();
    t.on_request(a);
    let now = Instant::now();
    assert!(t.on_preflight(a, RouteId(3), now, None));
    assert!(t.sweep(now + WINDOW * 2).is_empty());
    // Only once: the next preflight waits for its own request.
    t.on_preflight(a, RouteId(3), now, None);
    assert_eq!(t.sweep(now + WINDOW * 2).len(), 1);
}
