//! The token-endpoint tour: one token request per seed mistake at Step 2 (the IdP's token
//! exchange) and Step 3 (the JWT-bearer grant at the resource's authorization server).

use super::scenarios::{Scenario, Tokens};
use super::servers::AUDIENCE;
use super::token_servers::{CLIENT_SECRET, ID_JAG_TYPE, IDP_CLIENT, RESOURCE_AS, RESOURCE_CLIENT};
use serde_json::{Value, json};

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";

type Pairs<'a> = Vec<(&'a str, &'a str)>;

use crate::evidence::token_request::encode as form;

fn post(name: &'static str, path: &'static str, body: String, expect: &'static str) -> Scenario {
    Scenario {
        name,
        method: "POST",
        path,
        headers: vec![("content-type", "application/x-www-form-urlencoded".into())],
        body: Some(body),
        expect,
    }
}

pub fn all(t: &Tokens<'_>) -> Vec<Scenario> {
    let id_token = t.published.sign(
        "JWT",
        &json!({"iss": t.issuer, "aud": IDP_CLIENT, "sub": "demo-user", "nonce": "n",
                "iat": t.now, "exp": t.now + 600}),
    );
    let exchange = |change: &dyn Fn(&mut Pairs<'_>)| {
        let mut p = vec![
            ("grant_type", TOKEN_EXCHANGE),
            ("client_id", IDP_CLIENT),
            ("client_secret", CLIENT_SECRET),
            ("subject_token", id_token.as_str()),
            ("subject_token_type", ID_TOKEN_TYPE),
            ("requested_token_type", ID_JAG_TYPE),
            ("audience", RESOURCE_AS),
            ("resource", AUDIENCE),
        ];
        change(&mut p);
        form(&p)
    };
    let jag_claims = json!({"iss": t.issuer, "aud": RESOURCE_AS, "sub": "demo-user",
        "client_id": RESOURCE_CLIENT, "jti": format!("tour-{}", t.now), "iat": t.now,
        "exp": t.now + 300, "scope": "files.read"});
    let jag = |change: &dyn Fn(&mut Value)| {
        let mut c = jag_claims.clone();
        change(&mut c);
        t.published.sign("oauth-id-jag+jwt", &c)
    };
    let good = jag(&|_| {});
    let grant = |assertion: &str, client: &str, scope: &str| {
        form(&[
            ("grant_type", JWT_BEARER),
            ("assertion", assertion),
            ("client_id", client),
            ("client_secret", CLIENT_SECRET),
            ("scope", scope),
        ])
    };
    let set = |name: &'static str, value: &'static str| {
        move |p: &mut Vec<(&str, &str)>| {
            for (k, v) in p.iter_mut() {
                if *k == name {
                    *v = value;
                }
            }
        }
    };
    let (idp, asv) = ("/idp/token", "/oauth2/token");
    vec![
        post("Step 2: a token exchange", idp, exchange(&|_| {}), "ok"),
        post(
            "Step 2: requested_token_type id_jag",
            idp,
            exchange(&set(
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:id_jag",
            )),
            "te_unsupported_grant_type/requested_token_type",
        ),
        post(
            "Step 2: resource without its trailing slash",
            idp,
            exchange(&set("resource", "https://api.demo.local")),
            "te_invalid_target/trailing_slash",
        ),
        post(
            "Step 2: no audience",
            idp,
            exchange(&|p| p.retain(|(k, _)| *k != "audience")),
            "te_missing_parameter/audience",
        ),
        post(
            "Step 3: a JWT-bearer grant",
            asv,
            grant(&good, RESOURCE_CLIENT, "files.read"),
            "ok",
        ),
        post(
            "Step 3: the same ID-JAG again",
            asv,
            grant(&good, RESOURCE_CLIENT, "files.read"),
            "idjag_replayed/",
        ),
        post(
            "Step 3: the IdP client's credentials",
            asv,
            grant(
                &jag(&|c| c["jti"] = "tour-pair".into()),
                IDP_CLIENT,
                "files.read",
            ),
            "te_invalid_client_wrong_pair/",
        ),
        post(
            "Step 3: ID-JAG aud lacks the trailing slash",
            asv,
            grant(
                &jag(&|c| c["aud"] = "https://auth.demo.local".into()),
                RESOURCE_CLIENT,
                "files.read",
            ),
            "idjag_audience_mismatch/trailing_slash",
        ),
        post(
            "Step 3: the ID token as the assertion",
            asv,
            grant(&id_token, RESOURCE_CLIENT, "files.read"),
            "idjag_typ_invalid/",
        ),
        post(
            "Step 3: an ID-JAG older than 5 minutes",
            asv,
            grant(
                &jag(&|c| {
                    c["iat"] = (t.now - 900).into();
                    c["exp"] = (t.now - 600).into();
                }),
                RESOURCE_CLIENT,
                "files.read",
            ),
            "idjag_expired/expired",
        ),
        post(
            "Step 3: scopes beyond the ID-JAG's",
            asv,
            grant(
                &jag(&|c| c["jti"] = "tour-scope".into()),
                RESOURCE_CLIENT,
                "files.read files.write",
            ),
            "te_invalid_scope/not_in_assertion",
        ),
    ]
}
