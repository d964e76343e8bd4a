//! The request's life: validate, admit, plan, relay, and one completion hook that runs
//! exactly once per request (see [`hook`]). The HTTP handlers parse, call [`Inference`] and
//! render; nothing here knows actix.
//!
//! [`Inference`] owns what the hot path reads — the routing table, the relay, the rate
//! limits, organizations' routing defaults, the sticky cache, the usage writer — so that
//! account and admin code reaches them only through its methods.

pub mod admission;
pub mod byok;
mod chat;
mod embeddings;
pub mod funding;
pub mod hook;
pub mod record;
pub mod response;
mod routing_metadata;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, Guard};

use crate::accounts::key_cache::AuthKey;
use crate::accounts::routing_defaults::OrgRoutingDefaults;
use crate::billing::budgets::OrgBudgets;
use crate::billing::byok_fee::ByokFees;
use crate::billing::credit::CreditView;
use crate::billing::reservations::CreditAccounts;
use crate::config::Config;
use crate::gateway::health::{BreakerConfig, HealthBoard};
use crate::gateway::relay::Relay;
use crate::gateway::routing::{RoutingTable, StickyCache};
use crate::gateway::upstream::{Timeouts, UpstreamClient};
use crate::limits::RateLimits;
use crate::usage::writer::UsageWriter;

pub use record::Attribution;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub use response::{ChatAnswer, InferenceError, Served};

/// The inference service. Cheap to clone (one shared part): a streaming request's completion
/// hook keeps a clone until the stream ends.
#[derive(Clone)]
pub struct Inference(Arc<Parts>);

struct Parts {
    /// The catalog and live providers; swapped whole when an admin changes them.
    routing: ArcSwap<RoutingTable>,
    relay: Relay,
    usage: UsageWriter,
    /// Prompt-cache stickiness (organization + model + prompt prefix -> provider).
    sticky: StickyCache,
    /// Organizations' routing defaults, in memory (see `accounts::routing_defaults`).
    org_routing: OrgRoutingDefaults,
    /// Organizations' own provider keys, decrypted, in memory, and the BYOK fee counters.
    byok: byok::ByokView,
    /// Inference rate limits (per key, per organization, `:free` variants), in memory.
    limits: RateLimits,
    /// Organizations' credit (lifetime purchases raise the `:free` cap).
    credit: Arc<CreditView>,
    /// Organizations' leased credit, reserved per request and settled by the hook.
    credit_accounts: CreditAccounts,
    /// Which organizations have budgets (see `billing::budgets`).
    budgets: OrgBudgets,
    /// Where a refusal for lack of credit sends the caller.
    credits_url: String,
    /// How long a stream's 200 waits for the first attempt, so that an early failure gets its
    /// real status.
    stream_commit: Duration,
    /// Bytes kept of each stored body (`PROMPT_LOG_MAX_BYTES`).
    content_cap: usize,
}

/// Who is asking: the key from the key cache and what the request says about its origin.
pub struct Caller {
    pub key: Arc<AuthKey>,
    pub attribution: Attribution,
    /// `X-OpenRouter-Metadata: enabled`: the routing decision goes into the answer.
    pub with_metadata: bool,
    /// The API the client spoke: `chat`, `completions`, `embeddings`, `responses` or
    /// `messages` (kept on the generation record).
    pub api_type: &'static str,
    /// `X-Request-Id`, kept on the generation record.
    pub request_id: Option<Arc<str>>,
    /// The request body as received, only when the key's organization stores prompts and
    /// completions (`AuthKey::store_content`); `None` costs nothing. A shared handle on the
    /// bytes the handler already holds, not a copy.
    pub request_body: Option<bytes::Bytes>,
}

impl Inference {
    /// The service as `config` sets it up (timeouts, breakers, retry budget, rate limits),
    /// over `routing` and recording through `usage`.
    pub fn from_config(
        config: &Config,
        routing: RoutingTable,
        usage: UsageWriter,
        credit: Arc<CreditView>,
        credit_accounts: CreditAccounts,
    ) -> Result<Self, BoxError> {
        let timeouts = Timeouts {
            connect: Duration::from_secs(config.upstream_connect_timeout_secs),
            first_byte: Duration::from_secs(config.upstream_first_byte_timeout_secs),
            stream_first_byte: Duration::from_secs(config.upstream_stream_first_byte_timeout_secs),
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
        Ok(Inference(Arc::new(Parts {
            routing: ArcSwap::from_pointee(routing),
            relay,
            usage,
            sticky: StickyCache::default(),
            org_routing: OrgRoutingDefaults::default(),
            byok: byok::ByokView::new(ByokFees::new(
                config.byok_fee_basis_points,
                config.byok_free_requests_per_month,
            )),
            limits: RateLimits::new(config),
            credit,
            credit_accounts,
            budgets: OrgBudgets::default(),
            credits_url: format!(
                "{}/app/credits",
                config
                    .public_url
                    .as_deref()
                    .unwrap_or("")
                    .trim_end_matches('/')
            ),
            stream_commit: Duration::from_millis(config.stream_commit_ms),
            content_cap: config.prompt_log_max_bytes,
        })))
    }

    /// The routing table in force (the catalog views read it too).
    pub fn routing(&self) -> Guard<Arc<RoutingTable>> {
        self.0.routing.load()
    }

    /// Swaps in a new routing table (the catalog changed).
    pub fn replace_routing(&self, table: RoutingTable) {
        self.0.routing.store(Arc::new(table));
    }

    /// Endpoint health, for the catalog's statistics.
    pub fn health(&self) -> &HealthBoard {
        &self.0.relay.health
    }

    /// The rate limits, for the admins' overrides and the key's view of its limits.
    pub fn limits(&self) -> &RateLimits {
        &self.0.limits
    }

    /// Organizations' routing defaults, set by their admins.
    pub fn org_routing(&self) -> &OrgRoutingDefaults {
        &self.0.org_routing
    }

    /// Organizations' budgets, as the hot path sees them.
    pub fn budgets(&self) -> &OrgBudgets {
        &self.0.budgets
    }

    /// Organizations' leased credit (renewed by a maintenance task, released at shutdown).
    pub fn credit_accounts(&self) -> &CreditAccounts {
        &self.0.credit_accounts
    }

    /// Organizations' own provider keys (BYOK) and the BYOK fee counters.
    pub fn byok(&self) -> &byok::ByokView {
        &self.0.byok
    }

    /// The usage writer, to flush (reads of fresh records) and to stop at shutdown.
    pub fn usage(&self) -> &UsageWriter {
        &self.0.usage
    }
}
