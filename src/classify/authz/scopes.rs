//! Why a token's scopes do not satisfy what a route needs: the typical ways people get scopes
//! wrong (taxonomy §1b), checked in the order of §2.10 rule 4.

use crate::evidence::token::ScopeClaim;
use crate::policy::ScopeMatch;

/// Claims whose value should be one space-separated string (RFC 9068 §2.2.3) …
const TEXT_CLAIMS: &[&str] = &["scope"];
/// … and claims that are conventionally arrays (Auth0 `permissions`). Others (`scp`) take both.
const LIST_CLAIMS: &[&str] = &["permissions", "scopes", "roles"];

/// What must be present, and where the API reads it.
pub struct Need<'a> {
    pub required: Vec<&'a str>,
    pub matching: ScopeMatch,
    pub claim: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Diagnosis {
    Satisfied,
    /// The values are there once split on commas/spaces, or once the shape is fixed.
    Delimiter {
        claim: String,
        problem: &'static str,
    },
    /// The API requires one comma-joined string the token has as separate scopes.
    RequiredJoined {
        scope: String,
    },
    /// The same words spelled differently (separator, case, order).
    Name {
        wanted: String,
        found: String,
    },
    /// The right values, under another claim.
    ClaimName {
        found_in: String,
    },
    Missing {
        missing: Vec<String>,
    },
}

fn strict_values<'c>(claim: &str, value: &'c ScopeClaim) -> Vec<&'c str> {
    match value {
        ScopeClaim::Text(_) if LIST_CLAIMS.contains(&claim) => Vec::new(),
        ScopeClaim::List(_) if TEXT_CLAIMS.contains(&claim) => Vec::new(),
        ScopeClaim::Text(text) => text.split_whitespace().collect(),
        ScopeClaim::List(items) => items.iter().map(String::as_str).collect(),
    }
}

/// Every value, whatever the shape, split on spaces and commas.
fn loose_values(value: &ScopeClaim) -> Vec<&str> {
    fn split(s: &str) -> impl Iterator<Item = &str> {
        s.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
    }
    match value {
        ScopeClaim::Text(text) => split(text).collect(),
        ScopeClaim::List(items) => items.iter().flat_map(|i| split(i)).collect(),
    }
}

fn satisfies(have: &[&str], need: &Need<'_>) -> bool {
    let present = |r: &&str| have.contains(r);
    match need.matching {
        ScopeMatch::All => need.required.iter().all(present),
        ScopeMatch::Any => need.required.iter().any(present),
    }
}

/// `files.read`, `files:read`, `read:files` and `Files.Read` share one key.
fn key(scope: &str) -> Vec<String> {
    let mut words: Vec<String> = scope
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.sort();
    words
}

fn delimiter_problem(claim: &str, value: &ScopeClaim) -> Option<&'static str> {
    match value {
        ScopeClaim::Text(t) if t.contains(',') => Some("a comma-separated string"),
        ScopeClaim::Text(_) if LIST_CLAIMS.contains(&claim) => {
            Some("a string where an array is expected")
        }
        ScopeClaim::List(items) if items.iter().any(|i| i.contains([',', ' '])) => {
            Some("an array of joined strings")
        }
        ScopeClaim::List(_) if TEXT_CLAIMS.contains(&claim) => {
            Some("an array where a space-separated string is expected")
        }
        _ => None,
    }
}

pub fn diagnose(need: &Need<'_>, claims: &[(String, ScopeClaim)]) -> Diagnosis {
    let own = claims.iter().find(|(n, _)| n == need.claim).map(|(_, v)| v);
    let strict = own.map_or_else(Vec::new, |v| strict_values(need.claim, v));
    if satisfies(&strict, need) {
        return Diagnosis::Satisfied;
    }
    let loose = own.map_or_else(Vec::new, loose_values);
    if let Some(value) = own
        && satisfies(&loose, need)
        && let Some(problem) = delimiter_problem(need.claim, value)
    {
        return Diagnosis::Delimiter {
            claim: need.claim.to_string(),
            problem,
        };
    }
    // The API's own requirement joined with commas (seen in its `scope=`; authlens's config
    // refuses such entries), while the token has the parts.
    if let Some(joined) = need.required.iter().find(|r| r.contains(',')) {
        let mut parts = joined.split(',').map(str::trim).filter(|p| !p.is_empty());
        if parts.all(|p| loose.contains(&p)) {
            return Diagnosis::RequiredJoined {
                scope: joined.to_string(),
            };
        }
    }
    if let Some(found) = near_miss(need, &loose) {
        return found;
    }
    let elsewhere = claims
        .iter()
        .find(|(n, v)| n != need.claim && satisfies(&loose_values(v), need));
    if let Some((name, _)) = elsewhere {
        return Diagnosis::ClaimName {
            found_in: name.clone(),
        };
    }
    Diagnosis::Missing {
        missing: need
            .required
            .iter()
            .filter(|r| !loose.contains(r))
            .map(|r| r.to_string())
            .collect(),
    }
}

/// A differently spelled scope for a required one that is absent: for all-of, every absent
/// one must have a twin; for any-of, one twin is enough.
fn near_miss(need: &Need<'_>, have: &[&str]) -> Option<Diagnosis> {
    let twin = |r: &str| {
        let k = key(r);
        have.iter().find(|h| !k.is_empty() && key(h) == k).copied()
    };
    let absent = need.required.iter().filter(|r| !have.contains(r));
    let mut pairs = absent.clone().map(|r| (r, twin(r)));
    let (wanted, found) = match need.matching {
        ScopeMatch::All if absent.clone().all(|r| twin(r).is_some()) => pairs.next()?,
        ScopeMatch::Any => pairs.find(|(_, t)| t.is_some())?,
        ScopeMatch::All => return None,
    };
    Some(Diagnosis::Name {
        wanted: wanted.to_string(),
        found: found?.to_string(),
    })
}

/// With no list of required scopes (no route config, no `scope=` from the API), only the
/// token's shape can tell: commas, an array in `scope`, or scopes under another claim only.
pub fn shape_only(claim: &str, claims: &[(String, ScopeClaim)]) -> Option<Diagnosis> {
    match claims.iter().find(|(n, _)| n == claim) {
        Some((_, value)) => delimiter_problem(claim, value).map(|problem| Diagnosis::Delimiter {
            claim: claim.to_string(),
            problem,
        }),
        None => claims.first().map(|(name, _)| Diagnosis::ClaimName {
            found_in: name.clone(),
        }),
    }
}

#[cfg(test)]
mod properties;
