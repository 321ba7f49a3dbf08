//! Key sets of the trusted issuers. Each is fetched in the background and published through
//! arc-swap, so verification does one atomic load and never waits on a lock; a token with an
//! unknown `kid` triggers at most one refetch per `jwks_min_refetch`; a failed refresh keeps
//! serving the last good set (stale) and is counted and logged.

mod client;
mod discovery;
mod store;

pub use client::{FetchError, HttpClient, max_age};
pub use discovery::metadata_urls;
pub use store::{IssuerKeySets, KeyStore};

use crate::evidence::token::KeySet;
use crate::policy::{IssuerPolicy, JwksSource};
use arc_swap::ArcSwapOption;
use http::Uri;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// The shortest pause between two scheduled fetches, whatever the server's `max-age` says.
const MIN_PERIOD: Duration = Duration::from_secs(1);

/// How a key-set fetch ended: the `result` label of `authlens_jwks_fetches_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchResult {
    Ok,
    HttpError,
    NetworkError,
    Invalid,
}

impl FetchResult {
    pub const ALL: &'static [FetchResult] = &[
        FetchResult::Ok,
        FetchResult::HttpError,
        FetchResult::NetworkError,
        FetchResult::Invalid,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FetchResult::Ok => "ok",
            FetchResult::HttpError => "http_error",
            FetchResult::NetworkError => "network_error",
            FetchResult::Invalid => "invalid",
        }
    }
}

/// Where fetches are reported. Telemetry implements it, so this module needs nothing above it.
pub trait FetchReporter: Send + Sync + 'static {
    /// `Ok(keys)` with the number of usable keys, or why the fetch failed.
    fn fetched(&self, issuer: &str, outcome: Result<usize, &FetchError>);
}

/// What decides how an issuer's keys are fetched. A reload that leaves it unchanged keeps the
/// key set and its refresh task.
#[derive(Clone, Debug, PartialEq)]
struct KeySettings {
    name: String,
    issuer: String,
    source: JwksSource,
    ttl: Duration,
    min_refetch: Duration,
    timeout: Duration,
    ca_file: Option<PathBuf>,
}

impl KeySettings {
    fn of(is: &IssuerPolicy) -> Self {
        KeySettings {
            name: is.name.clone(),
            issuer: is.issuer.clone(),
            source: is.jwks.clone(),
            ttl: is.jwks_ttl,
            min_refetch: is.jwks_min_refetch,
            timeout: is.jwks_timeout,
            ca_file: is.ca_file.clone(),
        }
    }
}

/// Why a fetch is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// The refresh timer fired: always fetch.
    Scheduled,
    /// A token needs a key the current set lacks (or there is no set): fetch unless another
    /// on-demand fetch was tried within `jwks_min_refetch` (scheduled ones do not count: a key
    /// may have been published since).
    OnDemand,
}

/// One issuer's key set and the machinery that keeps it fresh.
pub struct IssuerKeys {
    settings: KeySettings,
    client: HttpClient,
    reporter: Arc<dyn FetchReporter>,
    current: ArcSwapOption<KeySet>,
    /// Bumped after every attempt, so a queued caller can tell one finished meanwhile.
    attempts: AtomicU64,
    fetch: tokio::sync::Mutex<FetchState>,
}

#[derive(Default)]
struct FetchState {
    last_on_demand: Option<Instant>,
    discovered: Option<Uri>,
    failures: u32,
    max_age: Option<Duration>,
}

impl IssuerKeys {
    fn new(settings: KeySettings, reporter: Arc<dyn FetchReporter>) -> Self {
        let client = HttpClient::new(settings.ca_file.as_deref()).unwrap_or_else(|e| {
            tracing::error!(issuer = %settings.name, error = %e, "CA file unusable; using the default roots");
            HttpClient::new(None).expect("the default roots need no file")
        });
        IssuerKeys {
            settings,
            client,
            reporter,
            current: ArcSwapOption::empty(),
            attempts: AtomicU64::new(0),
            fetch: tokio::sync::Mutex::new(FetchState::default()),
        }
    }

    /// The key set now, possibly stale; `None` until a fetch has succeeded.
    pub fn current(&self) -> Option<Arc<KeySet>> {
        self.current.load_full()
    }

    /// Fetches (once, however many callers ask at the same time) and returns the key set.
    pub async fn refresh(&self, why: Why) -> Option<Arc<KeySet>> {
        let seen = self.attempts.load(Ordering::Acquire);
        let mut st = self.fetch.lock().await;
        if self.attempts.load(Ordering::Acquire) != seen {
            return self.current();
        }
        if why == Why::OnDemand {
            if st
                .last_on_demand
                .is_some_and(|t| t.elapsed() < self.settings.min_refetch)
            {
                return self.current();
            }
            st.last_on_demand = Some(Instant::now());
        }
        match self.fetch_once(&mut st).await {
            Ok(set) => {
                st.failures = 0;
                self.reporter
                    .fetched(&self.settings.name, Ok(set.keys.len()));
                self.current.store(Some(Arc::new(set)));
            }
            Err(e) => {
                st.failures = st.failures.saturating_add(1);
                self.reporter.fetched(&self.settings.name, Err(&e));
            }
        }
        self.attempts.fetch_add(1, Ordering::AcqRel);
        self.current()
    }

    async fn fetch_once(&self, st: &mut FetchState) -> Result<KeySet, FetchError> {
        let timeout = self.settings.timeout;
        let uri = match (&self.settings.source, &st.discovered) {
            (JwksSource::Uri(u), _) | (JwksSource::Discover, Some(u)) => u.clone(),
            (JwksSource::Discover, None) => {
                let u = discovery::jwks_uri(&self.client, &self.settings.issuer, timeout).await?;
                st.discovered = Some(u.clone());
                u
            }
        };
        let fetched = match self.client.get(&uri, timeout).await {
            Ok(f) => f,
            Err(e) => {
                // The metadata may have moved the keys: discover again next time.
                st.discovered = None;
                return Err(e);
            }
        };
        let set = KeySet::parse(&fetched.body, self.current().as_deref(), Instant::now())
            .map_err(|reason| FetchError::invalid(&uri, reason))?;
        st.max_age = fetched.max_age;
        Ok(set)
    }

    /// How long to wait before the next scheduled fetch: the key set's lifetime after a
    /// success, a doubling back-off (capped at the lifetime) after failures.
    async fn next_delay(&self) -> Duration {
        let st = self.fetch.lock().await;
        let ttl = st.max_age.unwrap_or(self.settings.ttl);
        let delay = match st.failures {
            0 => ttl,
            n => self
                .settings
                .min_refetch
                .saturating_mul(1 << (n - 1).min(16))
                .min(self.settings.ttl),
        };
        delay.max(MIN_PERIOD)
    }

    async fn run(self: Arc<Self>) {
        loop {
            self.refresh(Why::Scheduled).await;
            let delay = self.next_delay().await;
            tokio::time::sleep(delay).await;
        }
    }

    /// Seconds since `kid` first appeared, when it appeared after the first load.
    pub fn kid_first_seen_secs_ago(&self, kid: &str) -> Option<u64> {
        let set = self.current.load();
        let seen = set.as_ref()?.first_seen(kid)?;
        Some(seen.elapsed().as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::max_age;
    use std::time::Duration;

    #[test]
    fn cache_control_max_age() {
        let s = Duration::from_secs;
        assert_eq!(max_age("public, max-age=600"), Some(s(600)));
        assert_eq!(max_age("max-age=\"60\""), Some(s(60)));
        assert_eq!(max_age("no-store"), Some(s(0)));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }
}
