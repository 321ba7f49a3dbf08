//! Key sets outlive configuration generations. They are kept by issuer URL, so a reload that
//! keeps an issuer keeps its keys, its refresh task and the ages of its `kid`s; a reload that
//! drops one stops its task.

use super::{FetchReporter, IssuerKeys, KeySettings};
use crate::policy::{IssuerPolicy, Policy};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// One generation's key sets, in `policy.issuers` order.
pub type IssuerKeySets = Arc<[Arc<IssuerKeys>]>;

struct Running {
    keys: Arc<IssuerKeys>,
    task: JoinHandle<()>,
}

pub struct KeyStore {
    reporter: Arc<dyn FetchReporter>,
    by_issuer: Mutex<HashMap<String, Running>>,
}

impl KeyStore {
    pub fn new(reporter: Arc<dyn FetchReporter>) -> Self {
        KeyStore {
            reporter,
            by_issuer: Mutex::new(HashMap::new()),
        }
    }

    /// The key sets `policy` needs: unchanged issuers keep theirs, new or changed ones start a
    /// refresh task (needs a tokio runtime), and issuers no longer configured are stopped.
    pub fn resolve(&self, policy: &Policy) -> IssuerKeySets {
        self.resolve_issuers(policy.key_issuers())
    }

    /// `resolve` for a list of issuers: one key set each, in order.
    fn resolve_issuers<'a>(
        &self,
        issuers: impl Iterator<Item = &'a IssuerPolicy>,
    ) -> IssuerKeySets {
        let mut map = self.by_issuer.lock().unwrap_or_else(|p| p.into_inner());
        let mut old = std::mem::take(&mut *map);
        let sets: Vec<Arc<IssuerKeys>> = issuers
            .map(|is| {
                let settings = KeySettings::of(is);
                // The same issuer listed twice shares one key set.
                if let Some(r) = map.get(&is.issuer) {
                    return r.keys.clone();
                }
                let running = match old.remove(&is.issuer) {
                    Some(r) if r.keys.settings == settings => r,
                    stale => {
                        if let Some(r) = stale {
                            r.task.abort();
                        }
                        let keys = Arc::new(IssuerKeys::new(settings, self.reporter.clone()));
                        let task = tokio::spawn(keys.clone().run());
                        Running { keys, task }
                    }
                };
                let keys = running.keys.clone();
                map.insert(is.issuer.clone(), running);
                keys
            })
            .collect();
        for gone in old.into_values() {
            gone.task.abort();
        }
        sets.into()
    }
}

impl Drop for KeyStore {
    fn drop(&mut self) {
        let map = self.by_issuer.get_mut().unwrap_or_else(|p| p.into_inner());
        for r in map.values() {
            r.task.abort();
        }
    }
}
