use super::*;

fn parse(values: &[&str]) -> Vec<Challenge> {
    challenges(values.iter().map(|v| v.as_bytes()))
}

fn one(value: &str) -> Challenge {
    let mut all = parse(&[value]);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

#[test]
fn rfc_6750_challenge() {
    let c = one(
        r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
    );
    assert_eq!(c.scheme, "bearer");
    assert_eq!(c.param("realm"), Some("example"));
    assert_eq!(c.param("error"), Some("invalid_token"));
    assert_eq!(
        c.param("error_description"),
        Some("The access token expired")
    );
}

#[test]
fn names_are_case_insensitive_and_tokens_need_no_quotes() {
    let c = one("BEARER Error=insufficient_scope ,  SCOPE = \"a b\"");
    assert_eq!(c.scheme, "bearer");
    assert_eq!(c.param("error"), Some("insufficient_scope"));
    assert_eq!(c.param("scope"), Some("a b"));
}

#[test]
fn several_challenges_in_one_value_and_across_values() {
    let all = parse(&[
        r#"Bearer realm="api", error="invalid_token", DPoP algs="ES256 RS256", Basic abc==="#,
        "Negotiate",
        r#"Newauth realm="apps", type=1, title="Login to \"apps\"""#,
    ]);
    let schemes: Vec<_> = all.iter().map(|c| c.scheme.as_str()).collect();
    assert_eq!(schemes, ["bearer", "dpop", "basic", "negotiate", "newauth"]);
    assert_eq!(all[0].params.len(), 2);
    assert_eq!(all[1].param("algs"), Some("ES256 RS256"));
    assert_eq!(all[2].token68.as_deref(), Some("abc==="));
    assert_eq!(all[4].param("title"), Some(r#"Login to "apps""#));
    assert_eq!(all[4].param("type"), Some("1"));
}

#[test]
fn bare_challenge_and_empty_input() {
    let c = one("Bearer");
    assert!(c.params.is_empty() && c.token68.is_none());
    assert!(parse(&[""]).is_empty());
    assert!(parse(&[" , ,, "]).is_empty());
    assert!(parse(&[]).is_empty());
}

#[test]
fn tolerates_unescaped_quotes_in_descriptions() {
    let c = one(
        r#"Bearer realm="api", error="invalid_token", error_description="unexpected "aud" value", scope="x""#,
    );
    assert_eq!(
        c.param("error_description"),
        Some(r#"unexpected "aud" value"#)
    );
    assert_eq!(c.param("scope"), Some("x"));
    // Raw exception text with quotes, commas and colons inside the quoted value.
    let c = one(
        r#"Bearer error="invalid_token", error_description="oidc: expected audience "a" got ["b", "c"]""#,
    );
    assert_eq!(
        c.param("error_description"),
        Some(r#"oidc: expected audience "a" got ["b", "c"]"#)
    );
    // A missing comma between parameters.
    let c = one(r#"Bearer realm="api" error="invalid_token""#);
    assert_eq!(c.param("realm"), Some("api"));
    assert_eq!(c.param("error"), Some("invalid_token"));
}

#[test]
fn unbalanced_quotes_and_junk_do_not_escape_bounds() {
    let c = one(r#"Bearer error="invalid_token", error_description="never closed, and \"#);
    assert_eq!(c.param("error_description"), Some("never closed, and "));
    let junk = parse(&["=\"\"=,,==\"\u{0}(){}@@ Bearer x=\"y\""]);
    assert_eq!(junk.last().map(|c| c.scheme.as_str()), Some("bearer"));
    assert_eq!(junk.last().and_then(|c| c.param("x")), Some("y"));
}

#[test]
fn hostile_input_is_bounded() {
    // Huge header: only MAX_INPUT bytes are read; values are cut at MAX_VALUE.
    let huge = format!(r#"Bearer error_description="{}""#, "a".repeat(1_000_000));
    let c = one(&huge);
    assert_eq!(c.param("error_description").map(str::len), Some(MAX_VALUE));
    // Many commas and many challenges: at most MAX_CHALLENGES.
    let many = ",".repeat(100_000) + &"X, ".repeat(10_000);
    assert_eq!(
        parse(&[&many]).len(),
        0,
        "commas alone fill the input budget"
    );
    let many = "X, ".repeat(10_000);
    assert_eq!(parse(&[&many]).len(), MAX_CHALLENGES);
    // Many parameters: at most MAX_PARAMS.
    let params = format!("Bearer {}", "a=b, ".repeat(10_000));
    assert_eq!(one(&params).params.len(), MAX_PARAMS);
    // Many headers: the input budget is shared.
    let values: Vec<String> = (0..10_000).map(|i| format!("S{i}")).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(parse(&refs).len(), MAX_CHALLENGES);
    // Quote storms and escapes at the end of input.
    let storm = format!("Bearer d=\"{}", "\" ".repeat(50_000));
    assert_eq!(one(&storm).params.len(), 1);
    let escapes = format!("Bearer d=\"{}", "\\".repeat(50_001));
    assert_eq!(one(&escapes).params.len(), 1);
}

#[test]
fn non_utf8_bytes_are_replaced_not_fatal() {
    let all = challenges([&b"Bearer error=\"bad\xff\xfe\""[..]]);
    assert_eq!(all[0].param("error"), Some("bad\u{fffd}\u{fffd}"));
}

#[test]
fn random_tricky_input_never_breaks_the_bounds() {
    use rand::{Rng, SeedableRng};
    // Fixed seed: a failure reproduces.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7235);
    let alphabet = b"\"\\,= \tBearDPoP\x80\xffa=\"";
    for _ in 0..2_000 {
        let len = rng.random_range(0..400);
        let input: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        let all = challenges([&input[..]]);
        assert!(all.len() <= MAX_CHALLENGES);
        for c in &all {
            assert!(c.params.len() <= MAX_PARAMS);
            assert!(c.params.iter().all(|(_, v)| v.len() <= MAX_VALUE * 3));
            assert!(!c.scheme.is_empty());
        }
    }
}
