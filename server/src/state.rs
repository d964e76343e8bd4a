//! Shared application state, built once at start and handed to every worker.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use arc_swap::ArcSwap;

use crate::accounts::key_cache::KeyCache;
use crate::accounts::routing_defaults::OrgRoutingDefaults;
use crate::accounts::sessions::SessionManager;
use crate::api::throttle::AuthThrottle;
use crate::billing::credit::CreditView;
use crate::config::Config;
use crate::gateway::health::{BreakerConfig, HealthBoard};
use crate::gateway::relay::Relay;
use crate::gateway::routing::{RoutingTable, StickyCache};
use crate::gateway::upstream::{Timeouts, UpstreamClient};
use crate::limits::RateLimits;
use crate::usage::writer::UsageWriter;

pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub sessions: SessionManager,
    pub keys: KeyCache,
    pub throttle: AuthThrottle,
    /// Inference rate limits (per key, per organization, `:free` variants), in memory.
    pub limits: RateLimits,
    /// The catalog and live providers; swapped whole when an admin changes them.
    pub routing: ArcSwap<RoutingTable>,
    pub relay: Relay,
    pub usage: UsageWriter,
    /// Prompt-cache stickiness (organization + model + prompt prefix -> provider).
    pub sticky: StickyCache,
    /// Organizations' routing defaults, in memory (see `accounts::routing_defaults`).
    pub org_routing: OrgRoutingDefaults,
    /// Organizations' credit as the hot path sees it (lifetime purchases; later balances).
    pub credit: CreditView,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        jwt_secret: &str,
        routing: RoutingTable,
        usage: UsageWriter,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let timeouts = Timeouts {
            connect: Duration::from_secs(config.upstream_connect_timeout_secs),
            first_byte: Duration::from_secs(config.upstream_first_byte_timeout_secs),
            idle: Duration::from_secs(config.upstream_idle_timeout_secs),
            total: Duration::from_secs(config.upstream_total_timeout_secs),
        };
        let breaker = BreakerConfig {
            threshold: config.breaker_failure_threshold.max(1),
            failure_rate_percent: config.breaker_failure_rate_percent.min(100),
            failure_rate_window: config.breaker_failure_rate_window.clamp(1, 64),
            cooldown_ms: config.breaker_cooldown_ms,
            max_cooldown_ms: config.breaker_max_cooldown_ms,
            // A probe is settled when its response headers arrive (or do not).
            probe_lease_ms: (timeouts.connect + timeouts.first_byte).as_millis() as u64,
            rate_limit_cooldown_ms: config.rate_limit_cooldown_ms,
        };
        let relay = Relay {
            client: UpstreamClient::new(timeouts)?,
            keep_alive: Duration::from_millis(config.stream_keep_alive_ms.max(10)),
            health: Arc::new(HealthBoard::new(breaker)),
            retry_budget: Duration::from_millis(config.retry_budget_ms),
        };
        Ok(AppState {
            routing: ArcSwap::from_pointee(routing),
            relay,
            usage,
            sticky: StickyCache::default(),
            org_routing: OrgRoutingDefaults::default(),
            credit: CreditView::new(),
            sessions: SessionManager::new(
                jwt_secret.as_bytes(),
                config.access_token_ttl_secs,
                config.session_ttl_secs,
            ),
            keys: KeyCache::new(Duration::from_secs(1), 200_000),
            throttle: AuthThrottle::new(&config),
            limits: RateLimits::new(&config),
            config: Arc::new(config),
            db,
        })
    }
}
