use super::*;

fn same(origin: &'static str, host: Option<&'static str>) -> bool {
    is_same_origin(
        &HeaderValue::from_static(origin),
        host.map(HeaderValue::from_static).as_ref(),
    )
}

#[test]
fn host_and_port_decide_with_the_scheme_default_port() {
    let rows = [
        ("http://api.test", Some("api.test"), true),
        ("http://api.test", Some("api.test:80"), true),
        ("https://api.test", Some("API.test:443"), true),
        ("http://api.test:8080", Some("api.test:8080"), true),
        ("http://[::1]:8080", Some("[::1]:8080"), true),
        ("http://api.test", Some("api.test:8080"), false),
        ("https://api.test", Some("api.test:80"), false),
        ("http://app.test", Some("api.test"), false),
        ("http://localhost:5173", Some("127.0.0.1:5173"), false),
        ("null", Some("api.test"), false),
        ("file://", Some("api.test"), false),
        ("ws://api.test", Some("api.test"), false),
        ("http://api.test", None, false),
        ("http://api.test", Some("bad host:x"), false),
    ];
    for (origin, host, want) in rows {
        assert_eq!(same(origin, host), want, "{origin} vs {host:?}");
    }
}
