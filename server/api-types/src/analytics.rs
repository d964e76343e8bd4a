//! Usage analytics: `/activity` (OpenRouter's shape), `/analytics/meta` and
//! `/analytics/query`, the generations list, and the platform admins' analytics.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Usd;

/// `GET /activity`: daily rows per model, endpoint and provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityResponse {
    pub data: Vec<ActivityRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityRow {
    /// The UTC day, `YYYY-MM-DD`.
    pub date: String,
    pub model: String,
    /// The model's permanent slug (here the model id).
    pub model_permaslug: String,
    /// `<model>:<provider>`: the endpoint that served.
    pub endpoint_id: String,
    /// The provider that served (empty when none did).
    pub provider_name: String,
    /// Spent from credit (USD).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub usage: Usd,
    /// BYOK requests' upstream inference cost at the endpoints' prices (USD; billed by the
    /// providers, not from credit).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub byok_usage_inference: Usd,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub reasoning_tokens: i64,
}

/// `POST /analytics/query`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnalyticsQuery {
    /// One to sixteen metric names (see `/analytics/meta`).
    pub metrics: Vec<String>,
    /// Up to two of `model`, `key`, `provider`, `app`.
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Only rows whose dimension is one of the values (`{"model": ["openai/gpt-4o"]}`);
    /// `key` takes API key hashes.
    #[serde(default)]
    pub filters: BTreeMap<String, Vec<String>>,
    /// `hour` (ranges up to 31 days) or `day` (up to 366 days; the default).
    #[serde(default)]
    pub granularity: Option<String>,
    /// Start of the range (RFC 3339), rounded down to the granularity.
    pub start: DateTime<Utc>,
    /// End of the range (RFC 3339, exclusive), rounded up to the granularity.
    pub end: DateTime<Utc>,
    /// The top `limit` dimension values by `order_by` (1 to 1000, default 100).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The metric that ranks dimension values (default: the first metric), descending.
    #[serde(default)]
    pub order_by: Option<String>,
    /// Also the totals of the previous period of equal length (`previous` on each total).
    #[serde(default)]
    pub compare_previous: bool,
}

/// A metric's value: a count, a USD figure, a ratio, milliseconds, or null (a percentile
/// of no requests, a rate of none).
/// (In the document: a number or null per metric name.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricValue {
    Int(i64),
    Usd(Usd),
    Ratio(f64),
    Null,
}

pub type Metrics = BTreeMap<String, MetricValue>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsResponse {
    pub data: AnalyticsResult,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsResult {
    pub granularity: String,
    /// The range as queried, rounded to the granularity.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// One point per period and dimension values that had requests, oldest first (only
    /// the top `limit` dimension values).
    pub series: Vec<SeriesPoint>,
    /// The whole range per dimension values, ranked by `order_by`, at most `limit`.
    pub totals: Vec<Total>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeriesPoint {
    pub time: DateTime<Utc>,
    pub dimensions: BTreeMap<String, String>,
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, Option<f64>>))]
    pub metrics: Metrics,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Total {
    pub dimensions: BTreeMap<String, String>,
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, Option<f64>>))]
    pub metrics: Metrics,
    /// The previous period's figures (with `compare_previous`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<BTreeMap<String, Option<f64>>>))]
    pub previous: Option<Metrics>,
}

/// `GET /analytics/meta`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsMetaResponse {
    pub data: AnalyticsMeta,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsMeta {
    pub metrics: Vec<MetaEntry>,
    pub dimensions: Vec<MetaEntry>,
    pub granularities: Vec<String>,
    /// The longest range per granularity, in days.
    pub max_days: BTreeMap<String, u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetaEntry {
    pub name: String,
    pub description: String,
    /// `count`, `usd`, `ratio` or `ms` (metrics); `string` (dimensions).
    pub unit: String,
}

/// One generation in the list (`GET /generations`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerationSummary {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub model: String,
    pub provider_name: Option<String>,
    pub api_key_hash: String,
    /// `success`, `error` or `cancelled`.
    pub status: String,
    pub app: Option<String>,
    pub api_type: String,
    pub streamed: bool,
    pub tokens_prompt: i64,
    pub tokens_completion: i64,
    pub tokens_reasoning: i64,
    /// Charged from credit (USD).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub total_cost: Usd,
    pub is_byok: bool,
    /// Milliseconds to the first byte.
    pub latency: Option<i64>,
    pub generation_time: Option<i64>,
    pub finish_reason: Option<String>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerationPage {
    pub data: Vec<GenerationSummary>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<String>,
}

/// `GET /admin/analytics`: the platform over a range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformAnalyticsResponse {
    pub data: PlatformAnalytics,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformAnalytics {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Credit bought (Checkout purchases and auto top-ups, net of refunds), USD.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub purchases: Usd,
    /// Platform revenue: purchase fees and BYOK fees, USD.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub fees: Usd,
    /// Every organization together.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, Option<f64>>))]
    pub overall: Metrics,
    /// Per provider, by spend.
    pub providers: Vec<Total>,
    /// Per endpoint (model and provider), by spend.
    pub endpoints: Vec<Total>,
    /// The organizations that spent most.
    pub top_organizations: Vec<Total>,
}
