//! Runs authlens's token checks beside the upstream round trip, never in front of it: a cache
//! hit answers at once, a miss verifies on a separate task (CONTRACT §1.6).
//!
//! The inspector and its verified-token cache outlive configuration generations; what a token
//! is checked against (`Trust`: one generation's policy and key sets) is passed in per call, and
//! a verification keeps the trust it started with. How the resource-server mode uses it:
//!
//! ```text
//! // per request, before forwarding:
//! let inspection = presented.token().map(|t| inspector.inspect(&generation.trust, t));
//! // ... forward; at the end: try_ready(), else wait() on a spawned task, then classify with
//! // History { kid_first_seen_secs_ago: trust.kid_age_secs(&report), .. }
//! ```
//!
//! `Inspection::wait` resolves as soon as the checks are done. It only waits on the network
//! when the token needs keys authlens does not have (no key set yet, or an unknown `kid`):
//! then at most `key_wait` per on-demand fetch (two at most: the first key set, then a refetch
//! for an unknown `kid`), after which the verdict is
//! `Verdict::Unverified` (or `kid_unknown`). Await it after the response head has gone to the
//! client so no request ever waits on a key fetch.

use crate::base::clock::unix_now;
use crate::cause::{Cause, Detail};
use crate::evidence::token::cache::{self, CacheKey, TokenCache};
use crate::evidence::token::checks;
use crate::evidence::token::decode::{Decoded, begin};
use crate::evidence::token::{Check, Fingerprint, KeySet, Token, TokenReport, Verdict};
use crate::keys::{IssuerKeySets, IssuerKeys, KeyStore, Why};
use crate::policy::{Policy, TokenEndpointPolicy};
use crate::telemetry::events::KeySetEvents;
use crate::telemetry::metrics::Metrics;
use jsonwebtoken::Algorithm;
use std::sync::Arc;
use std::time::Duration;
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

/// What tokens are checked against: one generation's policy and its issuers' key sets.
pub struct Trust {
    pub policy: Arc<Policy>,
    /// In `policy.issuers` order.
    pub keys: IssuerKeySets,
    /// The generation's number; cached verdicts of other generations are not reused.
    pub epoch: u64,
}

impl Trust {
    /// Whether a key set of this issuer is loaded, i.e. whether the key and signature checks
    /// of a report could run.
    pub fn has_keys(&self, issuer: usize) -> bool {
        self.keys.get(issuer).is_some_and(|k| k.current().is_some())
    }

    /// Seconds since authlens first saw this token's `kid` in a key set, for the
    /// `upstream_jwks_stale` rule. `None` for kids that were in the first key set loaded (their
    /// age is unknown) and for tokens of no configured issuer.
    pub fn kid_age_secs(&self, report: &TokenReport) -> Option<u64> {
        let keys = self.keys.get(report.issuer?)?;
        keys.kid_first_seen_secs_ago(report.header.kid.as_deref()?)
    }
}

pub struct Inspector {
    metrics: Arc<Metrics>,
    cache: TokenCache,
    key_wait: Duration,
}

/// What the key step found.
pub enum Keys {
    Verified,
    Failed(Check),
    /// No key set could be had.
    Unavailable,
}

impl Keys {
    /// The signature checked with the keys of `set` that fit the token's `kid` and `alg`;
    /// `None` when none fits (`kid_unknown`, unless a newer set has it).
    pub fn against(set: &KeySet, d: &Decoded<'_>, alg: Algorithm) -> Option<Keys> {
        let candidates = checks::candidates(d.header.kid.as_deref(), alg, &set.keys);
        (!candidates.is_empty()).then(|| {
            checks::signature(d, alg, &candidates).map_or_else(Keys::Failed, |()| Keys::Verified)
        })
    }
}

