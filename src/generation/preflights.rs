//! Preflights the browser never followed with the real request: the only trace authlens can see
//! of a browser that blocked a call for a reason it could not check itself (credentials with a
//! wildcard, private-network rules, an extension).
//!
//! How the proxy drives it (`key_of` gives the key, `None` for traffic CORS does not cover):
//! - every other cross-origin request, when it arrives: `on_request(key)`;
//! - before classifying a preflight: `History::preflights_unfollowed = unfollowed(key)`;
//! - a 2xx preflight whose classification found no failure: `on_preflight(key, route, now)`, as
//!   soon as its response is done (the real request cannot come before the browser has it);
//! - on a timer, about twice per window: `for route in sweep(now) {
//!   metrics.cors_preflight_unfollowed(route) }`.

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
    pub fn on_preflight(&self, key: PreflightKey, route: RouteId, now: Instant) -> bool {
        let mut s = self.lock();
        // Every pending entry has its own `order` entry, so this bounds both.
        if s.order.len() >= MAX_PENDING {
            return false;
        }
        s.seq += 1;
        let (seq, deadline) = (s.seq, now + self.window);
        s.pending.insert(key, Pending { seq, route });
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
        s.pending.remove(&key);
        s.unfollowed.remove(&key);
    }

    /// Retires preflights whose window has passed without their request; returns the route of
    /// each, for the metric.
    pub fn sweep(&self, now: Instant) -> Vec<RouteId> {
        let mut s = self.lock();
        let mut routes = Vec::new();
        while let Some(&(deadline, key, seq)) = s.order.front() {
            if deadline > now {
                break;
            }
            s.order.pop_front();
            if s.pending.get(&key).map(|p| p.seq) != Some(seq) {
                continue;
            }
            if let Some(p) = s.pending.remove(&key) {
                routes.push(p.route);
                s.remember(key, deadline);
            }
        }
        self.unfollowed_total
            .fetch_add(routes.len() as u64, Ordering::Relaxed);
        routes
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
