//! RFC 6750 §2: where the token may be, and every way the header can be wrong.

use super::*;

fn run(auth: &[&str], uri: &str) -> Presented {
    let mut h = HeaderMap::new();
    for a in auth {
        h.append(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
    }
    extract(&h, &uri.parse().unwrap())
}

#[test]
fn scheme_problems_get_their_detail() {
    let rows = [
        ("Basic dXNlcjpwYXNz", Detail::Basic),
        ("basic dXNlcjpwYXNz", Detail::Basic),
        ("Token abc", Detail::OtherScheme),
        ("DPoP abc", Detail::OtherScheme),
        ("abc.def.ghi", Detail::Malformed),
        ("Bearer: abc", Detail::Malformed),
        ("Bearer:abc", Detail::Malformed),
        ("Bearer \"abc\"", Detail::Malformed),
        ("Bearer", Detail::Malformed),
        ("Bearer ", Detail::Malformed),
        ("Bearer  abc", Detail::Malformed),
        ("Bearer abc ", Detail::Malformed),
        ("Bearer Bearer abc", Detail::Malformed),
        ("Bearer a,b", Detail::Malformed),
    ];
    for (value, detail) in rows {
        match run(&[value], "/") {
            Presented::NotBearer(d) => assert_eq!(d, detail, "{value:?}"),
            other => panic!("{value:?}: {other:?}"),
        }
    }
}

#[test]
fn bearer_tokens_are_found_in_header_or_query() {
    let t = |p: Presented| p.token().map(|t| t.as_str().to_string());
    assert_eq!(t(run(&["Bearer a.b.c"], "/")).as_deref(), Some("a.b.c"));
    assert_eq!(
        t(run(&["bearer a-b_c~+/=="], "/")).as_deref(),
        Some("a-b_c~+/==")
    );
    assert_eq!(
        t(run(&[], "/x?a=1&access_token=q.r.s")).as_deref(),
        Some("q.r.s")
    );
    assert!(matches!(run(&[], "/x?access_token="), Presented::None));
    assert!(matches!(run(&[], "/x?other=1"), Presented::None));
    assert!(matches!(run(&[], "/"), Presented::None));
}

#[test]
fn more_than_one_method_is_multiple() {
    let p = run(&["Bearer a.b.c"], "/?access_token=q.r.s");
    assert!(matches!(&p, Presented::Multiple(Some(t)) if t.as_str() == "a.b.c"));
    let p = run(&["Bearer a.b.c", "Bearer d.e.f"], "/");
    assert!(matches!(p, Presented::Multiple(Some(_))));
    let p = run(&["Basic x", "Bearer d.e.f"], "/");
    assert!(matches!(p, Presented::Multiple(None)));
}

#[test]
fn debug_never_shows_the_token() {
    let p = run(&["Bearer secret.token.value"], "/");
    assert!(!format!("{p:?}").contains("secret"));
}
