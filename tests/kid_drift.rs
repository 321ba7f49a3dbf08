//! A token signed with a key authlens cannot find (its `kid` is in no key set authlens fetched)
//! that the API nevertheless accepts with 200: the API trusts keys authlens's config does not
//! know, which is the finding `config_drift`.

mod support;
mod token_kit;

use http::Request;
use jsonwebtoken::Algorithm;
use support::upstream::reply;
use support::{Authlens, Upstream, send};
use token_kit::{AUD, Idp, TestKey, claims};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_kid_the_api_accepts_is_config_drift() {
    let published = TestKey::rsa("published", Algorithm::RS256);
    let elsewhere = TestKey::rsa("elsewhere", Algorithm::RS256);
    let idp = Idp::start("/as", &[&published]).await;
    let api = Upstream::start(|_req| async { reply(200, &[], "files") }).await;
    let authlens = Authlens::start(
        &api.url(),
        &format!(
            "auth:\n  issuers:\n    - name: as\n      issuer: {}\n      jwks_uri: {}\n      audiences: [\"{AUD}\"]\n      jwks_min_refetch: 0s\n\
             routes:\n  - name: files\n    path_prefix: /files\n",
            idp.issuer,
            idp.jwks_url()
        ),
    );
    let token = elsewhere.sign(&claims(&idp.issuer));
    let req = Request::get(format!("{}/files/1", authlens.proxy))
        .header("authorization", format!("Bearer {token}"))
        .body(Default::default())
        .unwrap();
    assert_eq!(&send(req).await.body[..], b"files");
    authlens
        .wait_metric(
            "authlens_findings_total{finding=\"config_drift\",route=\"files\"}",
            1.0,
        )
        .await;
    let line = authlens.wait_log(|v| v["finding"] == "config_drift");
    assert_eq!(line["route"], "files");
    assert!(!authlens.raw_output().contains(&token[token.len() - 30..]));
}
