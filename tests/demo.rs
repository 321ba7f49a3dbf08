//! `authlens demo --once`: the first screen is the table of scenarios with what authlens named
//! and the hint for each, every scenario named as expected, and none of the sidecar's own log
//! lines on stdout (they go to the file it names).

use std::process::Command;

#[test]
fn the_demo_tour_names_every_scenario_with_its_hint() {
    let out = Command::new(env!("CARGO_BIN_EXE_authlens"))
        .args([
            "demo",
            "--once",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .env_remove("AUTHLENS_LOG")
        .env_remove("AUTHLENS_LOG_FORMAT")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a terminal: no colour.
    assert!(!table.contains('\x1b'), "escape codes in:\n{table}");
    let summary = table.lines().last().unwrap_or("");
    let (good, total) = summary.split_once(" of ").unwrap();
    assert!(total.starts_with(good), "{summary}");
    assert!(good.parse::<usize>().unwrap() >= 20, "{summary}");

    // Each scenario row names the cause; the next line is its fix.
    let lines: Vec<&str> = table.lines().collect();
    for (cause, fix) in [
        (
            "audience_mismatch / trailing_slash",
            "expects https://api.demo.local/ (trailing slash)",
        ),
        ("scope_delimiter_wrong", "space-separated"),
        ("cors_preflight_auth_blocked", "let OPTIONS through"),
        ("upstream_connection_refused", "is the API running"),
        ("token_missing", "Authorization: Bearer"),
        ("finding:unprotected_route", "add its auth middleware"),
        // The token-endpoint tour (seed Steps 2 and 3).
        (
            "te_invalid_target / trailing_slash",
            "connection is for `https://api.demo.local/`",
        ),
        ("te_invalid_client_wrong_pair", "IdP client's credentials"),
        ("idjag_replayed", "mint a fresh ID-JAG"),
        ("idjag_typ_invalid", "oauth-id-jag+jwt"),
    ] {
        let at = lines
            .iter()
            .position(|l| l.starts_with("ok ") && l.contains(cause))
            .unwrap_or_else(|| panic!("{cause} missing:\n{table}"));
        let hint = lines[at + 1];
        assert!(
            hint.trim_start().starts_with("fix: ") && hint.contains(fix),
            "{cause}: {hint}"
        );
    }

    // The sidecar's own lines are in the file named on the first line, not on stdout.
    let first = lines[0];
    let path = first
        .strip_prefix("authlens's own log lines (JSON): ")
        .unwrap_or_else(|| panic!("first line: {first}"));
    for line in &lines {
        assert!(!line.trim_start().starts_with('{'), "a JSON line: {line}");
        assert!(
            !line.contains(" WARN ") && !line.contains(" INFO "),
            "a log line: {line}"
        );
    }
    let log = std::fs::read_to_string(path).expect("the log file");
    let _ = std::fs::remove_file(path);
    let failed = log
        .lines()
        .filter(|l| l.contains("\"message\":\"exchange failed\""))
        .count();
    assert!(failed >= 19, "{failed} failure lines in the log file");
}
