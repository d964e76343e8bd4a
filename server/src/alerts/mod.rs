//! Alerts: an organization's low-balance alert and its keys' spend alerts (80 % and 100 % of a
//! key's limit), delivered to the webhook the organization sets, signed, retried, at most once
//! per crossing, and listed for the dashboard.
//!
//! Nothing runs on the request path. The shape is an outbox:
//! - [`detect`] compares balances and key spend with the thresholds right after the usage writer
//!   commits spend (the writer marks the organizations, see `usage::spend_changed`) and in a
//!   periodic sweep (changes made elsewhere: credit added, limits raised, periods turned). A
//!   crossing flips its `alert_states` row with a conditional update and inserts its event in
//!   the same transaction; the event's unique `dedupe_key` names the crossing, so two
//!   processes or a retry cannot report it twice. A state re-arms when the crossing is undone.
//! - [`deliver`] claims due events with a conditional update (safe with several processes on
//!   one database), POSTs them signed ([`signature`]), and retries with capped exponential
//!   backoff up to a number of attempts.
//! - [`address`] keeps webhooks off loopback and private networks, when the URL is set and on
//!   every delivery's resolved addresses (DNS rebinding), unless the operator allows them.

pub mod address;
pub mod deliver;
pub mod detect;
pub mod events;
pub mod settings;
pub mod signature;

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::Notify;

use crate::accounts::AccountError;
use crate::accounts::byok::crypto::MasterKey;
use crate::config::Config;
use crate::usage::spend_changed::SpendChanged;

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// Bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The request needs settings the organization has not made (a webhook URL).
    #[error("{0}")]
    Conflict(String),
    /// Too many test alerts lately; retry after this many seconds.
    #[error("At most {max} test alerts a minute: try again in {retry_after_secs} s")]
    TooManyTests { max: u32, retry_after_secs: u64 },
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The operator's alert settings (see `config`).
#[derive(Clone, Debug)]
pub struct AlertOptions {
    pub allow_private: bool,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub retry_first: Duration,
    pub retry_max: Duration,
    pub sweep_every: Duration,
    /// Test alerts an organization may send in any minute (at least 1).
    pub tests_per_minute: u32,
}

impl AlertOptions {
    pub fn from_config(config: &Config) -> Self {
        AlertOptions {
            allow_private: config.alert_webhook_allow_private,
            timeout: Duration::from_secs(config.alert_webhook_timeout_secs.max(1)),
            max_attempts: config.alert_max_attempts.max(1),
            retry_first: Duration::from_millis(config.alert_retry_first_ms.max(10)),
            retry_max: Duration::from_secs(config.alert_retry_max_secs.max(1)),
            sweep_every: Duration::from_secs(config.alert_check_secs.max(1)),
            tests_per_minute: config.alert_tests_per_minute.max(1),
        }
    }
}

/// The alert service a process runs: its database, the master key that opens webhook
/// secrets, the webhook client, and the delivery worker's wake-up.
pub struct Alerts {
    pub db: DatabaseConnection,
    pub master_key: MasterKey,
    pub options: AlertOptions,
    http: reqwest::Client,
    /// Rung when this process inserts an event, so that delivery starts at once.
    wake: Notify,
    /// The organizations with a webhook, as this process last saw them (each sweep reads them
    /// all; a settings change here updates them at once). Committed spend of any other
    /// organization is not checked: that would cost a query per batch of the usage writer for
    /// organizations that set no alerts, on the runtime that serves requests.
    watched: RwLock<HashSet<String>>,
}

impl Alerts {
    pub fn new(
        db: DatabaseConnection,
        master_key: MasterKey,
        options: AlertOptions,
    ) -> Result<Self, reqwest::Error> {
        let http = address::webhook_client(&options)?;
        Ok(Alerts {
            db,
            master_key,
            options,
            http,
            wake: Notify::new(),
            watched: RwLock::default(),
        })
    }

    pub(crate) fn wake_delivery(&self) {
        self.wake.notify_one();
    }

    /// Notes whether `org_id` has a webhook (after this process changed its settings).
    pub fn watch_org(&self, org_id: &str, has_webhook: bool) {
        let mut watched = self.watched.write().unwrap_or_else(|p| p.into_inner());
        if has_webhook {
            watched.insert(org_id.to_owned());
        } else {
            watched.remove(org_id);
        }
    }

    /// The organizations with a webhook, all of them (from a sweep).
    pub(crate) fn watch_orgs(&self, orgs: HashSet<String>) {
        *self.watched.write().unwrap_or_else(|p| p.into_inner()) = orgs;
    }

    fn watches(&self, org_id: &str) -> bool {
        self.watched
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(org_id)
    }

    /// Starts the checker (after committed spend, and the periodic sweep) and the delivery
    /// worker, on the current (actix) runtime.
    pub fn spawn(self: &Arc<Self>, spend_changed: Arc<SpendChanged>) {
        spend_changed.watch();
        let checking = self.clone();
        actix_web::rt::spawn(async move {
            loop {
                let orgs = spend_changed.next().await;
                for org in orgs.into_iter().filter(|org| checking.watches(org)) {
                    if let Err(err) = detect::check_org(&checking, &org).await {
                        tracing::warn!(%err, org_id = %org, "checking alert thresholds failed");
                    }
                }
            }
        });
        let sweeping = self.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(sweeping.options.sweep_every);
            loop {
                tick.tick().await;
                if let Err(err) = detect::sweep(&sweeping).await {
                    tracing::warn!(%err, "sweeping alert thresholds failed");
                }
            }
        });
        let delivering = self.clone();
        actix_web::rt::spawn(async move { deliver::run(&delivering).await });
    }
}
