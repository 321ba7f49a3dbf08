//! Unix time, in the one representation the token claims use (whole seconds).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whole seconds since the epoch; a clock set before 1970 reads as 0.
pub fn unix_secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub fn unix_now() -> i64 {
    unix_secs(SystemTime::now())
}

/// Fractional seconds, for Prometheus timestamps.
pub fn unix_now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The instant a claim's seconds name; negative claims clamp to the epoch.
pub fn from_unix_secs(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64)
}