/// The sidecar's checks in their order (CONTRACT: what explain prints is what the proxy does):
/// decoding, issuer and `alg`, then `key_step` for the issuer's keys (by its index in the policy),
/// then the claims at `now`.
pub async fn run_checks(
    policy: &Policy,
    token: &str,
    fingerprint: Fingerprint,
    now: i64,
    key_step: impl AsyncFnOnce(usize, &Decoded<'_>, Algorithm) -> Keys,
) -> TokenReport {
    let (mut report, d) = match begin(token, fingerprint) {
        Ok(started) => started,
        Err(malformed) => return malformed,
    };
    let verdict = match checks::before_keys(&d, policy) {
        Err(check) => Verdict::Invalid(check),
        Ok((None, _)) => Verdict::Unverified,
        Ok((Some(i), alg)) => {
            report.issuer = Some(i);
            let rest = || checks::after_keys(&d, &policy.issuers[i], policy, now);
            match key_step(i, &d, alg).await {
                Keys::Failed(check) => Verdict::Invalid(check),
                Keys::Verified => rest().map_or_else(Verdict::Invalid, |()| Verdict::Valid),
                Keys::Unavailable => rest().map_or_else(Verdict::Invalid, |()| Verdict::Unverified),
            }
        }
    };
    report.header = d.header;
    report.claims = d.claims;
    report.verdict = verdict;
    report
}

impl Inspector {
    pub fn new(metrics: Arc<Metrics>, opts: InspectorOptions) -> Arc<Self> {
        Arc::new(Inspector {
            metrics,
            cache: TokenCache::new(opts.cache_entries),
            key_wait: opts.key_wait,
        })
    }

    pub fn inspect(self: &Arc<Self>, trust: &Arc<Trust>, token: &Token) -> Inspection {
        let key = cache::key(token.as_str());
        if let Some(report) = self.cache.get(&key, unix_now(), trust.epoch) {
            self.metrics.token_cache_hit.inc();
            return Inspection::Ready(report);
        }
        self.metrics.token_cache_miss.inc();
        let (tx, rx) = oneshot::channel();
        let this = self.clone();
        let trust = trust.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let report = Arc::new(this.verify_keyed(&trust, token.as_str(), key).await);
            let leeway = trust.policy.leeway.as_secs() as i64;
            this.cache
                .insert(key, report.clone(), leeway, unix_now(), trust.epoch);
            let _ = tx.send(report);
        });
        Inspection::Pending(rx)
    }

    /// Runs every check on `token` now, bypassing the cache (for `authlens explain` and tests).
    pub async fn verify(&self, trust: &Trust, token: &str) -> TokenReport {
        self.verify_keyed(trust, token, cache::key(token)).await
    }

    async fn verify_keyed(&self, trust: &Trust, token: &str, key: CacheKey) -> TokenReport {
        let fingerprint = Fingerprint::from_digest(&key);
        run_checks(
            &trust.policy,
            token,
            fingerprint,
            unix_now(),
            async |i, d, alg| match trust.keys.get(i) {
                Some(k) => self.key_step(k, d, alg).await,
                None => Keys::Unavailable,
            },
        )
        .await
    }

    /// Checks a token-endpoint assertion (an ID-JAG, or the ID token of a token exchange)
    /// against the endpoint's trusted issuers: decoding, issuer, `alg`, `kid` and signature.
    /// Its claims (`typ`, `aud`, time, `client_id`) are judged by the classifier from the
    /// report's facts, since which of them matters depends on the request.
    pub async fn verify_assertion(
        &self,
        trust: &Trust,
        endpoint: &TokenEndpointPolicy,
        token: &str,
    ) -> TokenReport {
        let (mut report, d) = match begin(token, Fingerprint::of(token)) {
            Ok(started) => started,
            Err(malformed) => return malformed,
        };
        let trusted = &endpoint.trusted;
        let iss = d.claims.iss.as_deref();
        report.verdict = match trusted.iter().position(|t| Some(t.issuer.as_str()) == iss) {
            None => {
                let near =
                    iss.and_then(|i| trusted.iter().find_map(|t| checks::near_miss(i, &t.issuer)));
                let list: Vec<&str> = trusted.iter().map(|t| t.issuer.as_str()).collect();
                Verdict::Invalid(
                    Check::new(Cause::IssuerMismatch, near.unwrap_or(Detail::Other))
                        .expected(if list.is_empty() {
                            "(no trusted issuers configured)".into()
                        } else {
                            list.join(" or ")
                        })
                        .actual(iss.unwrap_or("(no iss)")),
                )
            }
            Some(i) => {
                report.issuer = Some(i);
                match checks::check_alg(d.header.alg.as_deref(), Some(&trusted[i]), &trust.policy) {
                    Err(check) => Verdict::Invalid(check),
                    Ok(alg) => match trust.keys.get(endpoint.key_offset + i) {
                        Some(keys) => match self.key_step(keys, &d, alg).await {
                            Keys::Verified => Verdict::Valid,
                            Keys::Failed(check) => Verdict::Invalid(check),
                            Keys::Unavailable => Verdict::Unverified,
                        },
                        None => Verdict::Unverified,
                    },
                }
            }
        };
        report.header = d.header;
        report.claims = d.claims;
        report
    }

    /// `kid` and signature, fetching keys on demand (bounded by `key_wait`).
    async fn key_step(&self, keys: &Arc<IssuerKeys>, d: &Decoded<'_>, alg: Algorithm) -> Keys {
        let mut set = match keys.current() {
            Some(s) => s,
            None => match self.fetch_on_demand(keys).await {
                Some(s) => s,
                None => return Keys::Unavailable,
            },
        };
        let mut refetched = false;
        loop {
            if let Some(verdict) = Keys::against(&set, d, alg) {
                return verdict;
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
    async fn fetch_on_demand(&self, keys: &Arc<IssuerKeys>) -> Option<Arc<KeySet>> {
        let k = keys.clone();
        let task = tokio::spawn(async move { k.refresh(Why::OnDemand).await });
        match tokio::time::timeout(self.key_wait, task).await {
            Ok(Ok(set)) => set,
            _ => keys.current(),
        }
    }
}

/// An inspector with its own key sets and one fixed trust, for checking tokens outside the
/// proxy (`authlens explain`, tests). Dropping it stops the key refresh tasks.
pub struct Standalone {
    pub inspector: Arc<Inspector>,
    pub trust: Arc<Trust>,
    _keys: KeyStore,
}

impl Standalone {
    /// Starts the issuers' key refresh tasks; needs a tokio runtime.
    pub fn start(policy: Arc<Policy>, metrics: Arc<Metrics>, opts: InspectorOptions) -> Self {
        metrics.routes(&policy);
        let keys = KeyStore::new(Arc::new(KeySetEvents(metrics.clone())));
        let trust = Arc::new(Trust {
            keys: keys.resolve(&policy),
            policy,
            epoch: 0,
        });
        Standalone {
            inspector: Inspector::new(metrics, opts),
            trust,
            _keys: keys,
        }
    }

    pub fn inspect(&self, token: &Token) -> Inspection {
        self.inspector.inspect(&self.trust, token)
    }

    pub async fn verify(&self, token: &str) -> TokenReport {
        self.inspector.verify(&self.trust, token).await
    }

    pub fn policy(&self) -> &Arc<Policy> {
        &self.trust.policy
    }

    pub fn kid_age_secs(&self, report: &TokenReport) -> Option<u64> {
        self.trust.kid_age_secs(report)
    }
}
