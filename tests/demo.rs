//! `authlens demo --once` names every scenario of the tour as expected.

use std::process::Command;

#[test]
fn the_demo_tour_names_every_scenario() {
    let out = Command::new(env!("CARGO_BIN_EXE_authlens"))
        .args([
            "demo",
            "--once",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = table.lines().last().unwrap_or("");
    let (good, total) = summary.split_once(" of ").unwrap();
    assert!(total.starts_with(good), "{summary}");
    assert!(good.parse::<usize>().unwrap() >= 20, "{summary}");
    for cause in [
        "audience_mismatch/trailing_slash",
        "scope_delimiter_wrong/",
        "cors_preflight_auth_blocked/",
        "upstream_connection_refused/",
    ] {
        assert!(table.contains(cause), "{cause} missing:\n{table}");
    }
}
