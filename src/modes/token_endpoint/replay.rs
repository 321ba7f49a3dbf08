//! The `jti`s of ID-JAGs a server accepted, each kept until its `exp`, for `idjag_replayed`.
//! Bounded: when full, expired entries go first, then the one expiring soonest.

use std::collections::HashMap;
use std::sync::Mutex;

/// How many accepted `jti`s are remembered.
pub const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct Accepted {
    /// `(iss, jti)` hashed → `exp`.
    by_key: Mutex<HashMap<u64, i64>>,
}

fn key(iss: &str, jti: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // Fixed keys: the map only needs stable, well-spread keys within this process.
    let mut h =
        std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
            .build_hasher();
    h.write(iss.as_bytes());
    h.write_u8(0);
    h.write(jti.as_bytes());
    h.finish()
}

impl Accepted {
    /// Whether this `jti` of this issuer was accepted before and has not expired yet.
    pub fn seen(&self, iss: &str, jti: &str, now: i64) -> bool {
        let map = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&key(iss, jti)).is_some_and(|exp| *exp > now)
    }

    /// Remembers an accepted `jti` until `exp`.
    pub fn accept(&self, iss: &str, jti: &str, exp: i64, now: i64) {
        if exp <= now {
            return;
        }
        let mut map = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY {
            map.retain(|_, e| *e > now);
        }
        if map.len() >= CAPACITY
            && let Some((&soonest, _)) = map.iter().min_by_key(|(_, e)| **e)
        {
            map.remove(&soonest);
        }
        map.insert(key(iss, jti), exp);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_key.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_exp_and_stays_bounded() {
        let a = Accepted::default();
        a.accept("https://idp", "j1", 200, 100);
        assert!(a.seen("https://idp", "j1", 150));
        assert!(!a.seen("https://idp", "j1", 200));
        assert!(!a.seen("https://other", "j1", 150));
        a.accept("https://idp", "past", 50, 100);
        assert!(!a.seen("https://idp", "past", 10));
        for i in 0..CAPACITY + 10 {
            a.accept("https://idp", &i.to_string(), 1_000 + i as i64, 100);
        }
        assert_eq!(a.len(), CAPACITY);
        // The soonest-expiring went first; the newest are kept.
        assert!(!a.seen("https://idp", "j1", 150));
        assert!(a.seen("https://idp", &(CAPACITY + 9).to_string(), 150));
    }
}
