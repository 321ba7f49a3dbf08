//! Hostile key servers against the real binary: 10,000 keys (past the 1 MiB cap), a server that
//! drips bytes, garbage, a redirect loop, a server gone for the whole test, and discovery
//! metadata naming another issuer. Each fetch is bounded in time and size and counted under its
//! result with a reason in authlens's words; every request is still proxied.

mod hostile;
mod support;

use hostile::{Answer, jwt, raw_server};
use http::Request;
use std::time::{Duration, Instant};
use support::{Authlens, Upstream, send};

fn key_server(path: &str) -> Answer {
    let ok = |ct: &str, body: String| {
        Answer::Bytes(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    };
    match path {
        "/many-keys" => {
            let n = "u".repeat(342);
            let keys: Vec<String> = (0..10_000)
                .map(|i| format!(r#"{{"kty":"RSA","kid":"k{i}","use":"sig","alg":"RS256","n":"{n}","e":"AQAB"}}"#))
                .collect();
            ok("application/json", format!(r#"{{"keys":[{}]}}"#, keys.join(",")))
        }
        "/drip" => Answer::Drip {
            head: b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
                .to_vec(),
        },
        "/garbage" => ok("application/json", "\u{1}<html>not keys</html>".into()),
        "/loop" => Answer::Bytes(
            b"HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        ),
        // Discovery answers with metadata for another issuer.
        _ if path.starts_with("/.well-known/") => ok(
            "application/json",
            r#"{"issuer":"https://someone-else.example","jwks_uri":"http://127.0.0.1:9/keys"}"#.into(),
        ),
        _ => Answer::Bytes(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()),
    }
}

fn fetches(issuer: &str, result: &str) -> String {
    format!("authlens_jwks_fetches_total{{issuer=\"{issuer}\",result=\"{result}\"}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_key_server_is_named_and_traffic_flows() {
    let keys = raw_server(key_server).await;
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/keys", l.local_addr().unwrap())
    };
    let upstream = Upstream::fixed(200, &[], "served").await;
    // (name, issuer, jwks_uri)
    let issuers = [
        (
            "many",
            "https://many.example".to_string(),
            Some(format!("{keys}/many-keys")),
        ),
        (
            "drip",
            "https://drip.example".to_string(),
            Some(format!("{keys}/drip")),
        ),
        (
            "garbage",
            "https://garbage.example".to_string(),
            Some(format!("{keys}/garbage")),
        ),
        (
            "loop",
            "https://loop.example".to_string(),
            Some(format!("{keys}/loop")),
        ),
        ("gone", "https://gone.example".to_string(), Some(gone)),
        ("other", keys.clone(), None),
    ];
    let mut yaml = String::from("auth:\n  issuers:\n");
    for (name, iss, jwks) in &issuers {
        yaml.push_str(&format!(
            "    - name: {name}\n      issuer: {iss}\n      audiences: [api]\n      jwks_timeout: 1s\n"
        ));
        if let Some(j) = jwks {
            yaml.push_str(&format!("      jwks_uri: {j}\n"));
        }
    }
    let authlens = Authlens::start(&upstream.url(), &yaml);

    let started = Instant::now();
    for (_, iss, _) in &issuers {
        let token = jwt(
            r#"{"alg":"RS256","kid":"k1"}"#,
            &format!(r#"{{"iss":"{iss}","aud":"api","exp":4102444800}}"#),
        );
        let req = Request::get(format!("{}/api", authlens.proxy))
            .header("authorization", format!("Bearer {token}"))
            .body(Default::default())
            .unwrap();
        let reply = send(req).await;
        assert_eq!(&reply.body[..], b"served", "{iss}");
    }
    // Proxying never waited on the key servers.
    assert!(started.elapsed() < Duration::from_secs(10));

    for (issuer, result, reason) in [
        ("many", "invalid", "too large for a key set"),
        ("drip", "network_error", "no answer within"),
        ("garbage", "invalid", ""),
        ("loop", "http_error", "HTTP 302"),
        ("gone", "network_error", "refused"),
        ("other", "invalid", "someone-else"),
    ] {
        authlens.wait_metric(&fetches(issuer, result), 1.0).await;
        assert_eq!(
            authlens.metric(&fetches(issuer, "ok")).await,
            0.0,
            "{issuer}"
        );
        let line =
            authlens.wait_log(|v| v["message"] == "jwks fetch failed" && v["issuer"] == issuer);
        assert_eq!(line["result"], result, "{line}");
        assert!(
            line["error"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&reason.to_lowercase()),
            "{issuer}: {line}"
        );
    }
    let out = authlens.raw_output();
    assert!(!out.contains("panicked"), "{out}");
    assert!(!out.contains("not keys"), "a response body reached the log");
}
