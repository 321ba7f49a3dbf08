//! `/failures` (JSON) and `/failures.html`: the recent classified failures, grouped, from one
//! snapshot of `recent::Recent`. The page is self-contained (inline CSS, no script, no
//! external asset) and reloads itself.

use crate::recent::{GroupView, Recent, Snapshot};
use bytes::Bytes;
use http::{HeaderValue, Response, header};
use http_body_util::Full;
use std::fmt::Write;
use std::time::SystemTime;

const TEMPLATE: &str = include_str!("failures.html");

pub fn json(recent: &Recent) -> Response<Full<Bytes>> {
    let snapshot = recent.snapshot(SystemTime::now());
    let body = serde_json::to_vec(&snapshot).unwrap_or_else(|_| b"{}".to_vec());
    reply(body, "application/json")
}

pub fn html(recent: &Recent) -> Response<Full<Bytes>> {
    let page = page(&recent.snapshot(SystemTime::now()));
    reply(page.into_bytes(), "text/html; charset=utf-8")
}

fn reply(body: Vec<u8>, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Nothing to load from anywhere: the page's only style is inline.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    resp
}

pub fn page(s: &Snapshot) -> String {
    let summary = format!(
        "{} failure{} held (the last {} at most) · {}",
        s.held,
        if s.held == 1 { "" } else { "s" },
        s.capacity,
        s.generated_at
    );
    let mut groups = String::new();
    if s.groups.is_empty() {
        groups.push_str("<p class=\"empty\">No classified failures yet.</p>");
    }
    for g in &s.groups {
        group(&mut groups, g);
    }
    TEMPLATE
        .replace("{{SUMMARY}}", &escape(&summary))
        .replace("{{GROUPS}}", &groups)
}

fn group(out: &mut String, g: &GroupView) {
    let name = if g.detail.is_empty() {
        g.cause.to_string()
    } else {
        format!("{} / {}", g.cause, g.detail)
    };
    let _ = write!(
        out,
        "<section class=\"group\" data-cause=\"{cause}\" data-detail=\"{detail}\" data-route=\"{route}\">\n\
         <div class=\"head\"><span class=\"cause\">{name}</span><span class=\"badge\">{category}</span>\
         <span class=\"badge route\">route {route}</span></div>\n\
         <div class=\"numbers\"><span><b class=\"count\">{count}</b> held</span>\
         <span><b class=\"rate\">{rate}</b>/min</span>\
         <span>first <time datetime=\"{first}\">{first}</time></span>\
         <span>last <time datetime=\"{last}\">{ago} ago</time></span></div>\n\
         <p class=\"hint\">{hint}</p>\n\
         <details><summary>latest example · {confidence} evidence</summary><table>",
        cause = escape(g.cause),
        detail = escape(g.detail),
        route = escape(&g.route),
        name = escape(&name),
        category = escape(g.category),
        count = g.count,
        rate = g.per_minute,
        first = escape(&g.first_seen),
        last = escape(&g.last_seen),
        ago = crate::recent::human_duration(g.last_seen_secs_ago),
        hint = escape(&g.hint),
        confidence = escape(g.confidence),
    );
    for (k, v) in g.example.iter() {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
    }
    out.push_str("</table></details>\n</section>\n");
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_page_says_so_and_escapes() {
        let s = Snapshot::empty(500, SystemTime::UNIX_EPOCH);
        let p = page(&s);
        assert!(p.contains("No classified failures yet."));
        assert!(p.contains("0 failures held (the last 500 at most)"));
        assert!(!p.contains("{{"));
        assert!(
            !p.contains("http://") && !p.contains("https://"),
            "no external asset"
        );
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
