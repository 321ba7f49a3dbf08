//! The text form of an explanation, and times said the way people say them.

use super::model::{Report, Time};
use std::fmt::Write;

/// The text `authlens explain` prints.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let time = |t: &Option<Time>| {
        t.as_ref()
            .map_or("-".into(), |t| format!("{} ({})", t.unix, t.human))
    };
    let mut line = |name: &str, value: String| {
        let _ = writeln!(out, "{name:<18} {value}");
    };
    line(
        "token",
        r.kind_description.unwrap_or("not a JWT").to_string(),
    );
    line("fingerprint", r.fingerprint.clone());
    let h = &r.header;
    line(
        "header",
        format!(
            "alg={} kid={} typ={}",
            dash(&h.alg),
            dash(&h.kid),
            dash(&h.typ)
        ),
    );
    let c = &r.claims;
    line("iss", dash(&c.iss));
    line(
        "aud",
        if c.aud.is_empty() {
            "-".into()
        } else {
            c.aud.join(" ")
        },
    );
    line("exp", time(&c.exp));
    line("nbf", time(&c.nbf));
    line("iat", time(&c.iat));
    for s in &c.scopes {
        let value = match &s.value {
            serde_json::Value::String(t) => format!("{t:?} (string)"),
            other => format!("{other} (array)"),
        };
        line(&s.claim, value);
    }
    line("client_id", dash(&c.client_id));
    let result = |step: &str| r.checks.iter().find(|s| s.step == step).map(|s| s.result);
    let issuer = match (&r.issuer_config, result("issuer")) {
        (Some(i), _) => i.clone(),
        (None, Some("not_reached")) => "(not reached)".into(),
        (None, Some("skipped")) => "(no --config)".into(),
        (None, _) => "(none matched)".into(),
    };
    line("issuer config", issuer);
    let keys = match (&r.keys, result("kid")) {
        (Some(k), _) => k.clone(),
        (None, Some("not_reached")) => "(not reached)".into(),
        (None, _) => "(none)".into(),
    };
    line("keys", keys);
    let _ = writeln!(out);
    for s in &r.checks {
        let mark = match s.result {
            "fail" => "FAIL",
            "not_reached" => "not reached",
            other => other,
        };
        let why = s.reason.map(|w| format!(" ({w})")).unwrap_or_default();
        let _ = writeln!(out, "  {mark:<12} {}{why}", s.check);
        let said = match (&s.expected, &s.actual) {
            (Some(e), Some(a)) => format!("expected {e}, got {a}"),
            (Some(e), None) => format!("expected {e}"),
            (None, Some(a)) => format!("got {a}"),
            (None, None) => continue,
        };
        let _ = writeln!(out, "  {:<12}   {said}", "");
    }
    let _ = writeln!(out);
    match (r.verdict, r.cause) {
        ("valid", _) => {
            let _ = writeln!(
                out,
                "verdict            valid: authlens would not flag this token\n\
                 if the API rejects it, authlens names upstream_rejected_valid_token and logs the API's own words"
            );
        }
        ("unverified", _) => {
            let _ = writeln!(
                out,
                "verdict            unverified: the checks that ran passed, the skipped ones could not run"
            );
        }
        (_, Some(cause)) => {
            let detail = r.detail.map(|d| format!(" / {d}")).unwrap_or_default();
            let _ = writeln!(out, "cause              {cause}{detail}");
            let _ = writeln!(out, "hint               {}", dash(&r.hint));
        }
        _ => {
            let _ = writeln!(out, "verdict            invalid, cause not decided");
        }
    }
    if let Some(te) = &r.token_endpoint {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "token endpoint     {} ({}): {}",
            te.endpoint, te.grant, te.verdict
        );
        if let Some(cause) = te.cause {
            let detail = te.detail.map(|d| format!(" / {d}")).unwrap_or_default();
            let _ = writeln!(out, "  cause            {cause}{detail}");
            let _ = writeln!(out, "  hint             {}", dash(&te.hint));
        }
        for note in &te.notes {
            let _ = writeln!(out, "  note             {note}");
        }
    }
    out
}
