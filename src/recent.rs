//! The last classified failures, kept for on-call views (`/failures`, `/failures.html`,
//! `authlens top`). A bounded ring of `(time, group)` entries plus one redacted example per
//! group (cause, detail, route: closed sets, so the groups are bounded too). Only failures pay:
//! an exchange without a failure never touches this; one with a failure builds its example
//! (the same facts its log line carries) and holds a lock for a push.

mod snapshot;
mod time;

pub use snapshot::{GroupView, Snapshot};
pub use time::{human_duration, rfc3339};

use crate::cause::{Cause, Confidence, Detail};
use crate::classify::Failure;
use crate::evidence::challenge::UpstreamWords;
use crate::evidence::token::{ScopeClaim, TokenReport};
use crate::facts::RequestFacts;
use crate::policy::{Policy, RouteId};
use http::StatusCode;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How many failures are kept. A constant, not a config key (yet): 500 entries cost ~16 KiB
/// plus one example per group.
pub const CAPACITY: usize = 500;

/// Values come from clients: bound what is kept, as the log does.
const MAX_FIELD: usize = 256;

/// Decoded, redacted facts of one failed exchange, as `(log key, value)`: never the token,
/// its signature, a cookie or an `Authorization` value; personal claims only when
/// `auth.log_personal_claims` is on.
pub type Example = Vec<(&'static str, String)>;

/// One failed exchange, seen as its log line sees it.
pub struct Failed<'a> {
    pub request: &'a RequestFacts,
    pub token: Option<&'a TokenReport>,
    pub status: Option<StatusCode>,
    pub failure: &'a Failure,
    pub words: &'a UpstreamWords,
    pub policy: &'a Policy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    cause: Cause,
    detail: Detail,
    route: RouteId,
}

struct Entry {
    at: SystemTime,
    group: u16,
}

struct Group {
    key: Key,
    route: String,
    confidence: Confidence,
    hint: String,
    /// The latest one.
    example: Arc<Example>,
    example_at: SystemTime,
}

#[derive(Default)]
struct Inner {
    ring: VecDeque<Entry>,
    groups: Vec<Group>,
    index: HashMap<Key, u16>,
}

pub struct Recent {
    capacity: usize,
    inner: Mutex<Inner>,
}

impl Default for Recent {
    fn default() -> Self {
        Recent::new(CAPACITY)
    }
}

impl Recent {
    pub fn new(capacity: usize) -> Self {
        Recent {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Keeps one failed exchange. Called where its log line is written.
    pub fn record(&self, x: &Failed<'_>) {
        let f = x.failure;
        let key = Key {
            cause: f.cause,
            detail: f.detail,
            route: x.request.route,
        };
        let example = Arc::new(example(x, f));
        self.push(
            key,
            x.policy.routes.label(key.route),
            f,
            example,
            SystemTime::now(),
        );
    }

    fn push(&self, key: Key, route: &str, f: &Failure, example: Arc<Example>, at: SystemTime) {
        let Ok(mut inner) = self.inner.lock() else {
            return; // a panic elsewhere poisoned it: on-call views are not worth another
        };
        let inner = &mut *inner;
        let group = match inner.index.get(&key) {
            Some(&g) => {
                let g_ref = &mut inner.groups[usize::from(g)];
                g_ref.hint = f.shown_hint().to_string();
                g_ref.confidence = f.confidence;
                g_ref.example = example;
                g_ref.example_at = at;
                g
            }
            None => {
                let Ok(g) = u16::try_from(inner.groups.len()) else {
                    return;
                };
                inner.groups.push(Group {
                    key,
                    route: route.to_string(),
                    confidence: f.confidence,
                    hint: f.shown_hint().to_string(),
                    example,
                    example_at: at,
                });
                inner.index.insert(key, g);
                g
            }
        };
        if inner.ring.len() == self.capacity {
            inner.ring.pop_front();
        }
        inner.ring.push_back(Entry { at, group });
    }

    /// The failures held, grouped, as both the JSON and the HTML view show them.
    pub fn snapshot(&self, now: SystemTime) -> Snapshot {
        let Ok(inner) = self.inner.lock() else {
            return Snapshot::empty(self.capacity, now);
        };
        snapshot::build(&inner, self.capacity, now)
    }
}

fn bounded(s: &str) -> String {
    crate::base::text::shortened(s, MAX_FIELD)
}

/// The facts of the exchange's log line (CONTRACT §4) that help on-call, minus the client's
/// address and user agent.
fn example(x: &Failed<'_>, f: &Failure) -> Example {
    let mut out: Example = Vec::with_capacity(24);
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.push((k, v));
        }
    };
    let r = x.request;
    let header = |v: &http::HeaderValue| bounded(v.to_str().unwrap_or("<non-ascii>"));
    put("http.request.method", Some(r.method.as_str().to_string()));
    put("url.path", Some(bounded(r.path())));
    put(
        "http.response.status_code",
        x.status.map(|s| s.as_u16().to_string()),
    );
    put("http.request.header.origin", r.origin.as_ref().map(header));
    put("request_id", Some(header(&r.request_id)));
    put("trace_id", Some(r.trace.trace_id_hex().to_string()));
    let secondary: Vec<&str> = f.secondary.iter().map(|(c, _)| c.label()).collect();
    put("secondary_causes", Some(secondary.join(",")));
    if let Some(t) = x.token {
        let c = &t.claims;
        let personal = x.policy.log_personal_claims;
        put("token.fingerprint", Some(t.fingerprint.to_string()));
        put("token.alg", t.header.alg.as_deref().map(bounded));
        put("token.kid", t.header.kid.as_deref().map(bounded));
        put("token.typ", t.header.typ.as_deref().map(bounded));
        put("token.iss", c.iss.as_deref().map(bounded));
        put("token.aud", Some(bounded(&c.aud.join(" "))));
        put(
            "token.scope",
            c.scopes.first().map(|(_, s)| match s {
                ScopeClaim::Text(t) => bounded(t),
                ScopeClaim::List(l) => bounded(&l.join(" ")),
            }),
        );
        put("token.exp", c.exp.map(|v| v.to_string()));
        put("token.nbf", c.nbf.map(|v| v.to_string()));
        put("token.iat", c.iat.map(|v| v.to_string()));
        put("token.client_id", c.client_id.as_deref().map(bounded));
        if personal {
            put("token.sub", c.sub.as_deref().map(bounded));
            put("token.email", c.email.as_deref().map(bounded));
            put("token.name", c.name.as_deref().map(bounded));
        }
    }
    let e = &f.expected;
    put("expected.iss", e.iss.clone());
    put("expected.aud", e.aud.clone());
    put("expected.alg", e.alg.clone());
    put("expected.scope", e.scope.clone());
    put("expected.origin", e.origin.clone());
    let w = x.words;
    put(
        "upstream.www_authenticate",
        w.www_authenticate.as_deref().map(bounded),
    );
    put("upstream.error", w.error.as_deref().map(bounded));
    put(
        "upstream.error_description",
        w.error_description.as_deref().map(bounded),
    );
    out
}

#[cfg(test)]
mod tests;
