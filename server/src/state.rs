//! Shared application state, built once at start and handed to every worker.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use arc_swap::ArcSwap;

use crate::accounts::key_cache::KeyCache;
use crate::accounts::routing_defaults::OrgRoutingDefaults;
use crate::accounts::sessions::SessionManager;
use crate::api::throttle::AuthThrottle;
use crate::config::Config;
use crate::gateway::relay::Relay;
use crate::gateway::routing::{HealthSource, NoHealthData, RoutingTable, StickyCache};
use crate::gateway::upstream::{Timeouts, UpstreamClient};
use crate::usage::writer::UsageWriter;

pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub sessions: SessionManager,
    pub keys: KeyCache,
    pub throttle: AuthThrottle,
    /// The catalog and live providers; swapped whole when an admin changes them.
    pub routing: ArcSwap<RoutingTable>,
    pub relay: Relay,
    pub usage: UsageWriter,
    /// Endpoint health for routing. `NoHealthData` until a health board is wired in.
    pub health: Arc<dyn HealthSource>,
    /// Prompt-cache stickiness (organization + model + prompt prefix -> provider).
    pub sticky: StickyCache,
    /// Organizations' routing defaults, in memory (see `accounts::routing_defaults`).
    pub org_routing: OrgRoutingDefaults,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        jwt_secret: &str,
        routing: RoutingTable,
        usage: UsageWriter,
    ) -> Result<Self, reqwest::Error> {
        let timeouts = Timeouts {
            connect: Duration::from_secs(config.upstream_connect_timeout_secs),
            first_byte: Duration::from_secs(config.upstream_first_byte_timeout_secs),
            idle: Duration::from_secs(config.upstream_idle_timeout_secs),
            total: Duration::from_secs(config.upstream_total_timeout_secs),
        };
        let relay = Relay {
            client: UpstreamClient::new(timeouts)?,
            keep_alive: Duration::from_millis(config.stream_keep_alive_ms.max(10)),
        };
        Ok(AppState {
            routing: ArcSwap::from_pointee(routing),
            relay,
            usage,
            health: Arc::new(NoHealthData),
            sticky: StickyCache::default(),
            org_routing: OrgRoutingDefaults::default(),
            sessions: SessionManager::new(
                jwt_secret.as_bytes(),
                config.access_token_ttl_secs,
                config.session_ttl_secs,
            ),
            keys: KeyCache::new(Duration::from_secs(1), 200_000),
            throttle: AuthThrottle::new(&config),
            config: Arc::new(config),
            db,
        })
    }
}
