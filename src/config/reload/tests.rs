use super::*;
use crate::config::{ConfigError, UpstreamProtocol, load_str};

fn fixed(yaml: &str) -> Fixed {
    load_str(yaml, &Overrides::default())
        .expect("valid config")
        .fixed
}

const BASE: &str = "upstream:\n  url: http://127.0.0.1:3000\n";

#[test]
fn only_changed_fixed_keys_need_a_restart() {
    let old = fixed(BASE);
    assert!(needs_restart(&old, &fixed(BASE)).is_empty());
    // Live settings (routes, timeouts to the answer) are not restart keys.
    let live_only = format!(
        "{BASE}  response_timeout: 1s\nroutes:\n  - name: a\n    path: /a\n    required_scopes: [x]\n"
    );
    assert!(needs_restart(&old, &fixed(&live_only)).is_empty());
    let moved = format!("listen: 127.0.0.1:1\nworkers: 3\n{BASE}  protocol: h2c\n");
    let new = fixed(&moved);
    assert_eq!(new.connector.protocol, UpstreamProtocol::H2c);
    assert_eq!(
        needs_restart(&old, &new),
        [
            "listen",
            "workers",
            "upstream (connect_timeout, idle_timeout, ca_file, protocol)"
        ]
    );
}

#[test]
fn unusable_tls_and_ca_files_are_config_problems() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not pem\n").unwrap();
    let missing = dir.path().join("missing.pem");
    let yaml = format!(
        "downstream:\n  tls:\n    cert_file: {}\n    key_file: {}\nupstream:\n  url: https://127.0.0.1:3000\n  ca_file: {}\n",
        missing.display(),
        junk.display(),
        junk.display(),
    );
    let Err(ConfigError::Invalid(problems)) = load_str(&yaml, &Overrides::default()) else {
        panic!("expected problems");
    };
    let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["upstream.ca_file", "downstream.tls.cert_file"]);
    assert!(problems.iter().all(|p| p.line > 0), "{problems:?}");
    assert!(problems[1].message.contains("missing.pem"), "{problems:?}");
}

#[test]
fn source_without_a_file_is_the_flags_on_defaults() {
    let source = Source {
        path: None,
        overrides: Overrides {
            upstream: Some("http://127.0.0.1:9".into()),
            ..Overrides::default()
        },
    };
    let settings = source.load().expect("valid");
    assert_eq!(
        settings.live.upstream.uri.to_string(),
        "http://127.0.0.1:9/"
    );
}

#[test]
fn new_bytes_in_the_same_upstream_ca_file_need_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let pem = || {
        let key = rcgen::KeyPair::generate().unwrap();
        rcgen::CertificateParams::new(vec!["ca.internal".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .pem()
    };
    let yaml = format!("{BASE}  ca_file: {}\n", ca.display());
    std::fs::write(&ca, pem()).unwrap();
    let old = fixed(&yaml);
    assert!(needs_restart(&old, &fixed(&yaml)).is_empty());
    // A rotated CA written over the old file: the running connector still trusts the old one.
    std::fs::write(&ca, pem()).unwrap();
    assert_eq!(
        needs_restart(&old, &fixed(&yaml)),
        ["upstream (connect_timeout, idle_timeout, ca_file, protocol)"]
    );
}
