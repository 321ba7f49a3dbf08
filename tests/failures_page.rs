//! The recent-failures views of a running sidecar after traffic with several causes: `/failures`
//! (JSON) groups them with counts and hints, and `/failures.html`, loaded in headless Chromium
//! at a phone's width, shows the same; a screenshot is kept as an artifact; no secret the
//! clients sent appears in the JSON, the HTML or the rendered page.

mod oncall_traffic;
mod support;
mod token_kit;

use oncall_traffic::{EXPECTED, Scene, expected_total};
use serde_json::{Value, json};
use support::browser::{self, Browser};

fn group<'a>(groups: &'a [Value], cause: &str, detail: &str) -> &'a Value {
    groups
        .iter()
        .find(|g| g["cause"] == cause && g["detail"] == detail)
        .unwrap_or_else(|| panic!("no group {cause}/{detail} in {groups:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failures_views_group_causes_with_hints_and_keep_secrets_out() {
    let mut scene = Scene::start().await;
    scene.send_traffic().await;
    let (json, text) = scene.failures_holding(expected_total()).await;

    // JSON: one group per cause, with count, times, hint and a redacted example.
    let groups = json["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), EXPECTED.len(), "{text}");
    assert_eq!(json["capacity"], 500);
    for (cause, detail, n) in EXPECTED {
        let g = group(groups, cause, detail);
        assert_eq!(g["count"], *n as u64, "{cause}: {g}");
        assert_eq!(g["last_minute"], *n as u64, "{cause}: {g}");
        assert_eq!(g["route"], "files", "{cause}");
        assert!(g["hint"].as_str().is_some_and(|h| h.len() > 20), "{g}");
        assert!(g["first_seen"].as_str().unwrap().ends_with('Z'), "{g}");
        assert!(g["first_seen"].as_str() <= g["last_seen"].as_str(), "{g}");
        assert_eq!(g["example"]["http.response.status_code"], "401", "{g}");
    }
    // Busiest first.
    assert_eq!(groups[0]["cause"], "token_missing", "{text}");
    let near = group(groups, "audience_mismatch", "trailing_slash");
    assert_eq!(near["example"]["expected.aud"], token_kit::AUD, "{near}");
    assert!(
        near["hint"].as_str().unwrap().contains("trailing slash"),
        "{near}"
    );
    let expired = group(groups, "token_expired", "");
    assert_eq!(expired["example"]["token.iss"], scene.idp.issuer.as_str());
    assert_eq!(
        expired["example"]["token.fingerprint"]
            .as_str()
            .map(str::len),
        Some(16)
    );
    assert!(expired["example"].get("token.sub").is_none(), "{expired}");
    let missing = group(groups, "token_missing", "");
    assert_eq!(missing["example"]["url.path"], "/files/report", "{missing}");
    scene.assert_no_secret("/failures", &text);

    // The page as served: self-contained, refreshing, no secret.
    let page_url = format!("{}/failures.html", scene.authlens.admin);
    let page = support::send(support::client::get(&page_url)).await;
    let html = String::from_utf8(page.body.to_vec()).expect("utf-8");
    assert_eq!(page.status, 200);
    assert!(html.contains("http-equiv=\"refresh\""), "{html}");
    for external in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!html.contains(external), "{external} in the page");
    }
    scene.assert_no_secret("/failures.html", &html);

    if !browser::available() {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(!ci, "CI is set but Chromium/chromedriver are missing");
        eprintln!("SKIPPED the browser part: Chromium or chromedriver not installed");
        return;
    }
    let browser = Browser::start(&[]).await;
    browser.set_window_size(390, 844).await; // a phone
    browser.open(&page_url).await;
    let dom = browser
        .run_async(
            "const done = arguments[arguments.length - 1];
             const text = (s, q) => (s.querySelector(q) || {}).textContent || '';
             done({
               groups: [...document.querySelectorAll('section.group')].map(s => ({
                 cause: s.dataset.cause, detail: s.dataset.detail, route: s.dataset.route,
                 title: text(s, '.cause'), count: text(s, '.count'), hint: text(s, '.hint'),
                 hintVisible: s.querySelector('.hint').getBoundingClientRect().height > 0,
               })),
               summary: document.getElementById('summary').textContent,
               scrollsSideways: document.documentElement.scrollWidth > window.innerWidth,
               width: window.innerWidth,
             });",
            json!([]),
        )
        .await;
    let shown = dom["groups"].as_array().expect("groups in the DOM");
    assert_eq!(shown.len(), EXPECTED.len(), "{dom}");
    for (cause, detail, n) in EXPECTED {
        let s = shown
            .iter()
            .find(|s| s["cause"] == *cause && s["detail"] == *detail)
            .unwrap_or_else(|| panic!("{cause} not rendered: {dom}"));
        assert_eq!(s["count"], n.to_string(), "{s}");
        assert_eq!(s["route"], "files");
        let title = s["title"].as_str().unwrap();
        assert!(title.starts_with(cause), "{s}");
        let hint = group(groups, cause, detail)["hint"].as_str().unwrap();
        assert_eq!(s["hint"], hint, "the page shows the JSON's hint");
        assert_eq!(s["hintVisible"], true, "{s}");
    }
    assert!(
        dom["summary"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{} failures held", expected_total())),
        "{dom}"
    );
    assert!(dom["width"].as_u64().unwrap() <= 400, "{dom}");
    assert_eq!(dom["scrollsSideways"], false, "readable on a phone: {dom}");

    let png = browser.screenshot().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("artifacts");
    std::fs::create_dir_all(&dir).expect("artifact dir");
    let shot = dir.join("failures-page.png");
    std::fs::write(&shot, png).expect("write the screenshot");
    eprintln!("screenshot: {}", shot.display());

    scene.assert_no_secret("the rendered page", &browser.source().await);
}
