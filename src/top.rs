//! `authlens top`: a live terminal view of a running sidecar's failures, busiest first, read
//! from its admin listener's `/failures` and redrawn in place with plain ANSI. `--once` prints
//! one frame without escape codes, for scripts.

use bytes::Bytes;
use http::Uri;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum TopError {
    #[error("`{0}` is not an admin address like 127.0.0.1:9901")]
    Address(String),
    #[error("cannot reach {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("{url} did not answer the failures JSON: {reason}")]
    Parse { url: String, reason: String },
    #[error("writing to the terminal: {0}")]
    Write(#[from] std::io::Error),
}

/// The part of `/failures` the view shows.
#[derive(Debug, Deserialize)]
pub struct Failures {
    pub generated_at: String,
    pub capacity: usize,
    pub held: usize,
    pub window_seconds: u64,
    pub groups: Vec<Group>,
}

#[derive(Debug, Deserialize)]
pub struct Group {
    pub cause: String,
    pub detail: String,
    pub route: String,
    pub count: usize,
    pub last_minute: usize,
    pub per_minute: f64,
    pub hint: String,
}

pub struct TopOptions {
    /// `host:port` or `http://host:port`.
    pub admin: String,
    pub once: bool,
    pub interval: Duration,
}

/// The `/failures` URL of an admin address.
pub fn failures_url(admin: &str) -> Result<Uri, TopError> {
    let base = admin.trim_end_matches('/');
    let url = if base.contains("://") {
        format!("{base}/failures")
    } else {
        format!("http://{base}/failures")
    };
    url.parse()
        .ok()
        .filter(|u: &Uri| u.scheme_str() == Some("http") && u.host().is_some())
        .ok_or_else(|| TopError::Address(admin.to_string()))
}

pub async fn fetch(url: &Uri) -> Result<Failures, TopError> {
    let fail = |reason: String| TopError::Fetch {
        url: url.to_string(),
        reason,
    };
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let resp = tokio::time::timeout(Duration::from_secs(3), client.get(url.clone()))
        .await
        .map_err(|_| fail("no answer within 3 s".into()))?
        .map_err(|e| fail(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(fail(format!("HTTP {}", resp.status())));
    }
    let body = tokio::time::timeout(Duration::from_secs(3), resp.into_body().collect())
        .await
        .map_err(|_| fail("the body did not arrive within 3 s".into()))?
        .map_err(|e| fail(e.to_string()))?
        .to_bytes();
    serde_json::from_slice(&body).map_err(|e| TopError::Parse {
        url: url.to_string(),
        reason: e.to_string(),
    })
}

/// One screen: a title line, a header, and two lines per group (numbers, then the hint),
/// each cut to `width` columns.
pub fn frame(f: &Failures, admin: &str, width: usize, bold: bool) -> String {
    let (b, n) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    let mut out = String::new();
    let mut line = |s: String| {
        let _ = writeln!(out, "{}", cut(&s, width));
    };
    line(format!(
        "authlens top · {admin} · {} · {} failures held (the last {} at most)",
        f.generated_at, f.held, f.capacity
    ));
    line(String::new());
    line(format!(
        "{b}{:>7} {:>8} {:>6}  {:<44} {}{n}",
        "/min",
        format!("last {}s", f.window_seconds),
        "held",
        "cause / detail",
        "route"
    ));
    if f.groups.is_empty() {
        line("   no classified failures yet".into());
    }
    for g in &f.groups {
        let name = if g.detail.is_empty() {
            g.cause.clone()
        } else {
            format!("{} / {}", g.cause, g.detail)
        };
        line(format!(
            "{:>7.1} {:>8} {:>6}  {b}{name:<44}{n} {}",
            g.per_minute, g.last_minute, g.count, g.route
        ));
        line(format!("{:>25}↳ {}", "", g.hint));
    }
    out
}

/// Cuts a line to `width` characters (escape codes count, which only cuts early).
fn cut(s: &str, width: usize) -> String {
    if width == 0 || s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    if out.contains('\x1b') {
        out.push_str("\x1b[0m");
    }
    out
}

/// Runs the view until Ctrl-C or `q` Enter; with `once`, prints one frame (and fails when the
/// admin listener cannot be read).
pub async fn run(opts: TopOptions) -> Result<(), TopError> {
    let url = failures_url(&opts.admin)?;
    let mut stdout = std::io::stdout();
    if opts.once {
        let f = fetch(&url).await?;
        stdout.write_all(frame(&f, &opts.admin, usize::MAX, false).as_bytes())?;
        return Ok(());
    }
    let (quit_tx, mut quit_rx) = tokio::sync::mpsc::channel::<()>(1);
    std::thread::spawn(move || {
        // Only `q` quits: end of input (no terminal, </dev/null) leaves Ctrl-C as the way out.
        for line in std::io::stdin().lines() {
            match line {
                Ok(l) if l.trim() == "q" => {
                    let _ = quit_tx.blocking_send(());
                    return;
                }
                Ok(_) => continue,
                Err(_) => return,
            }
        }
    });
    // The alternate screen, cursor hidden; both undone on the way out.
    stdout.write_all(b"\x1b[?1049h\x1b[?25l")?;
    let mut tick = tokio::time::interval(opts.interval);
    let result = loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break Ok(()),
            // `None` (input ended) disables this branch rather than quitting.
            Some(()) = quit_rx.recv() => break Ok(()),
        }
        let width = terminal_width();
        let body = match fetch(&url).await {
            Ok(f) => frame(&f, &opts.admin, width, true),
            Err(e) => cut(&format!("authlens top · {e}\n"), width),
        };
        let footer = format!(
            "\nrefreshing every {} s · q Enter or Ctrl-C quits",
            opts.interval.as_secs()
        );
        let screen = format!("{body}{footer}").replace('\n', "\x1b[K\r\n");
        if let Err(e) = stdout
            .write_all(format!("\x1b[H{screen}\x1b[J").as_bytes())
            .and_then(|()| stdout.flush())
        {
            break Err(e.into());
        }
    };
    stdout.write_all(b"\x1b[?25h\x1b[?1049l")?;
    stdout.flush()?;
    result
}

