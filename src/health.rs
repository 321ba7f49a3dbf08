//! The upstream health probe: a periodic `GET` of the upstream's health path through the same
//! connector as the proxy, feeding `authlens_upstream_up`, `authlens_health_checks_total` and,
//! when configured, `/readyz`. Logged on state changes only.

use crate::base::tls::CaError;
use crate::classify::{self, HealthResult};
use crate::config::{ConnectorSettings, HealthSettings};
use crate::facts::TransportError;
use crate::telemetry::events::HealthProbe;
use crate::telemetry::metrics::Metrics;
use crate::upstream::{self, Resolver, UpstreamClient};
use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Empty, Limited};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio::time::{MissedTickBehavior, timeout};

/// A health body is read (and thrown away) only so the connection can be reused.
const DRAIN_LIMIT: usize = 64 * 1024;

const USER_AGENT: &str = concat!("authlens-health/", env!("CARGO_PKG_VERSION"));

pub struct Prober {
    client: UpstreamClient<Empty<Bytes>>,
    /// The health path; the client sends it to `upstream`'s origin.
    path: Uri,
    /// The configured upstream URL, for the loopback probe on refusal.
    upstream: Uri,
    settings: HealthSettings,
    metrics: Arc<Metrics>,
}

impl Prober {
    pub fn new(
        upstream: &Uri,
        connector: &ConnectorSettings,
        settings: HealthSettings,
        resolver: &Resolver,
        metrics: Arc<Metrics>,
    ) -> Result<Self, CaError> {
        let client = UpstreamClient::build(connector, resolver, connector.protocol.into())?;
        // Validation guarantees a path starting with `/`; fall back to the root otherwise.
        let path = settings
            .path
            .parse::<http::uri::PathAndQuery>()
            .map_or_else(|_| Uri::from_static("/"), Uri::from);
        Ok(Prober {
            client,
            path,
            upstream: upstream.clone(),
            settings,
            metrics,
        })
    }

    /// Probes now and then every `interval` until the task is aborted.
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.settings.interval);
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut last = None;
            loop {
                tick.tick().await;
                last = Some(self.check(last).await);
            }
        })
    }

    /// One probe, counted and (when the result differs from `last`) logged.
    async fn check(&self, last: Option<HealthResult>) -> HealthResult {
        let outcome = self.probe().await;
        let failure = classify::health(&self.settings.path, outcome);
        let result = HealthResult::of(failure.as_ref());
        HealthProbe {
            result,
            changed: last != Some(result),
            status: outcome.ok().map(|s| s.as_u16()),
            failure: failure.as_ref(),
            path: &self.settings.path,
        }
        .emit(&self.metrics);
        result
    }

    async fn probe(&self) -> Result<StatusCode, TransportError> {
        let mut req = Request::get(self.path.clone())
            .body(Empty::new())
            .map_err(|_| TransportError::Other)?;
        req.headers_mut()
            .insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        let limit = self.settings.timeout;
        let resp = match timeout(limit, self.client.request(&self.upstream, req)).await {
            Err(_elapsed) => return Err(TransportError::ResponseTimeout),
            Ok(Err(e)) => return Err(upstream::transport_failure(&e, &self.upstream).await),
            Ok(Ok(resp)) => resp,
        };
        let status = resp.status();
        let drain = Limited::new(resp.into_body(), DRAIN_LIMIT).collect();
        let _ = timeout(limit, drain).await;
        Ok(status)
    }
}
