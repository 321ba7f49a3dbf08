//! `authlens explain`: golden outputs, text and `--json`, for a token with each defect authlens's
//! own checks find, signed with real keys published by a real key server; `--jwks FILE|URL`
//! without a config; exit codes 0 (every check passed), 1 (one failed), 2 (usage); and never
//! the token or its signature in the output.
//!
//! The goldens are in `tests/golden/explain/`; values that change per run (the key server's
//! address, fingerprints, times) are replaced by placeholders. `UPDATE_GOLDEN=1` rewrites them.

mod support;
mod token_kit;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use token_kit::{AUD, Idp, TestKey, now};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn explain(args: &[&str], token: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_authlens"))
        .arg("explain")
        .args(args)
        .arg("-")
        .env_remove("AUTHLENS_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A usage error exits before reading: a broken pipe is then expected.
    let _ = child.stdin.take().unwrap().write_all(token.as_bytes());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What changes from run to run, and its placeholder.
struct Normalise {
    pairs: Vec<(String, String)>,
}

impl Normalise {
    fn apply(&self, text: &str, token: &str) -> String {
        let mut out = text.to_string();
        let fp = authlens::evidence::token::Fingerprint::of(token.trim()).to_string();
        out = out.replace(&fp, "<fingerprint>");
        for (from, to) in &self.pairs {
            out = out.replace(from.as_str(), to);
        }
        // The hints count seconds, which tick while the test runs.
        for s in 190..=215 {
            out = out.replace(&format!("{s}s ago"), "<about 200>s ago");
        }
        for s in 315..=335 {
            out = out.replace(&format!("another {s}s"), "another <about 330>s");
        }
        out
    }
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/explain")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs (UPDATE_GOLDEN=1 rewrites it)",
        path.display()
    );
}

struct Case {
    name: &'static str,
    token: String,
    code: i32,
    /// `cause` in the JSON, `null` for a valid token.
    cause: Value,
}

fn sign_hs256(claims: &Value) -> String {
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("k1".into());
    h.typ = Some("at+jwt".into());
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_secret(b"a shared secret")).unwrap()
}

