//! Runs the real `authlens` binary with a config written for the test, learns its ports from its
//! start-up log line, and keeps every stdout line for assertions.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Authlens {
    pub proxy: String,
    pub admin: String,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Authlens {
    /// Starts authlens in front of `upstream` with `extra` YAML appended to a minimal config.
    pub fn start(upstream: &str, extra: &str) -> Authlens {
        Authlens::with_config(&Authlens::config(upstream, extra))
    }

    /// A minimal config on loopback port 0 with the health probe off, plus `extra` YAML.
    pub fn config(upstream: &str, extra: &str) -> String {
        format!(
            "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nupstream:\n  url: {upstream}\n  health:\n    enabled: false\n{extra}"
        )
    }

    pub fn with_config(yaml: &str) -> Authlens {
        Authlens::with_config_env(yaml, &[])
    }

    /// As `with_config`, with extra environment variables (e.g. `AUTHLENS_LOG=debug`).
    pub fn with_config_env(yaml: &str, env: &[(&str, &str)]) -> Authlens {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("authlens.yaml");
        std::fs::write(&path, yaml).expect("write config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_authlens"))
            .args(["run", "--config"])
            .arg(&path)
            .env_remove("AUTHLENS_LOG")
            .env_remove("AUTHLENS_LOG_FORMAT")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn authlens");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().expect("stdout"), lines.clone());
        collect(child.stderr.take().expect("stderr"), stderr.clone());
        let started = Instant::now();
        let (proxy, admin) = loop {
            let found = lines.lock().unwrap().iter().find_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                if v["message"] != "authlens started" {
                    return None;
                }
                Some((
                    v["listen"].as_str()?.to_string(),
                    v["admin_listen"].as_str()?.to_string(),
                ))
            });
            if let Some(found) = found {
                break found;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "authlens exited with {status}: {:?}",
                    stderr.lock().unwrap()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "authlens did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Authlens {
            proxy: format!("http://{proxy}"),
            admin: format!("http://{admin}"),
            child,
            lines,
            stderr,
            _dir: dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The config file it was started with, to rewrite before a reload.
    pub fn config_path(&self) -> std::path::PathBuf {
        self._dir.path().join("authlens.yaml")
    }

    /// Sends a signal by name (`HUP`, `TERM`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill is installed");
        assert!(status.success(), "kill -{name}");
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn reload_lines(&self) -> Vec<serde_json::Value> {
        self.logs()
            .into_iter()
            .filter(|v| v["event"] == "config_reload" && v["result"].is_string())
            .collect()
    }

    /// How many reloads have been logged so far.
    pub fn reload_count(&self) -> usize {
        self.reload_lines().len()
    }

    /// The `n`th (from 1) `config_reload` log line, waited for.
    pub fn reload_line(&self, n: usize) -> serde_json::Value {
        let started = Instant::now();
        loop {
            if let Some(line) = self.reload_lines().get(n - 1) {
                return line.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no reload line {n} in:\n{}",
                self.raw_output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every JSON log line so far.
    pub fn logs(&self) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn raw_output(&self) -> String {
        let out = self.lines.lock().unwrap().join("\n");
        let err = self.stderr.lock().unwrap().join("\n");
        format!("{out}\n{err}")
    }

    /// Waits (bounded) until a log line satisfies `pred`, and returns it.
    pub fn wait_log(&self, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let started = Instant::now();
        loop {
            if let Some(v) = self.logs().into_iter().find(|v| pred(v)) {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no such log line in:\n{}",
                self.raw_output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The whole /metrics text.
    pub async fn metrics(&self) -> String {
        let reply = super::send(super::client::get(&format!("{}/metrics", self.admin))).await;
        String::from_utf8(reply.body.to_vec()).expect("utf-8 metrics")
    }

    /// The value of one series, given as it appears in the text (`name{labels}`); 0 if absent.
    pub async fn metric(&self, series: &str) -> f64 {
        find_series(&self.metrics().await, series)
    }

    /// Waits (bounded) until a series reaches at least `min`, for events finished off the
    /// request path.
    pub async fn wait_metric(&self, series: &str, min: f64) -> f64 {
        let started = Instant::now();
        loop {
            let v = self.metric(series).await;
            if v >= min {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{series} stayed at {v}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "authlens did not exit"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

pub fn find_series(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

fn collect(from: impl std::io::Read + Send + 'static, into: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            into.lock().unwrap().push(line);
        }
    });
}

impl Drop for Authlens {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `yaml` to a file named `name` and asserts that `authlens check-config` accepts it.
pub fn assert_config_valid(name: &str, yaml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, yaml).unwrap();
    assert_config_file_valid(&path);
}

/// Asserts that `authlens check-config` accepts the file at `path`.
pub fn assert_config_file_valid(path: &std::path::Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authlens"))
        .arg("check-config")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} fails check-config:\n{}\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}
