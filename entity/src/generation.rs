use sea_orm::entity::prelude::*;

use crate::json_text::JsonText;

/// One inference request as served: what was asked, who served it, tokens, cost, timings.
/// `cost_nanos` is what the request was charged from credits (for BYOK, the fee).
/// Written by the batched usage writer after the response; read by `GET /generation` and analytics.
/// Serializable: the usage writer's dead-letter file keeps rows that could not be written.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "generations")]
pub struct Model {
    /// `gen-<unix>-<random>`, also sent to the client.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub api_key_hash: String,
    /// The model the client asked for (may be a fallback list's first entry or a router slug).
    pub requested_model: String,
    /// The model that served.
    pub model: String,
    pub provider: Option<String>,
    pub upstream_id: Option<String>,
    pub streamed: bool,
    pub cancelled: bool,
    pub finish_reason: Option<String>,
    pub native_finish_reason: Option<String>,
    pub tokens_prompt: i64,
    pub tokens_completion: i64,
    pub tokens_reasoning: i64,
    pub tokens_cached: i64,
    pub tokens_cache_write: i64,
    /// Nano-dollars (1e-9 USD).
    pub cost_nanos: i64,
    pub is_byok: bool,
    /// BYOK only: the provider's price in nano-dollars, billed to the organization by the
    /// provider (never charged from credits; `cost_nanos` is then the BYOK fee).
    pub upstream_cost_nanos: Option<i64>,
    /// Milliseconds from the request's start to the first token (streamed: the first content
    /// chunk; whole: the upstream's response headers). OpenRouter's `latency`.
    pub latency_ms: Option<i64>,
    /// Milliseconds from the first to the last byte of the upstream answer.
    pub generation_time_ms: Option<i64>,
    pub http_referer: Option<String>,
    pub app_title: Option<String>,
    pub user_agent: Option<String>,
    pub external_user: Option<String>,
    /// Every upstream attempt: `[{provider, status, latency_ms, error}]`, as JSON text
    /// (serialized once, bound as is by the usage writer).
    pub attempts: JsonText,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    /// The output cap the gateway set because the balance could afford no more (the request
    /// named no `max_tokens`); `None` when the request went upstream as sent.
    pub capped_max_tokens: Option<i64>,
    /// The API the request came through: `chat`, `completions` (legacy), `embeddings`,
    /// `responses` or `messages`.
    pub api_type: String,
    /// The request's `X-Request-Id` (the caller's, or the one the gateway made).
    pub request_id: Option<String>,
    /// The HTTP status the request was answered with: 200, a refusal (402, 403, 429) before
    /// any upstream was tried, an upstream failure's status, or 499 when the client left first.
    pub status: i32,
    /// The BYOK fee charged from credit (equal to `cost_nanos` for a BYOK generation, 0
    /// otherwise).
    pub byok_fee_nanos: i64,
    /// The token counts as the upstream reported them; `None` when it reported none (ours
    /// are then estimates).
    pub native_tokens_prompt: Option<i64>,
    pub native_tokens_completion: Option<i64>,
    pub native_tokens_reasoning: Option<i64>,
    pub native_tokens_cached: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
