//! The demo's first screen: one row per scenario with the status the client got, what authlens
//! named and the hint it gave; in colour only when the output is a terminal. Then where to look.

use super::Row;
use std::fmt::Write;
use std::net::SocketAddr;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// The table; `colour` adds ANSI colours (stdout is a terminal).
pub fn table(rows: &[Row], colour: bool) -> String {
    let paint = |code: &'static str| if colour { code } else { "" };
    let (green, red, bold, dim, reset) = (
        paint(GREEN),
        paint(RED),
        paint(BOLD),
        paint(DIM),
        paint(RESET),
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{bold}   {:<44} {:>6}  authlens named{reset}",
        "scenario", "status"
    );
    for r in rows {
        let named = r.got.trim_end_matches('/').replace('/', " / ");
        let (mark, expected) = if r.matches() {
            (format!("{green}ok{reset}"), String::new())
        } else {
            (
                format!("{red}!!{reset}"),
                format!("  {red}expected {}{reset}", r.expected),
            )
        };
        let status = if r.status == 0 {
            "-".to_string()
        } else {
            r.status.to_string()
        };
        let _ = writeln!(
            out,
            "{mark} {:<44} {status:>6}  {bold}{named}{reset}{expected}",
            r.name
        );
        if !r.hint.is_empty() {
            let _ = writeln!(out, "   {dim}fix: {}{reset}", r.hint);
        }
    }
    let good = rows.iter().filter(|r| r.matches()).count();
    let _ = writeln!(out, "{good} of {} scenarios named as expected", rows.len());
    out
}

/// What to open next while the demo keeps running.
pub fn where_to_look(proxy: SocketAddr, admin: SocketAddr, every_secs: u64) -> String {
    format!(
        "\nauthlens keeps serving the demo API, with one demo request every {every_secs} s. Where to look:\n  \
         http://{admin}/failures.html    recent failures grouped by cause, with hints (a browser)\n  \
         http://{admin}/metrics          the Prometheus metrics\n  \
         authlens top --admin {admin}     the same failures live in a terminal\n  \
         curl -i http://{proxy}/files     a request of your own (token_missing)\n\
         Ctrl-C to stop.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(got: &str, hint: &str) -> Row {
        Row {
            name: "aud without the trailing slash",
            status: 401,
            expected: "audience_mismatch/trailing_slash",
            got: got.into(),
            hint: hint.into(),
        }
    }

    #[test]
    fn rows_name_the_cause_and_the_fix_and_colour_only_on_request() {
        let rows = [
            row("audience_mismatch/trailing_slash", "add the slash"),
            row("ok", ""),
        ];
        let plain = table(&rows, false);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(
            plain.contains("audience_mismatch / trailing_slash"),
            "{plain}"
        );
        assert!(plain.contains("fix: add the slash"), "{plain}");
        assert!(
            plain.contains("expected audience_mismatch/trailing_slash"),
            "{plain}"
        );
        assert!(
            plain.ends_with("1 of 2 scenarios named as expected\n"),
            "{plain}"
        );
        assert!(table(&rows, true).contains(GREEN));
    }
}
