use super::*;

fn problems(yaml: &str) -> Vec<Problem> {
    match load_str(yaml, &Overrides::default()) {
        Err(ConfigError::Invalid(p)) => p,
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn minimal_config_loads_with_defaults() {
    let s = load_str(
        "upstream:\n  url: http://127.0.0.1:3000\n",
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.fixed.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.fixed.admin_listen.to_string(), "127.0.0.1:9901");
    assert_eq!(
        s.fixed.connector.connect_timeout,
        std::time::Duration::from_secs(2)
    );
    assert_eq!(s.fixed.health.as_ref().unwrap().path, "/health");
    assert_eq!(
        s.live.policy.routes.labels().collect::<Vec<_>>(),
        ["unmatched"]
    );
}

#[test]
fn flags_override_and_no_file_is_fine() {
    let o = Overrides {
        upstream: Some("http://127.0.0.1:9".into()),
        listen: Some("127.0.0.1:0".into()),
        ..Default::default()
    };
    let s = load_str("", &o).unwrap();
    assert_eq!(s.live.upstream.uri.to_string(), "http://127.0.0.1:9/");
    assert_eq!(s.fixed.listen.port(), 0);
}

#[test]
fn unknown_key_is_refused_with_its_place() {
    let p = problems("upstream:\n  url: http://127.0.0.1:3000\n  retries: 3\n");
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].line, p[0].column), (3, 3));
    assert!(p[0].message.contains("retries"), "{}", p[0].message);
}

#[test]
fn bad_duration_names_its_place() {
    let p = problems("upstream:\n  url: http://127.0.0.1:3000\n  connect_timeout: 5\n");
    assert_eq!(p[0].line, 3, "{p:?}");
    assert!(p[0].message.contains("unit"), "{}", p[0].message);
}

#[test]
fn every_semantic_problem_is_reported_at_once() {
    let yaml = "\
listen: nonsense
upstream:
  url: ftp://x
auth:
  issuers:
    - name: Bad Name
      issuer: https://as.example.com
      algorithms: [RS256, XX999]
routes:
  - name: files
    path_prefix: files
    methods: [GET]
    required_scopes: [\"a,b\"]
";
    let p = problems(yaml);
    let keys: Vec<_> = p.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert!(keys.contains(&("listen", 1)), "{keys:?}");
    assert!(keys.contains(&("upstream.url", 3)), "{keys:?}");
    assert!(keys.contains(&("auth.issuers[0].name", 6)), "{keys:?}");
    assert!(
        keys.contains(&("auth.issuers[0].algorithms", 8)),
        "{keys:?}"
    );
    assert!(keys.contains(&("routes[0].path_prefix", 11)), "{keys:?}");
    assert!(
        keys.contains(&("routes[0].required_scopes", 13)),
        "{keys:?}"
    );
    assert!(p.iter().all(|p| p.column > 0));
}

#[test]
fn durations_parse_with_units_only() {
    assert_eq!(Duration::parse("250ms").unwrap().get().as_millis(), 250);
    assert_eq!(Duration::parse("2m").unwrap().get().as_secs(), 120);
    assert!(Duration::parse("5").is_err());
    assert!(Duration::parse("5d").is_err());
    assert!(Duration::parse("99999999999999999999h").is_err());
}

#[test]
fn a_zero_health_interval_is_refused() {
    let found = problems("upstream:\n  url: http://127.0.0.1:3000\n  health:\n    interval: 0s\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "upstream.health.interval");
}

#[test]
fn token_endpoints_come_first_with_their_discovery_route_and_keys_after_the_apis() {
    let yaml = r#"upstream:
  url: http://127.0.0.1:3000
auth:
  issuers:
    - name: as
      issuer: https://as.example/
routes:
  - name: all
    path_prefix: /
token_endpoints:
  - name: as_token
    path: /oauth2/token
    issuer: https://as.example/tenant
    trusted_issuers:
      - name: idp
        issuer: https://idp.example
    client_ids: ["{client_id}-at-{resource_id}"]
    client_auth: client_secret_post
"#;
    let s = load_str(yaml, &Overrides::default()).unwrap();
    let p = &s.live.policy;
    assert_eq!(
        p.routes.labels().collect::<Vec<_>>(),
        ["as_token", "as_token_discovery", "all", "unmatched"]
    );
    let route = |path: &str| p.routes.find(&http::Method::POST, path);
    let (te, kind) = p.token_endpoints.of(route("/oauth2/token")).unwrap();
    assert_eq!(kind, crate::policy::EndpointKind::Token);
    assert_eq!(te.trusted[0].audiences, ["https://as.example/tenant"]);
    assert_eq!(te.key_offset, 1, "after auth.issuers");
    let meta = route("/.well-known/oauth-authorization-server/tenant");
    assert_eq!(
        p.token_endpoints.of(meta).map(|(_, k)| k),
        Some(crate::policy::EndpointKind::Discovery)
    );
    assert!(p.token_endpoints.of(route("/files")).is_none());
    assert_eq!(
        p.key_issuers().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["as", "idp"]
    );
}

#[test]
fn token_endpoint_problems_name_their_place() {
    let base = r#"upstream:
  url: http://127.0.0.1:3000
routes:
  - name: tok
    path: /x
token_endpoints:
  - name: tok
    path: token
    trusted_issuers:
      - name: idp
        issuer: not-a-url
"#;
    let p = problems(&format!("{base}    client_auth: mtls\n"));
    assert_eq!(p[0].line, 12, "{p:?}");
    assert!(p[0].message.contains("client_secret_post"), "{p:?}");
    let p = problems(base);
    let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"token_endpoints[0].path"), "{keys:?}");
    assert!(
        keys.contains(&"token_endpoints[0].trusted_issuers[0].issuer"),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"routes[0].name"),
        "the clash is named: {keys:?}"
    );
    let at = p
        .iter()
        .find(|p| p.key == "token_endpoints[0].path")
        .unwrap();
    assert_eq!((at.line, at.column), (8, 11));
}

