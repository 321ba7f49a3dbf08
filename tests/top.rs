//! `authlens top` against a running sidecar: `--once` prints one plain frame with the causes
//! by rate, route and hint; the live view, driven in a real terminal (tmux), redraws in place
//! as new failures arrive and quits on `q` Enter.

mod oncall_traffic;
mod support;
mod token_kit;

use oncall_traffic::{EXPECTED, Scene, expected_total};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_authlens");

/// The admin address as `top` takes it.
fn admin(scene: &Scene) -> String {
    scene
        .authlens
        .admin
        .trim_start_matches("http://")
        .to_string()
}

/// Runs a command to its end, bounded.
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("{cmd:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// The row naming `cause`/`detail`: `(per_minute, last_minute, held, route)`.
fn row(screen: &str, cause: &str, detail: &str) -> (f64, usize, usize, String) {
    let name = if detail.is_empty() {
        cause.to_string()
    } else {
        format!("{cause} / {detail}")
    };
    let line = screen
        .lines()
        .find(|l| l.contains(&format!("  {name} ")))
        .unwrap_or_else(|| panic!("no row for {name}:\n{screen}"));
    let (numbers, rest) = line.split_at(line.find(&name).unwrap());
    let n: Vec<&str> = numbers.split_whitespace().collect();
    let route = rest[name.len()..].trim().to_string();
    (
        n[0].parse().unwrap(),
        n[1].parse().unwrap(),
        n[2].parse().unwrap(),
        route,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_once_prints_the_causes_by_rate_with_route_and_hint() {
    let mut scene = Scene::start().await;
    scene.send_traffic().await;
    scene.failures_holding(expected_total()).await;
    let addr = admin(&scene);
    let out = tokio::task::spawn_blocking(move || {
        run(Command::new(BIN).args(["top", "--once", "--admin", &addr]))
    })
    .await
    .unwrap();
    let screen = String::from_utf8(out.stdout).expect("utf-8");
    assert!(out.status.success(), "{screen}{:?}", out.stderr);
    assert!(!screen.contains('\x1b'), "--once prints no escape codes");
    assert!(screen.starts_with("authlens top · "), "{screen}");
    assert!(
        screen.contains(&format!("{} failures held", expected_total())),
        "{screen}"
    );
    for (cause, detail, n) in EXPECTED {
        let (rate, last, held, route) = row(&screen, cause, detail);
        assert_eq!((held, last, route.as_str()), (*n, *n, "files"), "{cause}");
        assert_eq!(rate, *n as f64, "{cause}: all within the last minute");
    }
    // Sorted by rate: the busiest first, and every row followed by its hint.
    let first = screen.lines().nth(3).unwrap();
    assert!(first.contains("token_missing"), "{screen}");
    let hint = screen.lines().nth(4).unwrap();
    assert!(
        hint.trim_start()
            .starts_with("↳ the request carried no access token"),
        "{hint}"
    );
    scene.assert_no_secret("top --once", &screen);

    // Nothing listening: exit 1, saying where it looked.
    let out = run(Command::new(BIN).args(["top", "--once", "--admin", "127.0.0.1:1"]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach http://127.0.0.1:1/failures"),
        "{err}"
    );
}

/// A tmux server of this test's own, on a socket in a temporary directory.
#[derive(Clone)]
struct Tmux {
    socket: std::path::PathBuf,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        run(Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX"))
    }

    fn screen(&self) -> String {
        let out = self.cmd(&["capture-pane", "-p", "-t", "top"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (bounded) for a screen that satisfies `pred`.
    fn wait_screen(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "never saw {what}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Kills the test's tmux server, also when the test fails; then its directory goes.
struct KillOnDrop(Tmux, #[allow(dead_code)] tempfile::TempDir);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.cmd(&["kill-server"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_redraws_in_place_in_a_terminal_and_quits_on_q() {
    if Command::new("tmux").arg("-V").output().is_err() {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(!ci, "CI is set but tmux is missing: apt-get install tmux");
        eprintln!("SKIPPED: tmux not installed");
        return;
    }
    let mut scene = Scene::start().await;
    scene.send_traffic().await;
    scene.failures_holding(expected_total()).await;
    let dir = tempfile::tempdir().expect("socket dir");
    let tmux = Tmux {
        socket: dir.path().join("tmux.sock"),
    };
    let _server = KillOnDrop(tmux.clone(), dir);
    let command = format!("exec '{BIN}' top --admin {} --interval 1", admin(&scene));
    let started = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "top",
        "-x",
        "200",
        "-y",
        "50",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");

    let t = tmux.clone();
    let screen = tokio::task::spawn_blocking(move || {
        t.wait_screen("every cause", |s| {
            EXPECTED.iter().all(|(c, _, _)| s.contains(c))
        })
    })
    .await
    .unwrap();
    assert!(screen.starts_with("authlens top · "), "{screen}");
    assert!(
        screen.contains("refreshing every 1 s · q Enter or Ctrl-C quits"),
        "{screen}"
    );
    assert_eq!(row(&screen, "token_missing", "").2, 3, "{screen}");
    scene.assert_no_secret("the top screen", &screen);

    // Two more failures: the same row changes in place, no second frame scrolls in.
    for _ in 0..2 {
        let req = support::client::get(&format!("{}/files", scene.authlens.proxy));
        assert_eq!(support::send(req).await.status, 401);
    }
    let t = tmux.clone();
    let screen = tokio::task::spawn_blocking(move || {
        t.wait_screen("token_missing held 5", |s| {
            s.contains("  token_missing ") && row(s, "token_missing", "").2 == 5
        })
    })
    .await
    .unwrap();
    assert_eq!(screen.matches("authlens top · ").count(), 1, "{screen}");
    assert_eq!(screen.matches("  token_missing ").count(), 1, "{screen}");

    // q Enter quits and gives the terminal back: the session ends with top.
    tmux.cmd(&["send-keys", "-t", "top", "q", "Enter"]);
    let started = Instant::now();
    while tmux.cmd(&["has-session", "-t", "top"]).status.success() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "top did not quit on q:\n{}",
            tmux.screen()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
