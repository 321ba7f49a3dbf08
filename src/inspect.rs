//! Runs authlens's token checks beside the upstream round trip, never in front of it: a cache
//! hit answers at once, a miss verifies on a separate task (CONTRACT §1.6).
//!
//! How the proxy uses it (inside a tokio runtime):
//!
//! ```text
//! let inspector = Inspector::start(policy.clone(), metrics.clone(), InspectorOptions {
//!     cache_entries: settings.token_cache_entries, ..Default::default() });
//! // per request, before forwarding:
//! let inspection = presented.token().map(|t| inspector.inspect(t));
//! // ... forward; at the end: try_ready(), else wait() on a spawned task, then classify with
//! // History { kid_first_seen_secs_ago: inspector.kid_age_secs(&report), .. }
//! ```
//!
//! `Inspection::wait` resolves as soon as the checks are done. It only waits on the network
//! when the token needs keys authlens does not have (no key set yet, or an unknown `kid`):
//! then at most `key_wait` per on-demand fetch (two at most: the first key set, then a refetch
//! for an unknown `kid`), after which the verdict is
//! `Verdict::Unverified` (or `kid_unknown`). Await it after the response head has gone to the
//! client so no request ever waits on a key fetch. Dropping the `Inspector` stops its key
//! refresh tasks; a config reload builds a new one.

use crate::cause::Cause;
use crate::jwks::{IssuerKeys, Jwks, Why};
use crate::metrics::Metrics;
use crate::policy::Policy;
use crate::token::cache::{self, CacheKey, TokenCache};
use crate::token::checks;
use crate::token::decode::{Decoded, decode};
use crate::token::{Check, Fingerprint, Token, TokenReport, Verdict};
use jsonwebtoken::Algorithm;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::oneshot;

/// A token report now, or one that is being computed.
pub enum Inspection {
    Ready(Arc<TokenReport>),
    Pending(oneshot::Receiver<Arc<TokenReport>>),
}

impl Inspection {
    /// The report if it is already there, without waiting.
    pub fn try_ready(&mut self) -> Option<Arc<TokenReport>> {
        match self {
            Inspection::Ready(r) => Some(r.clone()),
            Inspection::Pending(rx) => rx.try_recv().ok(),
        }
    }

