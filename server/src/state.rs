//! The state every handler shares: the database, settings and the long-lived services built
//! from them at start.

use std::sync::Arc;

use crate::auth::rate_limit::LoginLimiter;
use crate::auth::tokens::TokenService;
use crate::config::Settings;
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::events::{Event, EventBus};
use crate::metrics::Metrics;

#[derive(Debug)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub tokens: TokenService,
    /// Whether tokens' users and sessions still stand (roles read from the database).
    pub standings: crate::auth::standing::Standings,
    pub login_limiter: LoginLimiter,
    /// Device tokens: a device that signed in before passes the per-username limit.
    pub device_cookies: crate::auth::device_cookie::DeviceCookies,
    /// The limit on second-factor codes.
    pub code_limiter: LoginLimiter,
    /// The key of second-factor secrets.
    pub mfa_keys: crate::auth::mfa::SecretBox,
    pub metrics: Arc<Metrics>,
    pub bus: EventBus,
    pub hub: Arc<crate::live::Hub>,
    pub files: Arc<crate::documents::files::Files>,
    /// Group commit of ballots and coalesced tallies.
    pub polls: crate::polls::PollService,
    /// The certificates signatures are trusted up to (`signing.trust_anchors`).
    pub trust_anchors: Arc<Vec<x509_cert::Certificate>>,
    /// Signatures checked, by the SHA-256 of the version's bytes (the anchors are fixed for
    /// the process's life, so the same bytes always check the same).
    pub verified: crate::signatures::Verified,
    /// The seal's picture (`signing.seal_image`, a PNG checked at start).
    pub seal_image: Option<Arc<Vec<u8>>>,
    /// The organisation's seal (`signing.key_file`), when one is configured.
    pub seal: Option<Arc<crate::signatures::seal::Seal>>,
    /// The fonts the meeting's record is printed in.
    pub fonts: Arc<crate::minutes::render::Fonts>,
}

impl AppState {
    /// Pushes notifications written by a committed change to their users' tablets.
    pub fn push_notifications(&self, created: Vec<crate::notifications::Created>) {
        if !created.is_empty() {
            actix_web::rt::spawn(crate::live::notify::push(
                self.hub.clone(),
                self.db.clone(),
                created,
            ));
        }
    }

    /// Runs a change in one write transaction and, once it committed, publishes its events.
    pub async fn commit<T, F>(&self, change: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<(T, Vec<Event>), ApiError> + Send + 'static,
    {
        let (value, events) = self.db.write(change).await?;
        self.bus.publish(events);
        Ok(value)
    }
}
