//! Preflights the browser never followed with the real request: the only trace authlens can see
//! of a browser that blocked a call for a reason it could not check itself (credentials with a
//! wildcard, private-network rules, an extension).
//!
//! How the proxy drives it (`key_of` gives the key, `None` for traffic CORS does not cover):
//! - every other cross-origin request, when it arrives: `on_request(key)`;
//! - before classifying a preflight: `History::preflights_unfollowed = unfollowed(key)`;
//! - a 2xx preflight whose classification found no failure: `on_preflight(key, route, now,
//!   suspect)`, as soon as its response is done (the real request cannot come before the
//!   browser has it); `suspect` is the failure its answer names should the request never come
//!   (`classify::unfollowed_preflight`);
//! - on a timer, about twice per window: for each `Expired` of `sweep(now)`, count
//!   `metrics.cors_preflight_unfollowed(route)`, and emit its suspect as a failure: a call the
//!   browser refused once is a failure already.

use crate::classify::Failure;
use crate::facts::RequestFacts;
use crate::policy::RouteId;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Preflights waiting for their request (counting re-recorded ones); more are not tracked and
/// the count then under-reports.
const MAX_PENDING: usize = 4096;
/// Keys remembered as unfollowed; the stalest is forgotten first.
const MAX_UNFOLLOWED: usize = 1024;

/// Origin, path and method of a call, hashed with a per-process random key: no client-controlled
/// text is kept, and nobody outside can aim collisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PreflightKey(u64);

struct Pending {
    seq: u64,
    route: RouteId,
    suspect: Option<Box<Suspect>>,
}

/// The failure a preflight's answer names if the browser never sends its request, with the
/// preflight's facts for the log line (kept only for such preflights, at most `MAX_PENDING`).
pub struct Suspect {
    pub request: RequestFacts,
    pub status: http::StatusCode,
    pub failure: Failure,
}

/// A preflight whose window passed without its request.
pub struct Expired {
    pub route: RouteId,
    pub suspect: Option<Box<Suspect>>,
}

struct Unfollowed {
    count: u32,
    last: Instant,
}

#[derive(Default)]
struct State {
    pending: HashMap<PreflightKey, Pending>,
    /// `(deadline, key, seq)` in insertion order; deadlines grow with it since the window is
    /// fixed. Entries whose key was followed or re-recorded are skipped by `seq`.
    order: VecDeque<(Instant, PreflightKey, u64)>,
    unfollowed: HashMap<PreflightKey, Unfollowed>,
    /// Requests that came with no preflight waiting: a fast browser may send the real request
    /// before the preflight's exchange has ended here, and it must not count as unfollowed.
    followed: HashMap<PreflightKey, Instant>,
    seq: u64,
}

pub struct Preflights {
    window: Duration,
    hasher: RandomState,
    state: Mutex<State>,
    unfollowed_total: AtomicU64,
}

// === impl Preflights ===

impl Preflights {
    pub fn new(window: Duration) -> Self {
        Preflights {
            window,
            hasher: RandomState::new(),
            state: Mutex::default(),
            unfollowed_total: AtomicU64::new(0),
        }
    }

    /// The key of a preflight (`method` = its `Access-Control-Request-Method`) or of a real
    /// request (its method).
    pub fn key(&self, origin: &[u8], path: &str, method: &[u8]) -> PreflightKey {
        PreflightKey(self.hasher.hash_one((origin, path, method)))
    }

    /// The key of a cross-origin browser request; a preflight is keyed by the method it asks
    /// about, so it meets its real request. `None` for same-origin and non-browser traffic.
    pub fn key_of(&self, r: &RequestFacts) -> Option<PreflightKey> {
        let origin = r.origin.as_ref()?;
        if crate::evidence::cors::is_same_origin(origin, r.host.as_ref()) {
            return None;
        }
        let method = r
            .preflight
            .as_ref()
            .map_or(r.method.as_str().as_bytes(), |p| p.method.as_bytes());
        Some(self.key(origin.as_bytes(), r.path(), method))
    }

    /// A preflight the browser should accept: its request is expected within the window.
    /// Returns false when the tracker is full and the preflight was not recorded.
    pub fn on_preflight(
        &self,
        key: PreflightKey,
        route: RouteId,
        now: Instant,
        suspect: Option<Suspect>,
    ) -> bool {
        let mut s = self.lock();
        if s.followed
            .remove(&key)
            .is_some_and(|at| now.saturating_duration_since(at) < self.window)
        {
            return true;
        }
        // Every pending entry has its own `order` entry, so this bounds both.
        if s.order.len() >= MAX_PENDING {
            return false;
        }
        s.seq += 1;
        let (seq, deadline) = (s.seq, now + self.window);
        let suspect = suspect.map(Box::new);
        s.pending.insert(
            key,
            Pending {
                seq,
                route,
                suspect,
            },
        );
        s.order.push_back((deadline, key, seq));
        true
    }

    /// The period the proxy should sweep at.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// A cross-origin request arrived: its preflight, if any, was followed, and whatever
    /// blocked earlier calls with the same key no longer does.
    pub fn on_request(&self, key: PreflightKey) {
        let mut s = self.lock();
        if s.pending.remove(&key).is_none() {
            if s.followed.len() >= MAX_PENDING {
                s.followed.clear();
            }
            s.followed.insert(key, Instant::now());
        }
        s.unfollowed.remove(&key);
    }

    /// Retires preflights whose window has passed without their request; returns each, for
    /// the metric and its suspect's failure.
    pub fn sweep(&self, now: Instant) -> Vec<Expired> {
        let mut s = self.lock();
        let mut expired = Vec::new();
        while let Some(&(deadline, key, seq)) = s.order.front() {
            if deadline > now {
                break;
            }
            s.order.pop_front();
            if s.pending.get(&key).map(|p| p.seq) != Some(seq) {
                continue;
            }
            if let Some(p) = s.pending.remove(&key) {
                expired.push(Expired {
                    route: p.route,
                    suspect: p.suspect,
                });
                s.remember(key, deadline);
            }
        }
        self.unfollowed_total
            .fetch_add(expired.len() as u64, Ordering::Relaxed);
        expired
    }

    /// How many earlier preflights with this key went unfollowed since its last real request.
    pub fn unfollowed(&self, key: PreflightKey) -> u32 {
        self.lock().unfollowed.get(&key).map_or(0, |u| u.count)
    }

    /// Every unfollowed preflight since start.
    pub fn unfollowed_total(&self) -> u64 {
        self.unfollowed_total.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a cache of evidence: after a panic elsewhere it is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn remember(&mut self, key: PreflightKey, at: Instant) {
        if !self.unfollowed.contains_key(&key) && self.unfollowed.len() >= MAX_UNFOLLOWED {
            let stalest = self
                .unfollowed
                .iter()
                .min_by_key(|(_, u)| u.last)
                .map(|(k, _)| *k);
            if let Some(k) = stalest {
                self.unfollowed.remove(&k);
            }
        }
        let u = self
            .unfollowed
            .entry(key)
            .or_insert(Unfollowed { count: 0, last: at });
        u.count = u.count.saturating_add(1);
        u.last = at;
    }
}

#[cfg(test)]
mod tests;
