//! Shared application state, built once at start and handed to every worker.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::accounts::key_cache::KeyCache;
use crate::accounts::sessions::SessionManager;
use crate::api::throttle::AuthThrottle;
use crate::config::Config;

pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub sessions: SessionManager,
    pub keys: KeyCache,
    pub throttle: AuthThrottle,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config, jwt_secret: &str) -> Self {
        AppState {
            sessions: SessionManager::new(
                jwt_secret.as_bytes(),
                config.access_token_ttl_secs,
                config.session_ttl_secs,
            ),
            keys: KeyCache::new(Duration::from_secs(1), 200_000),
            throttle: AuthThrottle::new(&config),
            config: Arc::new(config),
            db,
        }
    }
}