/// `COLUMNS`, else what `stty size` says of the terminal, else 120.
fn terminal_width() -> usize {
    if let Some(w) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return w;
    }
    std::process::Command::new("stty")
        .arg("size")
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8(o.stdout).ok()?;
            text.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(120)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Failures {
        serde_json::from_str(
            r#"{"generated_at":"2025-01-01T00:00:00Z","capacity":500,"held":3,"window_seconds":60,
            "groups":[{"cause":"audience_mismatch","category":"authn","detail":"trailing_slash",
            "route":"files","count":3,"last_minute":2,"per_minute":2.0,"hint":"fix the aud",
            "example":{}}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_frame_names_cause_route_rate_and_hint() {
        let f = frame(&sample(), "127.0.0.1:9901", usize::MAX, false);
        let row = f.lines().find(|l| l.contains("audience_mismatch")).unwrap();
        assert!(row.contains("2.0") && row.contains("files"), "{f}");
        assert!(row.contains("audience_mismatch / trailing_slash"), "{f}");
        assert!(f.contains("↳ fix the aud"), "{f}");
        assert!(!f.contains('\x1b'), "no escape codes for scripts");
        let narrow = frame(&sample(), "127.0.0.1:9901", 30, false);
        assert!(narrow.lines().all(|l| l.chars().count() <= 30), "{narrow}");
    }

    #[test]
    fn admin_addresses() {
        assert_eq!(
            failures_url("127.0.0.1:9901").unwrap().to_string(),
            "http://127.0.0.1:9901/failures"
        );
        assert_eq!(
            failures_url("http://[::1]:9901/").unwrap().to_string(),
            "http://[::1]:9901/failures"
        );
        assert!(failures_url("https://x:1").is_err());
    }
}
