//! After the tour: the same scenarios again, one request at a time at a gentle fixed pace, so
//! `/failures.html`, `/metrics` and `authlens top` have something live to show.

use super::keys::DemoKey;
use super::{scenarios, send, tour};
use std::net::SocketAddr;
use std::time::Duration;

/// The pause between two demo requests.
pub const EVERY: Duration = Duration::from_secs(2);

/// Sends the scenarios round and round, one every `EVERY`, with tokens minted afresh each
/// round (so the good ones stay good); runs until the task is aborted.
pub async fn keep_flowing(
    proxy: SocketAddr,
    issuer: String,
    published: DemoKey,
    unpublished: DemoKey,
) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let tokens = scenarios::Tokens::minted_now(&issuer, &published, &unpublished);
        for s in tour(&tokens) {
            tick.tick().await;
            send(proxy, s.method, s.path, &s.headers, s.body).await;
        }
    }
}
