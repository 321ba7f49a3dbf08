//! A latency histogram as plain atomics: 16 bucket counts and a sum, 136 bytes, where a
//! registered `prometheus::Histogram` child costs about a kilobyte (its descriptor, labels and
//! two shards). Observing is a bucket search, one atomic add and a compare-and-swap on the sum,
//! never a lock or an allocation; the buckets become text only when scraped.

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

    /// Appends the `_bucket`, `_sum` and `_count` lines of `name` with `labels` (written
    /// `a="x",b="y"`). `_count` is the sum of the buckets read, so it always equals the `+Inf`
    /// bucket even while observations land during a scrape.
    pub fn write(&self, out: &mut String, name: &str, labels: &str) {
        use std::fmt::Write;
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = LATENCY_BUCKETS
                .get(i)
                .map_or("+Inf".to_string(), f64::to_string);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
        }
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed));
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
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
        let mut out = String::new();
        l.write(&mut out, "x", "route=\"r\"");
        for line in [
            "x_bucket{route=\"r\",le=\"0.0005\"} 1",
            "x_bucket{route=\"r\",le=\"0.001\"} 2",
            "x_bucket{route=\"r\",le=\"1\"} 3",
            "x_bucket{route=\"r\",le=\"30\"} 3",
            "x_bucket{route=\"r\",le=\"+Inf\"} 4",
            "x_count{route=\"r\"} 4",
        ] {
            assert!(out.lines().any(|l| l == line), "{line} in\n{out}");
        }
        assert_eq!(out.lines().count(), LATENCY_BUCKETS.len() + 3);
        let sum = out
            .lines()
            .find_map(|l| l.strip_prefix("x_sum{route=\"r\"} "));
        assert!((sum.unwrap().parse::<f64>().unwrap() - 31.7011).abs() < 1e-9);
    }
}