#[test]
fn limits_have_defaults_and_refuse_zero() {
    let s = load_str(
        "upstream:\n  url: http://127.0.0.1:3000\n",
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        (
            s.fixed.max_connections,
            s.fixed.max_headers,
            s.fixed.max_header_bytes
        ),
        (10_000, 200, 64 * 1024)
    );
    assert_eq!(
        (
            s.fixed.connector.max_headers,
            s.fixed.connector.max_header_bytes
        ),
        (1000, 1024 * 1024)
    );
    assert_eq!(s.fixed.error_body_bytes, 4096);
    // Refused where it is written, with its line and column.
    for (yaml, key, line, column) in [
        (
            "downstream:\n  max_connections: 0\n",
            "downstream.max_connections",
            2,
            20,
        ),
        (
            "downstream:\n  max_headers: 0\n",
            "downstream.max_headers",
            2,
            16,
        ),
        (
            "upstream:\n  max_header_bytes: 0\n",
            "upstream.max_header_bytes",
            2,
            21,
        ),
    ] {
        let yaml = format!(
            "{yaml}{}",
            if yaml.starts_with("upstream") {
                "  url: http://127.0.0.1:3000\n"
            } else {
                "upstream:\n  url: http://127.0.0.1:3000\n"
            }
        );
        let p = problems(&yaml);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(
            (p[0].key.as_str(), p[0].line, p[0].column),
            (key, line, column),
            "{p:?}"
        );
        assert!(p[0].message.contains("more than 0"), "{p:?}");
    }
}

#[test]
fn values_refused_while_parsing_name_their_key_in_lists_too() {
    let yaml = "upstream:\n  url: http://127.0.0.1:3000\nauth:\n  issuers:\n    - name: a\n      issuer: https://a.example\n    # a comment\n    - name: b\n      issuer: https://b.example\n      jwks_ttl: 5\n";
    let p = problems(yaml);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].key.as_str(), p[0].line),
        ("auth.issuers[1].jwks_ttl", 10),
        "{p:?}"
    );
    assert!(p[0].message.contains("no unit"), "{p:?}");
    // A list written at its key's own indentation.
    let p = problems(
        "upstream:\n  url: http://127.0.0.1:3000\n  max_headers: 0\nroutes:\n- name: a\n  path_prefix: /\n",
    );
    assert_eq!(p[0].key, "upstream.max_headers", "{p:?}");
}

#[test]
fn a_url_with_credentials_is_refused_without_quoting_them() {
    for url in [
        "http://admin:s3cret@127.0.0.1:3000/",
        "http://admin:s3cret@bad host/",
        "admin:s3cret@127.0.0.1",
    ] {
        let p = problems(&format!("upstream:\n  url: \"{url}\"\n"));
        assert_eq!(p.len(), 1, "{url}: {p:?}");
        assert_eq!(p[0].key, "upstream.url");
        let shown = p[0].to_string();
        assert!(
            !shown.contains("s3cret") && !shown.contains("admin"),
            "{shown}"
        );
    }
}
