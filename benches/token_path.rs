//! The per-request token path: extract the bearer token, decode it, look it up in the
//! verified-token cache, classify the exchange. Run with `cargo bench --bench token_path`.

use authlens::classify::{Exchange, classify};
use authlens::evidence::token::{Key, TokenReport, checks, decode::decode, extract};
use authlens::facts::{History, Outcome, RequestFacts, ResponseFacts};
use authlens::inspect::{Inspection, InspectorOptions, Standalone};
use authlens::policy::{IssuerPolicy, JwksSource, Policy, RouteId};
use authlens::telemetry::metrics::Metrics;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, encode};
use serde_json::json;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const AUD: &str = "https://api.example.com/";

struct Fixture {
    _rt: tokio::runtime::Runtime,
    inspector: Standalone,
    headers: HeaderMap,
    uri: Uri,
    token: String,
    report: Arc<TokenReport>,
    /// The key as jsonwebtoken holds it (from the JWK), the same key parsed once by aws-lc, and
    /// as authlens's key set holds it.
    jwk_key: DecodingKey,
    parsed_key: aws_lc_rs::signature::ParsedPublicKey,
    key: Key,
}

/// A key server on loopback, an Inspector that trusts it, and one token already verified.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let kp =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("key");
        let enc = EncodingKey::from_rsa_pem(kp.serialize_pem().as_bytes()).expect("pem");
        let mut jwk = Jwk::from_encoding_key(&enc, Algorithm::RS256).expect("jwk");
        jwk.common.key_id = Some("k1".into());
        let jwk_key = DecodingKey::from_jwk(&jwk).expect("decoding key");
        let parsed_key = aws_lc_rs::signature::ParsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            rcgen::PublicKeyData::subject_public_key_info(&kp),
        )
        .expect("parsed key");
        let body = json!({ "keys": [jwk] }).to_string();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        rt.spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |_req| {
                        let b = body.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                                bytes::Bytes::from(b),
                            )))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(s), svc)
                        .await;
                });
            }
        });
        let issuer = format!("http://{addr}");
        let policy = Arc::new(Policy {
            issuers: vec![IssuerPolicy {
                name: "bench".into(),
                issuer: issuer.clone(),
                jwks: JwksSource::Uri(format!("{issuer}/keys").parse().expect("uri")),
                audiences: vec![AUD.into()],
                algorithms: vec![Algorithm::RS256],
                required_claims: vec!["iss".into(), "exp".into(), "aud".into()],
                accepted_types: None,
                client_ids: vec![],
                jwks_ttl: Duration::from_secs(3600),
                jwks_min_refetch: Duration::from_secs(60),
                jwks_timeout: Duration::from_secs(2),
                ca_file: None,
            }],
            ..Policy::empty()
        });
        let metrics = Arc::new(Metrics::new().expect("metrics"));
        let _guard = rt.enter();
        let inspector = Standalone::start(policy, metrics, InspectorOptions::default());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("now")
            .as_secs();
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("k1".into());
        h.typ = Some("at+jwt".into());
        let claims = json!({
            "iss": issuer, "aud": AUD, "exp": now + 3600, "iat": now, "sub": "user-1",
            "client_id": "client-1", "jti": "j1", "scope": "files.read files.write"
        });
        let token = encode(&h, &claims, &enc).expect("sign");
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        let uri: Uri = "/files/1".parse().expect("uri");
        let presented = extract(&headers, &uri);
        let inspection = inspector.inspect(presented.token().expect("token"));
        let report = rt.block_on(inspection.wait()).expect("report");
        assert_eq!(report.verdict, authlens::evidence::token::Verdict::Valid);
        let f = Fixture {
            _rt: rt,
            inspector,
            headers,
            uri,
            token,
            report,
            key: Key::new(Some("k1".into()), None, &jwk_key),
            jwk_key,
            parsed_key,
        };
        // Both signature benchmarks must measure a signature that verifies.
        assert!(verify_with_jwk_key(&f) && verify_with_parsed_key(&f));
        f
    })
}

fn request(f: &Fixture) -> RequestFacts {
    RequestFacts::offline(f.uri.clone(), &f.headers, RouteId(0))
}

