//! Facts about the upstream's response head (and, for small error responses, its body).

use crate::evidence::challenge::Answer;
use crate::evidence::cors::CorsHeaders;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use std::time::SystemTime;

#[derive(Debug)]
pub struct ResponseFacts {
    pub status: StatusCode,
    /// Every `WWW-Authenticate` value (and the `WWW-Authentication` misspelling), for 4xx only.
    pub www_authenticate: Vec<HeaderValue>,
    pub date: Option<SystemTime>,
    pub content_type: Option<HeaderValue>,
    pub cors: Option<CorsHeaders>,
    /// The first bytes of an error body, when it was small enough to keep.
    pub body: Option<Bytes>,
}

impl ResponseFacts {
    /// Copies what classification may need; for a 2xx without `Origin` this copies nothing.
    pub fn from_head(status: StatusCode, headers: &HeaderMap, with_cors: bool) -> Self {
        let error = status.is_client_error() || status.is_server_error();
        let www_authenticate = if error {
            headers
                .get_all(header::WWW_AUTHENTICATE)
                .iter()
                .chain(headers.get_all("www-authentication").iter())
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let all = |name| headers.get_all(name).iter().cloned().collect::<Vec<_>>();
        let cors = with_cors.then(|| CorsHeaders {
            allow_origin: all(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            allow_credentials: headers
                .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
                .cloned(),
            allow_methods: all(header::ACCESS_CONTROL_ALLOW_METHODS),
            allow_headers: all(header::ACCESS_CONTROL_ALLOW_HEADERS),
        });
        ResponseFacts {
            status,
            www_authenticate,
            date: error
                .then(|| headers.get(header::DATE))
                .flatten()
                .and_then(|d| httpdate::parse_http_date(d.to_str().ok()?).ok()),
            content_type: error
                .then(|| headers.get(header::CONTENT_TYPE).cloned())
                .flatten(),
            cors,
            body: None,
        }
    }

    /// The parts of the answer that carry the upstream's words.
    pub fn answer(&self) -> Answer<'_> {
        Answer {
            www_authenticate: &self.www_authenticate,
            content_type: self.content_type.as_ref(),
            body: self.body.as_deref(),
        }
    }
}
