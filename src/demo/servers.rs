//! The demo's authorization server (discovery + JWKS) and its API, a resource server that
//! validates tokens the way common JWT middlewares do and answers in their words. The API's
//! host also serves the demo token endpoints (`token_servers`).

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub const AUDIENCE: &str = "https://api.demo.local/";
pub const APP_ORIGIN: &str = "https://app.demo.local";

pub type Reply = Response<Full<Bytes>>;

/// Serves `answer` on `listener` until the returned task is aborted.
pub fn serve<F, Fut>(listener: TcpListener, answer: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        // Connections live in this set, so aborting the server closes them too: the demo's
        // "API is down" step must not be answered over a pooled keep-alive connection.
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let answer = answer.clone();
            connections.spawn(async move {
                let service = service_fn(move |req| {
                    let fut = answer(req);
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
            while connections.try_join_next().is_some() {}
        }
    })
}

fn reply(status: StatusCode, headers: &[(&'static str, String)], body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    for (k, v) in headers {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            r.headers_mut().append(*k, v);
        }
    }
    r
}

/// RFC 8414 metadata and the key set.
pub fn authorization_server(
    issuer: String,
    jwks: Arc<JwkSet>,
) -> impl Fn(Request<Incoming>) -> std::future::Ready<Reply> {
    move |req| {
        let json = [("content-type", "application/json".to_string())];
        std::future::ready(match req.uri().path() {
            "/.well-known/oauth-authorization-server" => reply(
                StatusCode::OK,
                &json,
                serde_json::json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks"), "token_endpoint": format!("{issuer}/token")})
                    .to_string(),
            ),
            "/jwks" => reply(StatusCode::OK, &json, serde_json::to_string(&*jwks).unwrap_or_default()),
            _ => reply(StatusCode::NOT_FOUND, &[], "not found"),
        })
    }
}

/// The demo API. `/files` needs `files.read`; `/public` forgot its auth middleware; `/admin`
/// authenticates preflights too (a classic CORS mistake) and denies everyone by role; `/slow`
/// hangs; `/boom` fails.
pub fn api(
    issuer: String,
    jwks: Arc<JwkSet>,
) -> impl Fn(Request<Incoming>) -> std::pin::Pin<Box<dyn Future<Output = Reply> + Send>> {
    move |req| {
        let (issuer, jwks) = (issuer.clone(), jwks.clone());
        Box::pin(async move { answer(&issuer, &jwks, req).await })
    }
}

async fn answer(issuer: &str, jwks: &JwkSet, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_string();
    let cors = |status| {
        reply(
            status,
            &[
                ("access-control-allow-origin", APP_ORIGIN.into()),
                ("access-control-allow-methods", "GET, POST".into()),
                (
                    "access-control-allow-headers",
                    "authorization, content-type".into(),
                ),
                ("vary", "origin".into()),
            ],
            "",
        )
    };
    match (req.method(), path.as_str()) {
        (_, "/health") => return reply(StatusCode::OK, &[], "ok"),
        (_, "/public") => return reply(StatusCode::OK, &[], "{\"public\":true}"),
        (_, "/slow") => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            return reply(StatusCode::OK, &[], "late");
        }
        (_, "/boom") => {
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                &[],
                "{\"error\":\"database unavailable\"}",
            );
        }
        (&Method::OPTIONS, "/files") => return cors(StatusCode::NO_CONTENT),
        _ => {}
    }
    let challenge = |error: &str, description: &str| {
        let value = if error.is_empty() {
            "Bearer realm=\"demo\"".to_string()
        } else {
            format!("Bearer realm=\"demo\", error=\"{error}\", error_description=\"{description}\"")
        };
        reply(
            StatusCode::UNAUTHORIZED,
            &[("www-authenticate", value)],
            "Unauthorized",
        )
    };
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(token) = auth.strip_prefix("Bearer ") else {
        return challenge("", "");
    };
    if let Err(description) = validate(issuer, jwks, token) {
        return challenge("invalid_token", description);
    }
    if path == "/admin" {
        return reply(
            StatusCode::FORBIDDEN,
            &[],
            "{\"error\":\"forbidden\",\"message\":\"admin role required\"}",
        );
    }
    let scopes = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(token)
        .ok()
        .and_then(|d| d.claims["scope"].as_str().map(str::to_string))
        .unwrap_or_default();
    if path.starts_with("/files") && !scopes.split(' ').any(|s| s == "files.read") {
        let value =
            "Bearer realm=\"demo\", error=\"insufficient_scope\", scope=\"files.read\"".to_string();
        return reply(
            StatusCode::FORBIDDEN,
            &[("www-authenticate", value)],
            "Forbidden",
        );
    }
    let mut ok = cors(StatusCode::OK);
    *ok.body_mut() = Full::new(Bytes::from_static(b"{\"files\":[\"a.txt\",\"b.txt\"]}"));
    ok
}

/// Like express-oauth2-jwt-bearer: exact iss and aud, RS256 only, no leeway.
fn validate(issuer: &str, jwks: &JwkSet, token: &str) -> Result<(), &'static str> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| "Invalid Compact JWS")?;
    if header.alg != Algorithm::RS256 {
        return Err("alg not allowed");
    }
    let jwk = header
        .kid
        .as_deref()
        .and_then(|k| jwks.find(k))
        .ok_or("no applicable key found in the JSON Web Key Set")?;
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|_| "no applicable key found in the JSON Web Key Set")?;
    let mut v = Validation::new(Algorithm::RS256);
    v.leeway = 0;
    v.set_issuer(&[issuer]);
    v.set_audience(&[AUDIENCE]);
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &v)
        .map(|_| ())
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::ExpiredSignature => "\"exp\" claim timestamp check failed",
                K::ImmatureSignature => "\"nbf\" claim timestamp check failed",
                K::InvalidAudience => "unexpected \"aud\" claim value",
                K::InvalidIssuer => "unexpected \"iss\" claim value",
                K::InvalidSignature => "signature verification failed",
                _ => "Invalid Compact JWS",
            }
        })
}
