//! Debian's headless Chromium driven through chromedriver's WebDriver HTTP API, started so that
//! it reaches nothing but the test's loopback servers.

use super::send;
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The browser itself, not Debian's launcher script, which adds API keys and extension flags.
const CHROMIUM: &str = "/usr/lib/chromium/chromium";

const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--dns-prefetch-disable",
    "--no-pings",
    "--disable-quic",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-default-browser-check",
    // Every name but the two loopback ones fails to resolve, so nothing else is reachable.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
];

/// Whether Chromium and chromedriver are installed.
pub fn available() -> bool {
    Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists()
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium with the fixed flags plus `extra` ones.
    pub async fn start(extra: &[&str]) -> Browser {
        let port = free_port();
        let profile = tempfile::tempdir().expect("profile dir");
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            _profile: profile,
        };
        browser.wait_ready().await;
        let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
        args.extend(extra.iter().map(|f| f.to_string()));
        args.push(format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        ));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let reply = browser.call(Method::POST, "/session", Some(caps)).await;
        browser.session = reply["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {reply}"))
            .to_string();
        let timeouts = json!({"script": 15_000, "pageLoad": 15_000});
        browser.command(Method::POST, "timeouts", timeouts).await;
        browser
    }

    pub async fn open(&self, url: &str) {
        self.command(Method::POST, "url", json!({ "url": url }))
            .await;
    }

    /// Resizes the window, e.g. to a phone's viewport.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        let rect = json!({ "width": width, "height": height });
        self.command(Method::POST, "window/rect", rect).await;
    }

    /// The page as the browser holds it now (after parsing and any script).
    pub async fn source(&self) -> String {
        let path = format!("/session/{}/source", self.session);
        let v = self.call(Method::GET, &path, None).await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// A PNG screenshot of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let path = format!("/session/{}/screenshot", self.session);
        let v = self.call(Method::GET, &path, None).await;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("base64 PNG")
    }

    /// Runs `script` as an async WebDriver script: its last argument is the callback.
    pub async fn run_async(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.command(Method::POST, "execute/async", body).await
    }

    async fn command(&self, method: Method, what: &str, body: Value) -> Value {
        let path = format!("/session/{}/{what}", self.session);
        self.call(method, &path, Some(body)).await
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let bytes = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
        let req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(Full::new(bytes))
            .expect("request");
        let reply = send(req).await;
        let v: Value = serde_json::from_slice(&reply.body).expect("WebDriver JSON");
        assert!(reply.status.is_success(), "WebDriver {path}: {v}");
        v["value"].clone()
    }

    async fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            let req = Request::get(format!("{}/status", self.base))
                .body(Full::new(Bytes::new()))
                .expect("request");
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<Bytes>>();
            if let Ok(Ok(r)) =
                tokio::time::timeout(Duration::from_secs(2), client.request(req)).await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Browser {
    /// Ends the session so Chromium exits (also when a test panicked), then stops chromedriver.
    fn drop(&mut self) {
        if !self.session.is_empty() {
            delete_session(&self.base, &self.session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A blocking `DELETE /session/{id}`, since `Drop` cannot await.
fn delete_session(base: &str, session: &str) {
    use std::io::{Read, Write};
    let Some(addr) = base.strip_prefix("http://") else {
        return;
    };
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let head = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
