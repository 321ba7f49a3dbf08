//! The verified-token cache: reports keyed by the SHA-256 of the token bytes, bounded in
//! entries, each kept no longer than its verdict holds (never past `exp`).

use super::report::{TokenReport, Verdict};
use crate::cause::Cause;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

/// The longest any verdict is reused, so a rotated key or changed key material is noticed.
const MAX_AGE_SECS: i64 = 300;
const SHARDS: usize = 16;

pub type CacheKey = [u8; 32];

/// The token's SHA-256, which also gives its fingerprint.
pub fn key(token: &str) -> CacheKey {
    super::report::digest(token)
}

struct Entry {
    report: Arc<TokenReport>,
    until: i64,
    /// The configuration generation the verdict was reached under; a reload makes it stale.
    epoch: u64,
}

/// The key is already a SHA-256: eight of its bytes are as good a hash as any, and running
/// SipHash over all 32 on every request is wasted work. The last eight, because the first byte
/// picks the shard and would leave the low bits (the bucket index) alike within one.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let tail = &bytes[bytes.len().saturating_sub(8)..];
        word[..tail.len()].copy_from_slice(tail);
        self.0 ^= u64::from_le_bytes(word);
    }
}

type Shard = HashMap<CacheKey, Entry, BuildHasherDefault<Prehashed>>;

/// Sharded so concurrent requests rarely meet on one lock; each lock is held for a lookup.
pub struct TokenCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

impl TokenCache {
    pub fn new(entries: usize) -> Self {
        TokenCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: entries.div_ceil(SHARDS),
        }
    }

    fn shard(&self, key: &CacheKey) -> std::sync::MutexGuard<'_, Shard> {
        let m = &self.shards[key[0] as usize % SHARDS];
        // A panic while holding the lock cannot leave a map half-written; keep using it.
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &CacheKey, now: i64, epoch: u64) -> Option<Arc<TokenReport>> {
        let mut shard = self.shard(key);
        match shard.get(key) {
            Some(e) if e.until > now && e.epoch == epoch => Some(e.report.clone()),
            Some(_) => {
                shard.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `report` for as long as its verdict can hold; verdicts that may change with the
    /// next key fetch are not kept at all.
    pub fn insert(
        &self,
        key: CacheKey,
        report: Arc<TokenReport>,
        leeway: i64,
        now: i64,
        epoch: u64,
    ) {
        let Some(until) = keep_until(&report, leeway, now) else {
            return;
        };
        if self.per_shard == 0 {
            return;
        }
        let mut shard = self.shard(&key);
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            shard.retain(|_, e| e.until > now);
            if shard.len() >= self.per_shard {
                let victim = shard.keys().next().copied();
                if let Some(v) = victim {
                    shard.remove(&v);
                }
            }
        }
        shard.insert(
            key,
            Entry {
                report,
                until,
                epoch,
            },
        );
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Until when (unix seconds) a report may be reused.
fn keep_until(r: &TokenReport, leeway: i64, now: i64) -> Option<i64> {
    let cap = now + MAX_AGE_SECS;
    match &r.verdict {
        Verdict::Valid => Some(r.claims.exp.map_or(cap, |exp| (exp + leeway).min(cap))),
        Verdict::Unverified => None,
        Verdict::Invalid(check) => match check.cause {
            Cause::KidUnknown | Cause::JwksFetchFailed => None,
            Cause::TokenNotYetValid => {
                let starts = [r.claims.nbf, r.claims.iat].into_iter().flatten().max();
                Some(starts.map_or(cap, |t| (t - leeway).min(cap)))
            }
            _ => Some(cap),
        },
    }
    .filter(|until| *until > now)
}

#[cfg(test)]
mod tests;
