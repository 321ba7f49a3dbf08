//! `authlens explain`: decode one token, run every check against the config (or a key set
//! given with `--jwks`), and say which passed, which failed, the cause authlens would give and
//! its hint. The checks are the sidecar's own, walked in `checks::ORDER`.

mod human;
mod model;
mod render;
mod token_endpoint;

pub use human::{human_duration, time_phrase};
pub use model::{Report, StepResult};
pub use render::text;
pub use token_endpoint::EndpointCheck;

use crate::evidence::token::KeySet;
use crate::evidence::token::checks;
use crate::evidence::token::decode::decode;
use crate::evidence::token::{Fingerprint, TokenReport};
use crate::inspect::{InspectorOptions, Keys, Standalone, run_checks};
use crate::keys::{FetchError, HttpClient};
use crate::policy::{IssuerPolicy, JwksSource, Policy};
use crate::telemetry::metrics::Metrics;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where `--jwks` reads the key set from.
#[derive(Clone, Debug)]
pub enum KeySource {
    File(PathBuf),
    Url(String),
}

impl KeySource {
    /// `http://…` and `https://…` are URLs; anything else is a file.
    pub fn parse(arg: &str) -> KeySource {
        if arg.starts_with("https://") || arg.starts_with("http://") {
            KeySource::Url(arg.to_string())
        } else {
            KeySource::File(PathBuf::from(arg))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("reading the key set {path}: {source}")]
    ReadKeys {
        path: String,
        source: std::io::Error,
    },
    #[error("`{0}` is not a URL")]
    BadUrl(String),
    #[error("fetching the key set: {0}")]
    FetchKeys(#[from] FetchError),
    #[error("TLS roots: {0}")]
    Ca(#[from] crate::base::tls::CaError),
    #[error("the key set {from}: {reason}")]
    ParseKeys { from: String, reason: String },
}

/// What the checks ran against, for the report.
pub(crate) struct Context<'a> {
    pub policy: &'a Policy,
    /// A config was given (else the issuer, typ, audience and claim checks had nothing to
    /// compare with).
    pub configured: bool,
    /// Where the keys came from, when the key checks could run.
    pub keys: Option<String>,
    pub now: i64,
}

/// Explains `token` against `policy` (`None`: no config given) and, with `keys`, that key set
/// instead of the issuer's.
pub async fn explain(
    policy: Option<Policy>,
    token: &str,
    keys: Option<KeySource>,
) -> Result<Report, ExplainError> {
    let token = token.trim();
    let configured = policy.is_some();
    let mut policy = policy.unwrap_or_else(Policy::empty);
    let now = crate::base::clock::unix_now();
    let keys = match keys {
        Some(source) => Some(load_keys(&source).await?),
        None => None,
    };
    if keys.is_some() && !configured {
        trust_the_tokens_issuer(&mut policy, token);
    }
    let policy = Arc::new(policy);
    let (report, keys, endpoint) = match keys {
        Some((set, from)) => (
            verify_with(&policy, token, &set, now).await,
            Some(from),
            None,
        ),
        None => {
            let metrics = Arc::new(Metrics::new()?);
            let inspector = Standalone::start(policy.clone(), metrics, InspectorOptions::default());
            let report = inspector.verify(token).await;
            let keys = report
                .issuer
                .filter(|i| inspector.trust.has_keys(*i))
                .map(|i| format!("the key set of issuer {}", policy.issuers[i].name));
            let endpoint = token_endpoint::check(&inspector, &policy, token, &report).await;
            (report, keys, endpoint)
        }
    };
    let cx = Context {
        policy: &policy,
        configured,
        keys,
        now,
    };
    let mut explained = model::build(&cx, &report, token);
    explained.token_endpoint = endpoint;
    Ok(explained)
}

/// Without a config, `--jwks` checks the signature of whatever issuer the token names: one
/// issuer that accepts any audience, any asymmetric algorithm and no particular claims.
fn trust_the_tokens_issuer(policy: &mut Policy, token: &str) {
    let iss = decode(token)
        .ok()
        .and_then(|d| d.claims.iss)
        .unwrap_or_default();
    policy.issuers.push(IssuerPolicy {
        name: "jwks".into(),
        issuer: iss,
        jwks: JwksSource::Discover,
        audiences: Vec::new(),
        algorithms: Vec::new(),
        required_claims: Vec::new(),
        accepted_types: None,
        client_ids: Vec::new(),
        jwks_ttl: Duration::from_secs(300),
        jwks_min_refetch: Duration::from_secs(30),
        jwks_timeout: Duration::from_secs(5),
        ca_file: None,
    });
}

async fn load_keys(source: &KeySource) -> Result<(KeySet, String), ExplainError> {
    let (body, from) = match source {
        KeySource::File(path) => {
            let body = std::fs::read(path).map_err(|source| ExplainError::ReadKeys {
                path: path.display().to_string(),
                source,
            })?;
            (body, format!("--jwks {}", path.display()))
        }
        KeySource::Url(url) => {
            let uri: http::Uri = url.parse().map_err(|_| ExplainError::BadUrl(url.clone()))?;
            let client = HttpClient::new(None)?;
            let fetched = client.get(&uri, Duration::from_secs(10)).await?;
            (fetched.body.to_vec(), format!("--jwks {url}"))
        }
    };
    let set = KeySet::parse(&body, None, tokio::time::Instant::now()).map_err(|reason| {
        ExplainError::ParseKeys {
            from: from.clone(),
            reason,
        }
    })?;
    let n = set.keys.len();
    Ok((
        set,
        format!("{from} ({n} key{})", if n == 1 { "" } else { "s" }),
    ))
}

/// The sidecar's checks in its order, with `set` as the issuer's keys.
async fn verify_with(policy: &Policy, token: &str, set: &KeySet, now: i64) -> TokenReport {
    let fingerprint = Fingerprint::of(token);
    run_checks(policy, token, fingerprint, now, async |_, d, alg| {
        Keys::against(set, d, alg)
            .unwrap_or_else(|| Keys::Failed(checks::kid_unknown(d, &set.kids())))
    })
    .await
}
