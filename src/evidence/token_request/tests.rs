use super::*;

#[test]
fn reads_the_fields_decoded_and_drops_the_secret() {
    let body = b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c\
                 &scope=files.read+files.write&client_id=app-at-files&client_secret=MARKER&x=1";
    let f = TokenForm::parse(body, FormRead::Complete);
    assert_eq!(f.grant_type.as_deref(), Some(JWT_BEARER));
    assert_eq!(f.assertion.as_ref().map(Secret::as_str), Some("a.b.c"));
    assert_eq!(f.scope.as_deref(), Some("files.read files.write"));
    assert_eq!(f.client_id.as_deref(), Some("app-at-files"));
    assert!(f.client_secret_sent);
    assert!(!format!("{f:?}").contains("MARKER"));
    assert!(!format!("{f:?}").contains("a.b.c"));
    assert!(f.repeated.is_empty());
}

#[test]
fn repeated_cut_and_broken_escapes() {
    let f = TokenForm::parse(b"scope=a&scope=b&resource=%zz%4", FormRead::Complete);
    assert_eq!(f.scope.as_deref(), Some("a"));
    assert_eq!(f.repeated, ["scope"]);
    assert_eq!(f.resource.as_deref(), Some("%zz%4"));
    let f = TokenForm::parse(b"grant_type=x&assertion=", FormRead::Cut);
    assert_eq!(f.grant_type.as_deref(), Some("x"));
    assert!(!f.has("assertion"));
    assert_eq!(f.read, FormRead::Cut);
}

#[test]
fn basic_client_id_without_the_secret() {
    let mut h = HeaderMap::new();
    let creds = STANDARD.encode("idp%2Dclient:MARKER");
    h.insert(
        header::AUTHORIZATION,
        format!("Basic {creds}").parse().unwrap(),
    );
    let auth = basic_client(&h).unwrap();
    assert_eq!(auth, ClientAuth::Basic(Some("idp-client".into())));
    h.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
    assert_eq!(basic_client(&h), Some(ClientAuth::Basic(None)));
    h.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
    assert_eq!(basic_client(&h), None);
    let form = TokenForm {
        client_secret_sent: true,
        ..TokenForm::default()
    };
    assert_eq!(client_auth(Some(&auth), &form), ClientAuth::Both);
    assert_eq!(client_auth(None, &form), ClientAuth::Post);
    assert_eq!(client_auth(None, &TokenForm::default()), ClientAuth::None);
}

#[test]
fn a_token_in_a_plain_parameter_is_kept_as_its_shape_and_long_values_are_cut() {
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJlbWFpbCI6ImFAYi5jIn0.SIGNATURE";
    let body = format!(
        "subject_token={jwt}&subject_token_type={jwt}&scope={}",
        "s".repeat(2000)
    );
    let f = TokenForm::parse(body.as_bytes(), FormRead::Complete);
    assert_eq!(f.subject_token.as_ref().map(Secret::as_str), Some(jwt));
    let shown = f.subject_token_type.as_deref().unwrap();
    assert_eq!(shown, format!("(a token, {} bytes)", jwt.len()));
    assert!(!format!("{f:?}").contains("SIGNATURE"));
    let scope = f.scope.as_deref().unwrap();
    assert!(
        scope.len() <= 512 + '…'.len_utf8() && scope.ends_with('…'),
        "{scope}"
    );
}
