//! Facts about the upstream's response head (and, for small error responses, its body).

use super::grpc::{self, GrpcStatus};
use crate::evidence::challenge::{Answer, MAX_WORDS, UpstreamWords};
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
    /// A gRPC call's status: from the head (trailers-only) or, once seen, the trailers.
    pub grpc: Option<GrpcStatus>,
    grpc_call: bool,
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
            grpc_call: grpc::is_grpc(headers),
            grpc: grpc::is_grpc(headers)
                .then(|| GrpcStatus::from_fields(headers))
                .flatten(),
        }
    }

    /// Takes a gRPC call's status from its trailers.
    pub fn trailers(&mut self, trailers: &HeaderMap) {
        if self.grpc_call && self.grpc.is_none() {
            self.grpc = GrpcStatus::from_fields(trailers);
        }
    }

    /// The status auth is judged by: gRPC's UNAUTHENTICATED and PERMISSION_DENIED count as
    /// the 401 and 403 they mean; otherwise the HTTP status.
    pub fn auth_status(&self) -> StatusCode {
        self.grpc
            .as_ref()
            .and_then(GrpcStatus::auth_status)
            .unwrap_or(self.status)
    }

    /// What the upstream said: its challenges and error body, and a gRPC status's message
    /// where those say nothing.
    pub fn words(&self) -> UpstreamWords {
        let mut words = crate::evidence::challenge::words(&self.answer());
        if words.error_description.is_none()
            && let Some(message) = self.grpc.as_ref().and_then(|g| g.message.as_deref())
        {
            words.error_description = Some(crate::evidence::challenge::clean(message, MAX_WORDS));
        }
        words
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
