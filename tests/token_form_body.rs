//! A token in a form-encoded body (RFC 6750 §2.2) is seen as the body streams past: alone it is
//! inspected like a header token; beside a header token it is two methods. The body reaches the
//! upstream unchanged.

mod support;
mod token_kit;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use jsonwebtoken::Algorithm;
use std::sync::{Arc, Mutex};
use support::upstream::reply;
use support::{Authlens, Upstream, send};
use token_kit::{AUD, Idp, TestKey, claims, now};

fn series(cause: &str) -> String {
    format!(
        "authlens_failures_total{{category=\"authn\",cause=\"{cause}\",detail=\"\",route=\"unmatched\"}}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_body_tokens_are_inspected_and_counted_with_header_tokens() {
    let key = TestKey::rsa("k1", Algorithm::RS256);
    let idp = Idp::start("", &[&key]).await;
    let bodies = Arc::new(Mutex::new(Vec::<Bytes>::new()));
    let seen = bodies.clone();
    let api = Upstream::start(move |req| {
        let seen = seen.clone();
        async move {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            seen.lock().unwrap().push(body);
            reply(
                401,
                &[("www-authenticate", "Bearer error=\"invalid_token\"")],
                "",
            )
        }
    })
    .await;
    let authlens = Authlens::start(
        &api.url(),
        &format!(
            "auth:\n  issuers:\n    - name: as\n      issuer: {}\n      jwks_uri: {}\n      audiences: [{AUD}]\n",
            idp.issuer,
            idp.jwks_url()
        ),
    );
    let mut expired = claims(&idp.issuer);
    expired["exp"] = (now() - 3600).into();
    let token = key.sign(&expired);
    let post = |body: String, header: Option<&str>| {
        let mut b = Request::post(format!("{}/form", authlens.proxy)).header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        if let Some(h) = header {
            b = b.header("authorization", h);
        }
        b.body(Full::new(Bytes::from(body))).unwrap()
    };

    // Only in the body: inspected, so the verdict is the token's own, not token_missing.
    let form = format!("grant=x&access_token={token}&note=%E2%9C%93");
    assert_eq!(send(post(form.clone(), None)).await.status.as_u16(), 401);
    authlens.wait_metric(&series("token_expired"), 1.0).await;
    assert_eq!(
        bodies.lock().unwrap()[0],
        form.as_bytes(),
        "the body reaches the upstream unchanged"
    );

    // In the body and in the header: two methods.
    let header = format!("Bearer {}", key.sign(&claims(&idp.issuer)));
    send(post(form, Some(&header))).await;
    authlens
        .wait_metric(&series("token_multiple_methods"), 1.0)
        .await;

    // A form without a token is no token.
    send(post("a=1&b=2".into(), None)).await;
    authlens.wait_metric(&series("token_missing"), 1.0).await;

    // A long form: the token in its first KiB is found, the rest streams on untouched.
    let long = format!("access_token={token}&pad={}", "p".repeat(64 * 1024));
    send(post(long.clone(), None)).await;
    authlens.wait_metric(&series("token_expired"), 2.0).await;
    assert_eq!(bodies.lock().unwrap().last().unwrap().len(), long.len());
    assert_eq!(authlens.metric(&series("token_missing")).await, 1.0);
}
