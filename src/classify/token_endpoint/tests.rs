//! Table tests: one token request per row, and the cause, detail and hint words it must get.

use super::*;
use crate::base::clock::from_unix_secs;
use crate::evidence::token::checks::ID_JAG_TYPE as JAG_TYP;
use crate::evidence::token::decode::decode;
use crate::evidence::token::test_support::{IDP, NOW, issuer, token};
use crate::evidence::token::{Check, Fingerprint, Verdict};
use crate::evidence::token_request::{FormRead, ID_JAG_TYPE, ID_TOKEN_TYPE};
use crate::facts::TransportError;
use crate::policy::ClientAuthMethod;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

const AS: &str = "https://as.example/";
const CLIENT: &str = "app-at-files";

fn endpoint() -> TokenEndpointPolicy {
    TokenEndpointPolicy {
        name: "as_token".into(),
        issuer: Some(AS.into()),
        trusted: vec![issuer("idp", IDP)],
        key_offset: 0,
        client_ids: vec!["{client_id}-at-{resource_id}".into()],
        resources: vec!["https://api.example/".into()],
        client_auth: Some(ClientAuthMethod::ClientSecretPost),
        assertion_lifetime: Duration::from_secs(300),
    }
}

fn idjag_claims() -> Value {
    json!({"iss": IDP, "aud": AS, "exp": NOW + 200, "iat": NOW - 10, "sub": "u1",
           "client_id": CLIENT, "jti": "j1", "scope": "files.read"})
}

fn report(header: Value, claims: Value, verdict: Verdict) -> TokenReport {
    let t = token(header, claims);
    let d = decode(&t).unwrap();
    TokenReport {
        fingerprint: Fingerprint::of(&t),
        header: d.header,
        claims: d.claims,
        issuer: Some(0),
        verdict,
    }
}

fn idjag(claims: Value) -> TokenReport {
    report(
        json!({"alg": "RS256", "kid": "k1", "typ": JAG_TYP}),
        claims,
        Verdict::Valid,
    )
}

fn bearer_form() -> TokenForm {
    TokenForm {
        read: FormRead::Complete,
        grant_type: Some(JWT_BEARER.into()),
        assertion: Some(
            TokenForm::parse(b"assertion=x", FormRead::Complete)
                .assertion
                .unwrap(),
        ),
        client_id: Some(CLIENT.into()),
        client_secret_sent: true,
        scope: Some("files.read".into()),
        ..TokenForm::default()
    }
}

fn exchange_form() -> TokenForm {
    TokenForm {
        read: FormRead::Complete,
        grant_type: Some(TOKEN_EXCHANGE.into()),
        subject_token: Some(
            TokenForm::parse(b"subject_token=x", FormRead::Complete)
                .subject_token
                .unwrap(),
        ),
        subject_token_type: Some(ID_TOKEN_TYPE.into()),
        requested_token_type: Some(ID_JAG_TYPE.into()),
        audience: Some(AS.into()),
        resource: Some("https://api.example/".into()),
        client_id: Some("app".into()),
        client_secret_sent: true,
        ..TokenForm::default()
    }
}

fn answer(status: u16, body: &str) -> Outcome {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    let mut facts = ResponseFacts::from_head(StatusCode::from_u16(status).unwrap(), &h, false);
    facts.body = Some(bytes::Bytes::copy_from_slice(body.as_bytes()));
    Outcome::Response(facts)
}

fn error(status: u16, code: &str) -> Outcome {
    answer(
        status,
        &format!(r#"{{"error":"{code}","error_description":"said so"}}"#),
    )
}

struct Row {
    name: &'static str,
    form: TokenForm,
    client: ClientAuth,
    assertion: Option<TokenReport>,
    replayed: bool,
    outcome: Outcome,
    kind: EndpointKind,
    path: &'static str,
    want: Option<(Cause, Detail, &'static [&'static str])>,
}

fn row(name: &'static str, outcome: Outcome) -> Row {
    Row {
        name,
        form: bearer_form(),
        client: ClientAuth::Post,
        assertion: Some(idjag(idjag_claims())),
        replayed: false,
        outcome,
        kind: EndpointKind::Token,
        path: "/token",
        want: None,
    }
}

