//! Shared application state, built once at start and handed to every worker.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::accounts::byok::crypto::MasterKey;
use crate::accounts::key_cache::KeyCache;
use crate::accounts::sessions::SessionManager;
use crate::alerts::{AlertOptions, Alerts};
use crate::api::throttle::AuthThrottle;
use crate::billing::credit::CreditView;
use crate::billing::reservations::CreditAccounts;
use crate::billing::stripe::Purchasing;
use crate::billing::stripe::settings::StripeSettings;
use crate::config::Config;
use crate::gateway::routing::RoutingTable;
use crate::inference::Inference;
use crate::metrics::Metrics;
use crate::usage::writer::UsageWriter;

pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub sessions: SessionManager,
    pub keys: KeyCache,
    pub throttle: AuthThrottle,
    /// The hot path's own state: routing table, relay, rate limits, stickiness, usage writer.
    pub inference: Inference,
    /// Organizations' credit as the hot path sees it (lifetime purchases; later balances),
    /// shared with the inference service.
    pub credit: Arc<CreditView>,
    /// Encrypts and decrypts organizations' own provider keys (BYOK) at rest.
    pub master_key: MasterKey,
    /// Buying credit with Stripe (answers "not configured" without a Stripe key).
    pub purchasing: Purchasing,
    /// Prometheus metrics (`GET /metrics`); `None` when `METRICS_ENABLED=false`.
    pub metrics: Option<Metrics>,
    /// Low-balance and key-spend alerts to organizations' webhooks.
    pub alerts: Arc<Alerts>,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        jwt_secret: &str,
        routing: RoutingTable,
        usage: UsageWriter,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let credit = Arc::new(CreditView::new());
        let credit_accounts = CreditAccounts::new(
            db.clone(),
            Duration::from_secs(config.credit_lease_ttl_secs.max(1)),
        );
        let master_key = config.resolved_master_key()?;
        let purchasing = Purchasing::new(
            StripeSettings::from_config(&config),
            db.clone(),
            credit.clone(),
            credit_accounts.clone(),
        )?;
        let alerts = Arc::new(Alerts::new(
            db.clone(),
            master_key.clone(),
            AlertOptions::from_config(&config),
        )?);
        Ok(AppState {
            metrics: Metrics::install(&config),
            alerts,
            master_key,
            inference: Inference::from_config(
                &config,
                routing,
                usage,
                credit.clone(),
                credit_accounts,
            )?,
            credit,
            purchasing,
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
