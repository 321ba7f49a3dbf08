//! The held failures grouped by cause, detail and route: the one model behind `/failures`
//! (as JSON), `/failures.html` and `authlens top`.

use super::{Example, Group, Inner, rfc3339};
use serde::{Serialize, Serializer};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The span rates are taken over.
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub generated_at: String,
    /// How many failures are kept at most, and how many are held now.
    pub capacity: usize,
    pub held: usize,
    /// The span `last_minute` covers: 60, or less when the ring holds fewer seconds than that
    /// (a burst filled it), in which case `per_minute` extrapolates.
    pub window_seconds: u64,
    /// Busiest first: by `per_minute`, then `count`, then the latest.
    pub groups: Vec<GroupView>,
}

#[derive(Debug, Serialize)]
pub struct GroupView {
    pub cause: &'static str,
    pub category: &'static str,
    pub detail: &'static str,
    pub route: String,
    /// Failures of this group among those held.
    pub count: usize,
    /// Of those, how many in the last `window_seconds`.
    pub last_minute: usize,
    pub per_minute: f64,
    pub first_seen: String,
    pub last_seen: String,
    /// Seconds since the last one, for views that say "12 s ago".
    pub last_seen_secs_ago: u64,
    pub hint: String,
    pub confidence: &'static str,
    /// The latest failure's facts, redacted like its log line.
    #[serde(serialize_with = "as_map")]
    pub example: Arc<Example>,
    pub example_at: String,
}

fn as_map<S: Serializer>(example: &Arc<Example>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(example.iter().map(|(k, v)| (*k, v)))
}

impl Snapshot {
    pub fn empty(capacity: usize, now: SystemTime) -> Self {
        Snapshot {
            generated_at: rfc3339(now),
            capacity,
            held: 0,
            window_seconds: WINDOW.as_secs(),
            groups: Vec::new(),
        }
    }
}

struct Tally {
    count: usize,
    last_minute: usize,
    first: SystemTime,
    last: SystemTime,
}

pub(super) fn build(inner: &Inner, capacity: usize, now: SystemTime) -> Snapshot {
    let since = |t: SystemTime| now.duration_since(t).unwrap_or_default();
    // A full ring may cover less than a minute: rates are then taken over what it covers.
    let window = match inner.ring.front() {
        Some(oldest) if inner.ring.len() == capacity => {
            since(oldest.at).clamp(Duration::from_secs(1), WINDOW)
        }
        _ => WINDOW,
    };
    let mut tallies: Vec<Option<Tally>> = (0..inner.groups.len()).map(|_| None).collect();
    for e in &inner.ring {
        let recent = usize::from(since(e.at) <= window);
        let t = tallies[usize::from(e.group)].get_or_insert(Tally {
            count: 0,
            last_minute: 0,
            first: e.at,
            last: e.at,
        });
        t.count += 1;
        t.last_minute += recent;
        t.last = e.at;
    }
    let mut groups: Vec<GroupView> = inner
        .groups
        .iter()
        .zip(tallies)
        .filter_map(|(g, t)| Some(view(g, t?, window, since)))
        .collect();
    groups.sort_by(|a, b| {
        b.per_minute
            .total_cmp(&a.per_minute)
            .then(b.count.cmp(&a.count))
            .then(a.last_seen_secs_ago.cmp(&b.last_seen_secs_ago))
            .then(a.cause.cmp(b.cause))
    });
    Snapshot {
        generated_at: rfc3339(now),
        capacity,
        held: inner.ring.len(),
        window_seconds: window.as_secs(),
        groups,
    }
}

fn view(
    g: &Group,
    t: Tally,
    window: Duration,
    since: impl Fn(SystemTime) -> Duration,
) -> GroupView {
    let per_minute = t.last_minute as f64 * 60.0 / window.as_secs_f64();
    GroupView {
        cause: g.key.cause.label(),
        category: g.key.cause.category().label(),
        detail: g.key.detail.label(),
        route: g.route.clone(),
        count: t.count,
        last_minute: t.last_minute,
        per_minute: (per_minute * 10.0).round() / 10.0,
        first_seen: rfc3339(t.first),
        last_seen: rfc3339(t.last),
        last_seen_secs_ago: since(t.last).as_secs(),
        hint: g.hint.clone(),
        confidence: g.confidence.label(),
        example: g.example.clone(),
        example_at: rfc3339(g.example_at),
    }
}