    /// Waits for the report; `None` if the verifying task failed (authlens fails open).
    pub async fn wait(self) -> Option<Arc<TokenReport>> {
        match self {
            Inspection::Ready(r) => Some(r),
            Inspection::Pending(rx) => rx.await.ok(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct InspectorOptions {
    /// Bound of the verified-token cache (`auth.token_cache_entries`).
    pub cache_entries: usize,
    /// The longest a verification waits for an on-demand key fetch.
    pub key_wait: Duration,
}

impl Default for InspectorOptions {
    fn default() -> Self {
        InspectorOptions {
            cache_entries: 10_000,
            key_wait: Duration::from_secs(2),
        }
    }
}

pub struct Inspector {
    policy: Arc<Policy>,
    metrics: Arc<Metrics>,
    jwks: Jwks,
    cache: TokenCache,
    key_wait: Duration,
}

/// What the key step found.
enum Keys {
    Verified,
    Failed(Check),
    /// No key set could be had.
    Unavailable,
}

impl Inspector {
    /// Starts the key refresh tasks of every configured issuer; needs a tokio runtime.
    pub fn start(policy: Arc<Policy>, metrics: Arc<Metrics>, opts: InspectorOptions) -> Arc<Self> {
        let jwks = Jwks::start(&policy, &metrics);
        Arc::new(Inspector {
            policy,
            metrics,
            jwks,
            cache: TokenCache::new(opts.cache_entries),
            key_wait: opts.key_wait,
        })
    }

    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    pub fn inspect(self: &Arc<Self>, token: &Token) -> Inspection {
        let key = cache::key(token.as_str());
        if let Some(report) = self.cache.get(&key, unix_now()) {
            self.metrics.token_cache_hit.inc();
            return Inspection::Ready(report);
        }
        self.metrics.token_cache_miss.inc();
        let (tx, rx) = oneshot::channel();
        let this = self.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let report = Arc::new(this.verify_keyed(token.as_str(), key).await);
            let leeway = this.policy.leeway.as_secs() as i64;
            this.cache.insert(key, report.clone(), leeway, unix_now());
            let _ = tx.send(report);
        });
        Inspection::Pending(rx)
    }

    /// Runs every check on `token` now, bypassing the cache (for `authlens explain` and tests).
    pub async fn verify(&self, token: &str) -> TokenReport {
        self.verify_keyed(token, cache::key(token)).await
    }

    async fn verify_keyed(&self, token: &str, key: CacheKey) -> TokenReport {
        let mut report = TokenReport {
            fingerprint: Fingerprint::from_digest(&key),
            header: Default::default(),
            claims: Default::default(),
            issuer: None,
            verdict: Verdict::Unverified,
        };
        let d = match decode(token) {
            Ok(d) => d,
            Err(detail) => {
                report.verdict = Verdict::Invalid(Check::new(Cause::TokenMalformed, detail));
                return report;
            }
        };
        let policy = &self.policy;
        let verdict = match checks::before_keys(&d, policy) {
            Err(check) => Verdict::Invalid(check),
            Ok((None, _)) => Verdict::Unverified,
            Ok((Some(i), alg)) => {
                report.issuer = Some(i);
                let is = &policy.issuers[i];
                let keys = match self.jwks.issuer(i) {
                    Some(k) => self.key_step(k, &d, alg).await,
                    None => Keys::Unavailable,
                };
                let rest = || checks::after_keys(&d, is, policy, unix_now());
                match keys {
                    Keys::Failed(check) => Verdict::Invalid(check),
                    Keys::Verified => rest().map_or_else(Verdict::Invalid, |()| Verdict::Valid),
                    Keys::Unavailable => {
                        rest().map_or_else(Verdict::Invalid, |()| Verdict::Unverified)
                    }
                }
            }
        };
        report.header = d.header;
        report.claims = d.claims;
        report.verdict = verdict;
        report
    }

    /// `kid` and signature, fetching keys on demand (bounded by `key_wait`).
    async fn key_step(&self, keys: &Arc<IssuerKeys>, d: &Decoded<'_>, alg: Algorithm) -> Keys {
        let kid = d.header.kid.as_deref();
        let mut set = match keys.current() {
            Some(s) => s,
            None => match self.fetch_on_demand(keys).await {
                Some(s) => s,
                None => return Keys::Unavailable,
            },
        };
        let mut refetched = false;
        loop {
            let candidates = checks::candidates(kid, alg, &set.keys);
            if !candidates.is_empty() {
                return match checks::signature(d, alg, &candidates) {
                    Ok(()) => Keys::Verified,
                    Err(check) => Keys::Failed(check),
                };
            }
            if refetched {
                return Keys::Failed(checks::kid_unknown(d, &set.kids()));
            }
            refetched = true;
            if let Some(newer) = self.fetch_on_demand(keys).await {
                set = newer;
            }
        }
    }

    /// An on-demand fetch on its own task, so giving up waiting does not cancel it.
    async fn fetch_on_demand(&self, keys: &Arc<IssuerKeys>) -> Option<Arc<crate::jwks::KeySet>> {
        let k = keys.clone();
        let task = tokio::spawn(async move { k.refresh(Why::OnDemand).await });
        match tokio::time::timeout(self.key_wait, task).await {
            Ok(Ok(set)) => set,
            _ => keys.current(),
        }
    }

    /// Whether a key set of this issuer is loaded, i.e. whether the key and signature checks
    /// of a report could run.
    pub fn has_keys(&self, issuer: usize) -> bool {
        self.jwks
            .issuer(issuer)
            .is_some_and(|k| k.current().is_some())
    }

    /// Seconds since authlens first saw this token's `kid` in a key set, for the
    /// `upstream_jwks_stale` rule. `None` for kids that were in the first key set loaded (their
    /// age is unknown) and for tokens of no configured issuer.
    pub fn kid_age_secs(&self, report: &TokenReport) -> Option<u64> {
        let keys = self.jwks.issuer(report.issuer?)?;
        keys.kid_first_seen_secs_ago(report.header.kid.as_deref()?)
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
