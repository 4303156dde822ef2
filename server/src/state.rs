//! The state every handler shares: the database, settings and the long-lived services built
//! from them at start.

use std::sync::Arc;

use crate::auth::rate_limit::LoginLimiter;
use crate::auth::tokens::TokenService;
use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;

#[derive(Debug)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub tokens: TokenService,
    pub login_limiter: LoginLimiter,
    pub metrics: Metrics,
}
