//! Route matching: turns a request into one of a closed set of route names (or `unmatched`).

use super::ScopeRule;
use http::Method;

/// Index of a configured route; `Routes::unmatched()` is the one past the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RouteId(pub u16);

#[derive(Debug, Clone)]
pub enum PathMatch {
    Exact(String),
    Prefix(String),
    /// Segments; `None` is a `{name}` placeholder that matches any one segment.
    Template(Vec<Option<String>>),
    /// Any of these exact paths.
    OneOf(Vec<String>),
}

#[derive(Debug)]
pub struct RoutePolicy {
    pub name: String,
    pub path: PathMatch,
    /// Empty means every method.
    pub methods: Vec<Method>,
    pub scopes: ScopeRule,
    pub protected: bool,
}

#[derive(Debug, Default)]
pub struct Routes {
    list: Vec<RoutePolicy>,
}

pub const UNMATCHED: &str = "unmatched";

impl Routes {
    pub fn new(list: Vec<RoutePolicy>) -> Self {
        Routes { list }
    }

    pub fn unmatched(&self) -> RouteId {
        RouteId(self.list.len() as u16)
    }

    /// The first route, in config order, that matches the method and path.
    pub fn find(&self, method: &Method, path: &str) -> RouteId {
        self.list
            .iter()
            .position(|r| {
                (r.methods.is_empty() || r.methods.contains(method)) && r.path.matches(path)
            })
            .map_or(self.unmatched(), |i| RouteId(i as u16))
    }

    pub fn get(&self, id: RouteId) -> Option<&RoutePolicy> {
        self.list.get(id.0 as usize)
    }

    pub fn label(&self, id: RouteId) -> &str {
        self.get(id).map_or(UNMATCHED, |r| r.name.as_str())
    }

    /// Every route label, `unmatched` last, in `RouteId` order.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.list
            .iter()
            .map(|r| r.name.as_str())
            .chain(std::iter::once(UNMATCHED))
    }

    pub fn len_with_unmatched(&self) -> usize {
        self.list.len() + 1
    }
}

impl PathMatch {
    pub fn template(text: &str) -> Self {
        PathMatch::Template(
            text.trim_start_matches('/')
                .split('/')
                .map(|seg| {
                    let is_var = seg.starts_with('{') && seg.ends_with('}') && seg.len() >= 2;
                    (!is_var).then(|| seg.to_string())
                })
                .collect(),
        )
    }

    pub fn matches(&self, path: &str) -> bool {
        match self {
            PathMatch::Exact(p) => path == p,
            PathMatch::OneOf(list) => list.iter().any(|p| p == path),
            PathMatch::Prefix(p) => {
                // `/files` covers `/files` and `/files/x`, not `/filesystem`.
                path.strip_prefix(p.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('/') || p.ends_with('/')
                })
            }
            PathMatch::Template(segments) => {
                let mut parts = path.trim_start_matches('/').split('/');
                segments.iter().all(|seg| match (seg, parts.next()) {
                    (Some(lit), Some(part)) => lit == part,
                    (None, Some(part)) => !part.is_empty(),
                    (_, None) => false,
                }) && parts.next().is_none()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ScopeMatch;

    fn route(name: &str, path: PathMatch, methods: &[Method]) -> RoutePolicy {
        RoutePolicy {
            name: name.into(),
            path,
            methods: methods.to_vec(),
            scopes: ScopeRule {
                required: vec![],
                matching: ScopeMatch::All,
                claim: "scope".into(),
            },
            protected: true,
        }
    }

    #[test]
    fn first_match_wins_and_unmatched_is_last() {
        let routes = Routes::new(vec![
            route("file", PathMatch::template("/files/{id}"), &[Method::GET]),
            route("files", PathMatch::Prefix("/files".into()), &[]),
            route("health", PathMatch::Exact("/health".into()), &[]),
        ]);
        let label = |m: Method, p: &str| routes.label(routes.find(&m, p)).to_string();
        assert_eq!(label(Method::GET, "/files/42"), "file");
        assert_eq!(label(Method::DELETE, "/files/42"), "files");
        assert_eq!(label(Method::GET, "/files"), "files");
        assert_eq!(label(Method::GET, "/files/42/extra"), "files");
        assert_eq!(label(Method::GET, "/filesystem"), "unmatched");
        assert_eq!(label(Method::GET, "/health"), "health");
        assert_eq!(label(Method::GET, "/health/"), "unmatched");
        assert_eq!(
            routes.labels().collect::<Vec<_>>(),
            ["file", "files", "health", "unmatched"]
        );
    }

    #[test]
    fn template_needs_every_segment() {
        let t = PathMatch::template("/a/{x}/c");
        assert!(t.matches("/a/b/c"));
        assert!(!t.matches("/a//c"));
        assert!(!t.matches("/a/b"));
        assert!(!t.matches("/a/b/c/d"));
    }
}
