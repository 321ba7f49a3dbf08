//! Finding an issuer's `jwks_uri` from its metadata: RFC 8414 first, with
//! `/.well-known/oauth-authorization-server` inserted between the host and the issuer's path,
//! then OpenID Connect discovery (`/.well-known/openid-configuration` appended). The
//! document's `issuer` must equal the configured one exactly (RFC 8414 §3.3).

use super::client::{FetchError, HttpClient};
use http::Uri;
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize)]
struct Metadata {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

/// The metadata URLs to try, in order.
pub fn metadata_urls(issuer: &str) -> Vec<String> {
    let trimmed = issuer.trim_end_matches('/');
    let mut out = Vec::with_capacity(2);
    let uri = issuer.parse::<Uri>().ok();
    if let Some((scheme, authority, uri)) = uri
        .as_ref()
        .and_then(|u| Some((u.scheme_str()?, u.authority()?, u)))
    {
        let path = uri.path().trim_end_matches('/');
        out.push(format!(
            "{scheme}://{authority}/.well-known/oauth-authorization-server{path}"
        ));
    }
    out.push(format!("{trimmed}/.well-known/openid-configuration"));
    out
}

/// Discovers the `jwks_uri`; the error is the last document's problem, naming each URL tried.
pub async fn jwks_uri(
    client: &HttpClient,
    issuer: &str,
    timeout: Duration,
) -> Result<Uri, FetchError> {
    let mut last = None;
    for url in metadata_urls(issuer) {
        let Ok(uri) = url.parse::<Uri>() else {
            continue;
        };
        match from_document(client, &uri, issuer, timeout).await {
            Ok(jwks) => return Ok(jwks),
            Err(e) => {
                tracing::debug!(url = %uri, error = %e, "metadata document not usable");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| FetchError::Invalid {
        url: issuer.to_string(),
        reason: "the issuer is not a URL metadata can be discovered from".into(),
    }))
}

async fn from_document(
    client: &HttpClient,
    url: &Uri,
    issuer: &str,
    timeout: Duration,
) -> Result<Uri, FetchError> {
    let fetched = client.get(url, timeout).await?;
    let meta: Metadata = serde_json::from_slice(&fetched.body)
        .map_err(|e| FetchError::invalid(url, format!("not a metadata document: {e}")))?;
    match meta.issuer.as_deref() {
        Some(i) if i == issuer => {}
        Some(i) => {
            return Err(FetchError::invalid(
                url,
                format!("metadata issuer is {i} but the configured issuer is {issuer}"),
            ));
        }
        None => return Err(FetchError::invalid(url, "metadata has no issuer")),
    }
    let jwks = meta
        .jwks_uri
        .ok_or_else(|| FetchError::invalid(url, "metadata has no jwks_uri"))?;
    jwks.parse::<Uri>()
        .ok()
        .filter(|u| u.scheme().is_some() && u.authority().is_some())
        .ok_or_else(|| FetchError::invalid(url, format!("jwks_uri {jwks} is not an absolute URL")))
}

#[cfg(test)]
mod tests {
    use super::metadata_urls;

    #[test]
    fn rfc8414_inserts_before_the_path_and_oidc_appends() {
        assert_eq!(
            metadata_urls("https://as.example.com/tenant/a"),
            [
                "https://as.example.com/.well-known/oauth-authorization-server/tenant/a",
                "https://as.example.com/tenant/a/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("https://as.example.com/"),
            [
                "https://as.example.com/.well-known/oauth-authorization-server",
                "https://as.example.com/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("http://127.0.0.1:8080"),
            [
                "http://127.0.0.1:8080/.well-known/oauth-authorization-server",
                "http://127.0.0.1:8080/.well-known/openid-configuration",
            ]
        );
    }
}
