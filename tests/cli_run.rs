//! `authlens run --upstream URL` with no file at all, driven by curl: responses are
//! byte-identical to the upstream's.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::Upstream;

fn curl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is installed");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_flags_only_proxies_byte_identical_responses() {
    let body: &'static str = "{\"items\":[1,2,3],\"note\":\"caf\u{e9} \u{2713}\"}\n";
    let upstream = Upstream::fixed(
        200,
        &[
            ("content-type", "application/json"),
            ("x-trace", "a"),
            ("x-trace", "b"),
        ],
        body,
    )
    .await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_authlens"))
        .args([
            "run",
            "--upstream",
            &upstream.url(),
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .env_remove("AUTHLENS_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let listen = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a start-up line");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["message"] == "authlens started" {
            break v["listen"].as_str().unwrap().to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(10));
    };

    let direct = format!("{}/api/items?x=1", upstream.url());
    let proxied = format!("http://{listen}/api/items?x=1");
    assert_eq!(curl(&[&proxied]), curl(&[&direct]));
    assert_eq!(curl(&[&proxied]), body.as_bytes());
    // Headers too, but for Date, which each answer stamps anew.
    let strip_date = |raw: Vec<u8>| -> Vec<String> {
        String::from_utf8(raw)
            .unwrap()
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("date:"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        strip_date(curl(&["-i", &proxied])),
        strip_date(curl(&["-i", &direct]))
    );
    let _ = child.kill();
    let _ = child.wait();
}
