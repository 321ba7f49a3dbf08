//! `authlens explain`: every check's verdict, the cause and the hint, for tokens signed with a
//! real key published by a real key server.

mod support;
mod token_kit;

use jsonwebtoken::Algorithm;
use std::io::Write;
use std::process::{Command, Stdio};
use token_kit::{AUD, Idp, TestKey, claims};

fn explain(config: &str, token: &str, via_stdin: bool) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authlens.yaml");
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_authlens"));
    cmd.arg("explain")
        .arg("--config")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if via_stdin {
        cmd.arg("-").stdin(Stdio::piped());
    } else {
        cmd.arg(token);
    }
    let mut child = cmd.spawn().unwrap();
    if via_stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(token.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_walks_every_check_and_names_the_cause() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    let config = format!(
        "upstream:\n  url: http://127.0.0.1:9\nauth:\n  issuers:\n    - name: as\n      issuer: {}\n      jwks_uri: {}\n      audiences: [{AUD}]\n",
        idp.issuer,
        idp.jwks_url()
    );

    let good = key.sign(&claims(&idp.issuer));
    let (code, text) = tokio::task::spawn_blocking({
        let (config, good) = (config.clone(), good.clone());
        move || explain(&config, &good, true)
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{text}");
    assert_eq!(text.matches("  pass ").count(), 10, "{text}");
    assert!(
        text.contains("valid: authlens would not flag this token"),
        "{text}"
    );

    let mut c = claims(&idp.issuer);
    c["aud"] = AUD.trim_end_matches('/').into();
    let near_miss = key.sign(&c);
    let (code, text) = tokio::task::spawn_blocking({
        let near_miss = near_miss.clone();
        move || explain(&config, &near_miss, false)
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("  pass         signature"), "{text}");
    assert!(text.contains("  FAIL         audience"), "{text}");
    assert!(text.contains("  not reached  time window"), "{text}");
    assert!(
        text.contains("cause              audience_mismatch / trailing_slash"),
        "{text}"
    );
    assert!(text.contains("(trailing slash)"), "{text}");
    let signature = near_miss.rsplit('.').next().unwrap();
    assert!(
        !text.contains(signature),
        "the signature must not be printed"
    );
}
