//! A latency histogram as plain atomics: 16 bucket counts and a sum, 136 bytes, where a
//! registered `prometheus::Histogram` child costs about a kilobyte (its descriptor, labels and
//! two shards). Observing is a bucket search, one atomic add and a compare-and-swap on the sum,
//! never a lock or an allocation; the buckets become a series only when scraped.

use prometheus::proto::{Bucket, Histogram};
use std::sync::atomic::{AtomicU64, Ordering};

/// Latency buckets for a sidecar: sub-millisecond to 30 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const SLOTS: usize = LATENCY_BUCKETS.len() + 1;

pub struct Latency {
    /// Observations per bucket, not cumulative; the last slot is above every bound (`+Inf`).
    counts: [AtomicU64; SLOTS],
    /// The sum of observations, as `f64` bits.
    sum: AtomicU64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum: AtomicU64::new(0.0f64.to_bits()),
        }
    }
}

impl Latency {
    pub fn observe(&self, seconds: f64) {
        // `le` is inclusive, as in Prometheus.
        let slot = LATENCY_BUCKETS.partition_point(|b| *b < seconds);
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + seconds).to_bits())
            });
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The exposition form; the count is the sum of the buckets read, so `_count` always equals
    /// the `+Inf` bucket even while observations land during a scrape.
    pub fn proto(&self) -> Histogram {
        let mut cumulative = 0;
        let buckets = LATENCY_BUCKETS
            .iter()
            .zip(&self.counts)
            .map(|(bound, count)| {
                cumulative += count.load(Ordering::Relaxed);
                let mut b = Bucket::default();
                b.set_upper_bound(*bound);
                b.set_cumulative_count(cumulative);
                b
            })
            .collect();
        let mut h = Histogram::default();
        h.set_bucket(buckets);
        h.set_sample_count(cumulative + self.counts[SLOTS - 1].load(Ordering::Relaxed));
        h.set_sample_sum(f64::from_bits(self.sum.load(Ordering::Relaxed)));
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_inclusive_and_count_the_overflow() {
        let l = Latency::default();
        for s in [0.0005, 0.0006, 0.7, 31.0] {
            l.observe(s);
        }
        assert_eq!(l.count(), 4);
        let h = l.proto();
        let at = |bound: f64| {
            h.get_bucket()
                .iter()
                .find(|b| b.upper_bound() == bound)
                .map(|b| b.cumulative_count())
        };
        assert_eq!(at(0.0005), Some(1), "le is inclusive");
        assert_eq!(at(0.001), Some(2));
        assert_eq!(at(1.0), Some(3));
        assert_eq!(at(30.0), Some(3));
        assert_eq!(h.get_sample_count(), 4, "+Inf holds 31 s");
        assert!((h.get_sample_sum() - 31.7011).abs() < 1e-9);
    }
}