fn classify_once(f: &Fixture, req: &RequestFacts, report: &TokenReport, outcome: &Outcome) -> bool {
    let c = classify(&Exchange {
        request: req,
        token: Some(report),
        outcome,
        policy: f.inspector.policy(),
        history: History::default(),
        now: SystemTime::now(),
    });
    c.failure.is_some()
}

#[divan::bench]
fn extract_bearer() -> bool {
    let f = fixture();
    matches!(
        extract(&f.headers, &f.uri),
        authlens::evidence::token::Presented::Bearer(_)
    )
}

#[divan::bench]
fn decode_jwt() -> usize {
    let f = fixture();
    decode(divan::black_box(&f.token)).map_or(0, |d| d.claims.aud.len())
}

#[divan::bench]
fn cache_hit() -> bool {
    let f = fixture();
    let presented = extract(&f.headers, &f.uri);
    let mut i = f.inspector.inspect(presented.token().expect("token"));
    matches!(i, Inspection::Ready(_)) && i.try_ready().is_some()
}

#[divan::bench(args = [200, 401])]
fn classify_exchange(bencher: divan::Bencher<'_, '_>, status: u16) {
    let f = fixture();
    let mut h = HeaderMap::new();
    h.insert(
        "www-authenticate",
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    let status = StatusCode::from_u16(status).expect("status");
    let outcome = Outcome::Response(ResponseFacts::from_head(status, &h, false));
    bencher
        .with_inputs(|| request(f))
        .bench_refs(|req| classify_once(f, req, &f.report, &outcome));
}

/// The whole token path of one request whose token is in the cache and whose answer is 2xx
/// (building the rest of the request facts is the proxy's cost, not measured here).
#[divan::bench]
fn extract_decode_cache_hit_classify(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let outcome = Outcome::Response(ResponseFacts::from_head(
        StatusCode::OK,
        &HeaderMap::new(),
        false,
    ));
    bencher.with_inputs(|| request(f)).bench_refs(|req| {
        req.credentials = extract(&f.headers, &f.uri);
        let Some(token) = req.credentials.token() else {
            return false;
        };
        let decoded = decode(token.as_str()).is_ok();
        let mut inspection = f.inspector.inspect(token);
        let Some(report) = inspection.try_ready() else {
            return false;
        };
        decoded && !classify_once(f, req, &report, &outcome)
    });
}

/// A whole miss: every check of the token, its signature included, as the verifying task runs
/// them (the cache bypassed; the key set is loaded, so nothing waits).
#[divan::bench]
fn verify_miss() -> bool {
    let f = fixture();
    let mut fut = std::pin::pin!(f.inspector.verify(divan::black_box(&f.token)));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r.verdict == authlens::evidence::token::Verdict::Valid,
        std::task::Poll::Pending => false,
    }
}

/// The signing input and signature of the fixture's token.
fn signed(f: &Fixture) -> (&str, &str) {
    f.token.rsplit_once('.').expect("three parts")
}

/// RS256 as a miss verified before key sets kept parsed keys: jsonwebtoken with a key built from
/// the JWK's n and e, which aws-lc turns into a key object on every call.
#[divan::bench]
fn rs256_verify_jwk_key() -> bool {
    verify_with_jwk_key(fixture())
}

fn verify_with_jwk_key(f: &Fixture) -> bool {
    let (input, sig) = signed(f);
    jsonwebtoken::crypto::verify(sig, input.as_bytes(), &f.jwk_key, Algorithm::RS256)
        .unwrap_or(false)
}

/// The same verification with the key parsed once, aws-lc alone: the floor.
#[divan::bench]
fn rs256_verify_parsed_key() -> bool {
    verify_with_parsed_key(fixture())
}

fn verify_with_parsed_key(f: &Fixture) -> bool {
    use base64::Engine;
    let (input, sig) = signed(f);
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .unwrap_or_default();
    f.parsed_key.verify_sig(input.as_bytes(), &sig).is_ok()
}

/// The signature step of a miss as it runs now: `checks::signature` with the key set's key
/// (parsed when the set was loaded) and the token's signature decoded once.
#[divan::bench]
fn rs256_signature_check(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    bencher
        .with_inputs(|| decode(&f.token).expect("decoded"))
        .bench_refs(|d| checks::signature(d, Algorithm::RS256, &[&f.key]).is_ok());
}

fn main() {
    divan::main();
}