impl Row {
    fn want(mut self, cause: Cause, detail: Detail, words: &'static [&'static str]) -> Self {
        self.want = Some((cause, detail, words));
        self
    }
}

fn run(r: &Row) -> Classification {
    let te = endpoint();
    classify(&TokenExchange {
        endpoint: &te,
        kind: r.kind,
        path: r.path,
        form: &r.form,
        client: &r.client,
        assertion: r.assertion.as_ref(),
        replayed: r.replayed,
        outcome: &r.outcome,
        leeway: Duration::from_secs(30),
        now: from_unix_secs(NOW),
    })
}

fn rows() -> Vec<Row> {
    let hdr = |typ: &str| json!({"alg": "RS256", "kid": "k1", "typ": typ});
    let with = |k: &str, v: Value| {
        let mut c = idjag_claims();
        c[k] = v;
        c
    };
    let invalid = |check: Check| report(hdr(JAG_TYP), idjag_claims(), Verdict::Invalid(check));
    let subject =
        |claims: Value, verdict| report(json!({"alg": "RS256", "kid": "k1"}), claims, verdict);
    let id_token = json!({"iss": IDP, "aud": "app", "exp": NOW + 300, "sub": "u1"});
    vec![
        row("success", answer(200, "{}")),
        row("not found", error(404, "x")).want(Cause::TeTokenEndpointNotFound, Detail::None, &["404", "/token"]),
        row("server error", error(503, "temporarily_unavailable")).want(Cause::TeServerError, Detail::None, &["503", "said so"]),
        row("transport", Outcome::Transport(TransportError::ResponseTimeout)).want(Cause::UpstreamResponseTimeout, Detail::None, &[]),
        Row { form: TokenForm { grant_type: None, ..bearer_form() }, ..row("no grant_type", error(400, "invalid_request")) }
            .want(Cause::TeMissingParameter, Detail::GrantType, &["grant_type"]),
        Row { form: TokenForm { assertion: None, ..bearer_form() }, assertion: None, ..row("no assertion", error(400, "invalid_request")) }
            .want(Cause::TeMissingParameter, Detail::Assertion, &["`assertion`"]),
        Row { form: TokenForm { audience: None, resource: None, ..exchange_form() }, ..row("no audience", error(400, "invalid_request")) }
            .want(Cause::TeMissingParameter, Detail::Audience, &["`audience`", "missing: audience, resource"]),
        Row { form: TokenForm { requested_token_type: None, ..exchange_form() }, ..row("no requested type", error(400, "invalid_request")) }
            .want(Cause::TeMissingParameter, Detail::RequestedTokenType, &["requested_token_type"]),
        Row { form: TokenForm::default(), assertion: None, ..row("not a form", error(400, "invalid_request")) }
            .want(Cause::TeMissingParameter, Detail::Other, &["x-www-form-urlencoded"]),
        Row { form: TokenForm { repeated: vec!["scope"], ..bearer_form() }, ..row("repeated", error(400, "invalid_request")) }
            .want(Cause::TeMissingParameter, Detail::Other, &["`scope`", "more than once"]),
        Row { form: TokenForm { read: FormRead::Cut, assertion: None, ..bearer_form() }, assertion: None, ..row("cut body", error(400, "invalid_request")) }
            .want(Cause::TeInvalidGrantUnclassified, Detail::None, &["said so"]),
        Row { form: TokenForm { grant_type: Some("urn:ietf:params:oauth:grant-type:jwt_bearer".into()), ..bearer_form() }, ..row("grant typo", error(400, "unsupported_grant_type")) }
            .want(Cause::TeUnsupportedGrantType, Detail::GrantType, &[JWT_BEARER, "jwt_bearer"]),
        Row { form: TokenForm { requested_token_type: Some("urn:ietf:params:oauth:token-type:id_jag".into()), ..exchange_form() }, ..row("id_jag typo", error(400, "unsupported_grant_type")) }
            .want(Cause::TeUnsupportedGrantType, Detail::RequestedTokenType, &[ID_JAG_TYPE, "id_jag"]),
        row("grant not enabled", error(400, "unauthorized_client")).want(Cause::TeUnsupportedGrantType, Detail::GrantType, &["enable the grant", CLIENT]),
        Row { form: TokenForm { client_id: Some("app".into()), ..bearer_form() }, ..row("wrong pair", error(401, "invalid_client")) }
            .want(Cause::TeInvalidClientWrongPair, Detail::None, &["`app`", CLIENT]),
        Row { form: TokenForm { client_id: Some("app".into()), ..bearer_form() }, ..row("wrong pair as invalid_grant", error(400, "invalid_grant")) }
            .want(Cause::TeInvalidClientWrongPair, Detail::None, &["`app`", CLIENT]),
        Row { form: TokenForm { client_id: Some("app".into()), ..bearer_form() }, assertion: None, ..row("wrong pair without assertion", error(401, "invalid_client")) }
            .want(Cause::TeInvalidClientWrongPair, Detail::None, &["`app`", "-at-"]),
        row("bad secret", error(401, "invalid_client")).want(Cause::TeInvalidClientCredentials, Detail::SecretOrDeleted, &[CLIENT, "secret"]),
        Row { client: ClientAuth::Basic(Some(CLIENT.into())), form: TokenForm { client_secret_sent: false, ..bearer_form() }, ..row("basic not post", error(401, "invalid_client")) }
            .want(Cause::TeInvalidClientCredentials, Detail::AuthMethod, &["client_secret_basic", "client_secret_post"]),
        Row { client: ClientAuth::Both, ..row("two methods", error(401, "invalid_client")) }
            .want(Cause::TeInvalidClientCredentials, Detail::AuthMethod, &["Basic", "client_secret"]),
        Row { form: TokenForm { resource: Some("https://api.example".into()), ..exchange_form() }, ..row("target slash", error(400, "invalid_target")) }
            .want(Cause::TeInvalidTarget, Detail::TrailingSlash, &["`https://api.example/`", "`https://api.example`"]),
        Row { form: TokenForm { resource: Some("https://other.example/".into()), ..exchange_form() }, ..row("target other", error(400, "invalid_target")) }
            .want(Cause::TeInvalidTarget, Detail::Other, &["https://other.example/"]),
        Row { form: TokenForm { scope: Some("files.read,files.write".into()), ..bearer_form() }, ..row("comma scope", error(400, "invalid_scope")) }
            .want(Cause::TeInvalidScope, Detail::CommaSeparated, &["`files.read files.write`"]),
        Row { form: TokenForm { scope: Some("files.read files.delete".into()), ..bearer_form() }, ..row("scope beyond", error(400, "invalid_scope")) }
            .want(Cause::TeInvalidScope, Detail::NotInAssertion, &["`files.delete`", "`files.read`"]),
        Row { form: TokenForm { scope: Some("admin".into()), ..exchange_form() }, ..row("scope other", error(400, "invalid_scope")) }
            .want(Cause::TeInvalidScope, Detail::Other, &["`admin`"]),
        row("step up", error(400, "insufficient_user_authentication")).want(Cause::TeStepUpRequired, Detail::None, &["said so"]),
        Row { assertion: Some(report(hdr("JWT"), idjag_claims(), Verdict::Valid)), ..row("typ", error(400, "invalid_grant")) }
            .want(Cause::IdjagTypInvalid, Detail::None, &["`JWT`", JAG_TYP]),
        Row { assertion: Some(invalid(Check::new(Cause::IssuerMismatch, Detail::TrailingSlash).expected(IDP).actual("https://idp.example/"))), ..row("iss", error(400, "invalid_grant")) }
            .want(Cause::IdjagIssuerUntrusted, Detail::None, &[IDP, "trailing_slash"]),
        Row { assertion: Some(invalid(Check::new(Cause::KidUnknown, Detail::None).expected("k1").actual("k9"))), ..row("kid", error(400, "invalid_grant")) }
            .want(Cause::IdjagSignatureInvalid, Detail::KidUnknown, &["`k9`", "k1"]),
        Row { assertion: Some(invalid(Check::new(Cause::AlgNotAllowed, Detail::Other).expected("RS256").actual("ES256"))), ..row("alg", error(400, "invalid_grant")) }
            .want(Cause::IdjagSignatureInvalid, Detail::Alg, &["`ES256`", "RS256"]),
        Row { assertion: Some(invalid(Check::new(Cause::SignatureInvalid, Detail::None))), ..row("sig", error(400, "invalid_grant")) }
            .want(Cause::IdjagSignatureInvalid, Detail::Signature, &[IDP]),
        Row { assertion: Some(idjag(with("aud", json!("https://as.example")))), ..row("aud slash", error(400, "invalid_grant")) }
            .want(Cause::IdjagAudienceMismatch, Detail::TrailingSlash, &["`https://as.example/`", "`https://as.example`"]),
        Row { assertion: Some(idjag(with("aud", json!("https://api.example/")))), ..row("aud other", error(400, "invalid_grant")) }
            .want(Cause::IdjagAudienceMismatch, Detail::Other, &["https://api.example/"]),
        Row { assertion: Some(idjag(with("exp", json!(NOW - 100)))), ..row("expired", error(400, "invalid_grant")) }
            .want(Cause::IdjagExpired, Detail::Expired, &["100s ago", "5 minutes"]),
        Row { assertion: Some(idjag(with("iat", json!(NOW + 120)))), ..row("future", error(400, "invalid_grant")) }
            .want(Cause::IdjagExpired, Detail::NotYetValid, &["120s"]),
        Row { assertion: Some(idjag(with("client_id", json!("stranger")))), form: TokenForm { client_id: Some("stranger".into()), ..bearer_form() }, ..row("client unknown", error(400, "invalid_grant")) }
            .want(Cause::IdjagClientIdUnknown, Detail::None, &["`stranger`", "{client_id}-at-{resource_id}"]),
        Row { replayed: true, ..row("replay", error(400, "invalid_grant")) }
            .want(Cause::IdjagReplayed, Detail::None, &["`j1`"]),
        row("nothing found", error(400, "invalid_grant")).want(Cause::TeInvalidGrantUnclassified, Detail::None, &["invalid_grant \"said so\"", "found nothing"]),
        Row { assertion: Some(invalid(Check::new(Cause::TokenMalformed, Detail::Opaque))), ..row("opaque", error(400, "invalid_grant")) }
            .want(Cause::TeInvalidGrantUnclassified, Detail::None, &["not a JWT", "opaque"]),
        Row { form: TokenForm { subject_token_type: Some("urn:ietf:params:oauth:token-type:access_token".into()), ..exchange_form() }, assertion: Some(subject(id_token.clone(), Verdict::Valid)), ..row("subject type", error(400, "invalid_request")) }
            .want(Cause::TeSubjectTokenInvalid, Detail::Type, &[ID_TOKEN_TYPE, "access_token"]),
        Row { form: exchange_form(), assertion: Some(subject(id_token.clone(), Verdict::Invalid(Check::new(Cause::SignatureInvalid, Detail::None)))), ..row("subject sig", error(400, "invalid_request")) }
            .want(Cause::TeSubjectTokenInvalid, Detail::Signature, &["signature_invalid"]),
        Row { form: TokenForm { client_id: Some("other-app".into()), ..exchange_form() }, assertion: Some(subject(id_token.clone(), Verdict::Valid)), ..row("subject aud", error(400, "invalid_grant")) }
            .want(Cause::TeSubjectTokenInvalid, Detail::AudClientMismatch, &["`app`", "`other-app`"]),
        Row { form: exchange_form(), assertion: Some(subject(json!({"iss": IDP, "aud": "app", "exp": NOW + 300}), Verdict::Valid)), ..row("subject sub", error(400, "invalid_request")) }
            .want(Cause::TeSubjectTokenInvalid, Detail::NoSub, &["sub"]),
        Row { form: exchange_form(), assertion: Some(subject(json!({"iss": IDP, "aud": "app", "exp": NOW - 60, "sub": "u"}), Verdict::Valid)), ..row("subject expired", error(400, "invalid_request")) }
            .want(Cause::TeSubjectTokenInvalid, Detail::Expired, &["60s ago", "log in again"]),
        Row { kind: EndpointKind::Discovery, path: "/.well-known/openid-configuration", assertion: None, ..row("metadata 404", error(404, "x")) }
            .want(Cause::TeDiscoveryFailed, Detail::None, &["404", AS]),
        Row { kind: EndpointKind::Discovery, path: "/.well-known/oauth-authorization-server", assertion: None, ..row("rfc8414 404 alone", error(404, "x")) },
        Row { kind: EndpointKind::Discovery, path: "/.well-known/oauth-authorization-server", assertion: None, ..row("metadata issuer", answer(200, r#"{"issuer":"https://as.example","token_endpoint":"https://as.example/token"}"#)) }
            .want(Cause::TeDiscoveryFailed, Detail::None, &["`https://as.example`", "`https://as.example/`"]),
        Row { kind: EndpointKind::Discovery, path: "/.well-known/oauth-authorization-server", assertion: None, ..row("metadata ok", answer(200, r#"{"issuer":"https://as.example/","token_endpoint":"https://as.example/token"}"#)) },
    ]
}

#[test]
fn every_row_gets_its_cause_detail_and_hint() {
    for r in rows() {
        let c = run(&r);
        match (&r.want, &c.failure) {
            (None, None) => {}
            (Some((cause, detail, words)), Some(f)) => {
                assert_eq!(
                    (f.cause, f.detail),
                    (*cause, *detail),
                    "{}: {}",
                    r.name,
                    f.hint
                );
                for w in *words {
                    assert!(
                        f.hint.contains(w),
                        "{}: hint lacks {w:?}: {}",
                        r.name,
                        f.hint
                    );
                }
            }
            (want, got) => panic!("{}: want {want:?}, got {got:?}", r.name),
        }
    }
}

#[test]
fn every_token_endpoint_cause_has_a_row() {
    let covered: Vec<Cause> = rows().iter().filter_map(|r| r.want.map(|w| w.0)).collect();
    for cause in Cause::ALL
        .iter()
        .filter(|c| c.category() == crate::cause::Category::TokenEndpoint)
    {
        assert!(covered.contains(cause), "no row for {cause:?}");
    }
}

#[test]
fn extreme_times_do_not_overflow() {
    for (k, v) in [
        ("exp", json!(i64::MIN)),
        ("iat", json!(i64::MAX)),
        ("exp", json!(-1e300)),
    ] {
        let mut c = idjag_claims();
        c[k] = v;
        let r = Row {
            assertion: Some(idjag(c)),
            ..row("extreme", error(400, "invalid_grant"))
        };
        assert_eq!(run(&r).failure.map(|f| f.cause), Some(Cause::IdjagExpired));
    }
}

#[test]
fn clock_skew_is_told_by_the_servers_date() {
    // By authlens's clock the ID-JAG is valid; the server's Date is 10 minutes ahead.
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(from_unix_secs(NOW + 600))).unwrap(),
    );
    let mut facts = ResponseFacts::from_head(StatusCode::BAD_REQUEST, &h, false);
    facts.body = Some(bytes::Bytes::from_static(br#"{"error":"invalid_grant"}"#));
    let r = row("skew", Outcome::Response(facts));
    let f = run(&r).failure.unwrap();
    assert_eq!(
        (f.cause, f.detail),
        (Cause::IdjagExpired, Detail::ClockSkew),
        "{}",
        f.hint
    );
    assert!(f.hint.contains("600s ahead"), "{}", f.hint);
}

#[test]
fn an_accepted_bad_id_jag_is_config_drift() {
    let r = Row {
        assertion: Some(idjag(
            json!({"iss": IDP, "aud": "https://elsewhere/", "exp": NOW + 60, "client_id": CLIENT}),
        )),
        ..row("drift", answer(200, "{}"))
    };
    let c = run(&r);
    assert!(c.failure.is_none());
    assert_eq!(c.findings, [Finding::ConfigDrift]);
    assert!(run(&row("fine", answer(200, "{}"))).findings.is_empty());
}
