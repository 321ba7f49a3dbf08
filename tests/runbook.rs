//! docs/runbook.md has a section for every cause and finding authlens names, and every alert's
//! `runbook_url` points at a section that exists.

use authlens::cause::{Cause, Finding};
use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const PREFIX: &str = "docs/runbook.md#";

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors() -> BTreeSet<String> {
    read("docs/runbook.md")
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

/// The sections of the level-2 heading whose anchor starts with `prefix`.
fn sections_under(prefix: &str) -> BTreeSet<String> {
    let text = read("docs/runbook.md");
    let mut inside = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            inside = slug(h).starts_with(prefix);
        } else if let Some(h) = line.strip_prefix("### ")
            && inside
        {
            out.insert(slug(h));
        }
    }
    out
}

#[test]
fn every_cause_and_finding_has_a_section_with_meaning_confirmation_and_fix() {
    let anchors = anchors();
    let text = read("docs/runbook.md");
    for cause in Cause::ALL {
        let id = cause.label();
        assert!(anchors.contains(id), "no runbook section for cause {id}");
        // The section names how to confirm and how to fix, and sits under its category.
        let start = text.find(&format!("\n### {id}\n")).expect("heading") + 1;
        let end = text[start + 4..]
            .find("\n#")
            .map_or(text.len(), |e| start + 4 + e);
        let section = &text[start..end];
        for part in ["**Means.**", "**Confirm.**", "**Fix.**"] {
            assert!(section.contains(part), "{id}: no {part}\n{section}");
        }
        let category = cause.category().label();
        // client_aborted is filed under `client` by CONTRACT §2.
        let filed = sections_under(category).contains(id) || sections_under("client").contains(id);
        assert!(filed, "{id} is not under its category {category}");
    }
    for finding in Finding::ALL {
        assert!(
            anchors.contains(finding.label()),
            "no runbook section for finding {}",
            finding.label()
        );
    }
    // CONTRACT §2's categories that the cause enum may not carry yet have their sections too.
    for category in ["client", "token_endpoint"] {
        assert!(
            sections_under(category).len() >= 2,
            "no {category} causes in the runbook"
        );
    }
    assert!(sections_under("token_endpoint").contains("te_invalid_target"));
}

#[test]
fn every_link_inside_the_runbook_resolves() {
    let anchors = anchors();
    let text = read("docs/runbook.md");
    let mut n = 0;
    for part in text.split("](#").skip(1) {
        let anchor = &part[..part.find(')').expect("closing parenthesis")];
        assert!(anchors.contains(anchor), "dangling link #{anchor}");
        n += 1;
    }
    assert!(n >= 10, "{n} links");
}

#[test]
fn every_alert_links_an_existing_runbook_section() {
    let anchors = anchors();
    let rules: serde_json::Value =
        serde_saphyr::from_str(&read("deploy/prometheus/alerts.yaml")).expect("alerts.yaml");
    let mut alerts = 0;
    for group in rules["groups"].as_array().expect("groups") {
        for rule in group["rules"].as_array().expect("rules") {
            let Some(name) = rule["alert"].as_str() else {
                continue;
            };
            alerts += 1;
            let ann = &rule["annotations"];
            for key in ["summary", "description", "runbook_url"] {
                let v = ann[key].as_str().unwrap_or("");
                assert!(v.len() > 10, "{name}: no {key}");
            }
            assert!(
                ann["description"].as_str().unwrap().contains("Fix"),
                "{name}: the description says no fix"
            );
            let url = ann["runbook_url"].as_str().unwrap();
            let anchor = url
                .strip_prefix(PREFIX)
                .unwrap_or_else(|| panic!("{name}: {url} is not {PREFIX}<anchor>"));
            if anchor == "{{ $labels.cause }}" {
                // Templated by cause: every cause the expression can select has a section.
                let expr = rule["expr"].as_str().unwrap();
                let named: Vec<&str> = expr
                    .split("cause=~\"")
                    .skip(1)
                    .flat_map(|r| r.split('"').next().unwrap_or("").split('|'))
                    .collect();
                for cause in named {
                    assert!(anchors.contains(cause), "{name}: no section for {cause}");
                }
                // The others come from Cause::ALL (checked above) or their category's sections.
                if expr.contains("category=\"token_endpoint\"") {
                    assert!(sections_under("token_endpoint").len() >= 19, "{name}");
                }
            } else {
                assert!(anchors.contains(anchor), "{name}: #{anchor} does not exist");
            }
            // Every alert has its own section too.
            assert!(
                anchors.contains(&name.to_lowercase()),
                "{name}: no section under Alerts"
            );
        }
    }
    assert!(alerts >= 12, "{alerts} alerts");
}