fn cases(key: &TestKey, other: &TestKey, issuer: &str, now: i64) -> Vec<Case> {
    let base = json!({
        "iss": issuer, "aud": AUD, "exp": now + 630, "iat": now - 150,
        "sub": "user-1", "client_id": "client-1", "jti": "j1", "scope": "files.read"
    });
    let with = |k: &str, v: Value| {
        let mut c = base.clone();
        c[k] = v;
        c
    };
    let typed = |typ: &str, c: &Value| {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("k1".into());
        h.typ = Some(typ.into());
        key.sign_with(h, c)
    };
    let good = key.sign(&base);
    let tampered = {
        let other_payload = key.sign(&with("scope", "files.read files.write".into()));
        let (head_payload, _) = other_payload.rsplit_once('.').unwrap();
        format!("{head_payload}.{}", good.rsplit('.').next().unwrap())
    };
    let mut no_exp = base.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let case = |name, token, code, cause: &str| Case {
        name,
        token,
        code,
        cause: if cause.is_empty() {
            Value::Null
        } else {
            cause.into()
        },
    };
    vec![
        case("valid", good, 0, ""),
        case("opaque", "not-a-jwt".into(), 1, "token_malformed"),
        case(
            "id_jag",
            typed("oauth-id-jag+jwt", &with("aud", issuer.into())),
            1,
            "id_jag_sent",
        ),
        case(
            "id_token",
            typed("JWT", &with("nonce", "n-123".into())),
            1,
            "id_token_sent",
        ),
        case("hs256", sign_hs256(&base), 1, "alg_not_allowed"),
        case(
            "issuer_trailing_slash",
            key.sign(&with("iss", format!("{issuer}/").into())),
            1,
            "issuer_mismatch",
        ),
        case("kid_unknown", other.sign(&base), 1, "kid_unknown"),
        case("tampered", tampered, 1, "signature_invalid"),
        case(
            "aud_trailing_slash",
            key.sign(&with("aud", AUD.trim_end_matches('/').into())),
            1,
            "audience_mismatch",
        ),
        case(
            "expired",
            key.sign(&with("exp", (now - 200).into())),
            1,
            "token_expired",
        ),
        case(
            "not_yet_valid",
            key.sign(&with("nbf", (now + 330).into())),
            1,
            "token_not_yet_valid",
        ),
        case("no_exp", key.sign(&no_exp), 1, "required_claim_missing"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_golden_outputs_for_each_defect() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let other = TestKey::rsa("k2", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("authlens.yaml");
    std::fs::write(
        &config,
        format!(
            "upstream:\n  url: http://127.0.0.1:9\nauth:\n  issuers:\n    - name: as\n      issuer: {}\n      jwks_uri: {}\n      audiences: [{AUD}]\n",
            idp.issuer,
            idp.jwks_url()
        ),
    )
    .unwrap();
    let now = now();
    let mut pairs = vec![
        (idp.jwks_url(), "<jwks-url>".to_string()),
        (idp.issuer.clone(), "<issuer>".to_string()),
    ];
    for d in [-200, -150, 330, 630] {
        let at = now + d;
        let date = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(at as u64),
        );
        pairs.push((date, format!("<now{d:+} as a date>")));
        pairs.push((at.to_string(), format!("<now{d:+}>")));
    }
    let norm = Normalise { pairs };
    let cases = cases(&key, &other, &idp.issuer, now);
    let config_arg = config.to_str().unwrap().to_string();
    tokio::task::spawn_blocking(move || {
        for c in &cases {
            let args = ["--config", config_arg.as_str()];
            let text = explain(&args, &c.token);
            let json = explain(&[&args[..], &["--json"]].concat(), &c.token);
            for (form, run) in [("text", &text), ("json", &json)] {
                assert_eq!(
                    run.code, c.code,
                    "{} ({form}): {}{}",
                    c.name, run.stdout, run.stderr
                );
                assert!(
                    !run.stdout.contains(&c.token),
                    "{}: the token is printed",
                    c.name
                );
                if let Some((_, sig)) = c.token.rsplit_once('.') {
                    assert!(
                        !run.stdout.contains(sig),
                        "{}: the signature is printed",
                        c.name
                    );
                }
            }
            let v: Value = serde_json::from_str(&json.stdout).expect("--json prints JSON");
            assert_eq!(v["cause"], c.cause, "{}", c.name);
            assert_eq!(v["checks"].as_array().map(Vec::len), Some(10), "{}", c.name);
            golden(
                &format!("{}.txt", c.name),
                &norm.apply(&text.stdout, &c.token),
            );
            golden(
                &format!("{}.json", c.name),
                &norm.apply(&json.stdout, &c.token),
            );
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_without_a_config_and_exit_codes() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let file: PathBuf = dir.path().join("jwks.json");
    std::fs::write(&file, json!({"keys": [key.jwk]}).to_string()).unwrap();
    let now = now();
    let claims = json!({"iss": idp.issuer, "aud": AUD, "exp": now + 3450, "iat": now - 30});
    let good = key.sign(&claims);
    let (signed, _) = good.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{}", "A".repeat(342));
    let (file_arg, url) = (file.to_str().unwrap().to_string(), idp.jwks_url());
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap().to_string();
    tokio::task::spawn_blocking(move || {
        // A key set file: the signature is checked; what needs a config is said to be skipped.
        let r = explain(&["--jwks", &file_arg], &good);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("valid for 57 min"), "{}", r.stdout);
        assert!(
            r.stdout.contains("  pass         signature\n"),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("  skipped      audience (no --config to compare with)"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("(1 key)"), "{}", r.stdout);
        // A key set URL, and a signature that does not verify.
        let r = explain(&["--jwks", &url, "--json"], &forged);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["cause"], "signature_invalid", "{v}");
        assert!(!r.stdout.contains(&"A".repeat(342)));
        // Usage errors: 2.
        assert_eq!(explain(&["--no-such-flag"], &good).code, 2);
        let r = explain(&["--jwks", &missing], &good);
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("reading the key set"), "{}", r.stderr);
        // No config, no keys: nothing to verify against, so not a pass.
        let r = explain(&[], &good);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("verdict            unverified"),
            "{}",
            r.stdout
        );
    })
    .await
    .unwrap();
}
