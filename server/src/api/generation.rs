//! `GET /api/v1/generation?id=`: one generation's record, for its own organization only.

use actix_web::{HttpRequest, get, web};
use chrono::{DateTime, Utc};
use entity::generation;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::error::{ApiError, extractors};
use super::extract::ApiKeyOrOrg;
use super::openapi::ErrorBody;
use crate::billing::money::Nanos;
use crate::state::AppState;
use crate::usage::{content, generations};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GenerationQuery {
    /// The `gen-...` id from the response (or its `X-Generation-Id` header).
    pub id: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProviderResponse {
    pub provider_name: Option<String>,
    pub model: Option<String>,
    pub status: Option<u16>,
    pub latency: Option<u64>,
    pub error: Option<String>,
    /// The endpoint's tag (which of the provider's endpoints was tried).
    pub endpoint: Option<String>,
    /// OpenRouter's `error_type` of the failure.
    pub error_type: Option<String>,
    /// Milliseconds from the request's start to this attempt.
    pub started_ms: Option<u64>,
    /// Why the endpoint was not tried (circuit open, cooling after a rate limit, retry
    /// budget spent); `null` for attempts that were made.
    pub skipped: Option<String>,
}

/// OpenRouter's generation record. `tokens_*` are the counts billed; `native_tokens_*` the
/// upstream's own (equal, unless the upstream reported none and ours are estimates: then
/// `null`).
#[derive(Serialize, ToSchema)]
pub struct GenerationView {
    pub id: String,
    pub upstream_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub model: String,
    pub provider_name: Option<String>,
    /// `completions` (chat and legacy), `embeddings`, `responses` or `messages`.
    pub api_type: String,
    pub app_id: Option<i64>,
    pub http_referer: Option<String>,
    pub origin: String,
    pub user_agent: Option<String>,
    pub external_user: Option<String>,
    pub streamed: bool,
    pub cancelled: bool,
    /// Milliseconds to the first token (streamed: the first content chunk; whole: the
    /// upstream's response).
    pub latency: Option<i64>,
    /// Milliseconds from the first to the last upstream byte.
    pub generation_time: Option<i64>,
    pub moderation_latency: Option<i64>,
    pub finish_reason: Option<String>,
    pub native_finish_reason: Option<String>,
    pub tokens_prompt: i64,
    pub tokens_completion: i64,
    pub native_tokens_prompt: Option<i64>,
    pub native_tokens_completion: Option<i64>,
    pub native_tokens_reasoning: Option<i64>,
    pub native_tokens_cached: Option<i64>,
    pub native_tokens_completion_images: i64,
    pub num_media_prompt: i64,
    pub num_media_completion: i64,
    pub num_input_audio_prompt: i64,
    pub num_search_results: i64,
    pub num_fetches: i64,
    #[schema(value_type = f64)]
    pub total_cost: Nanos,
    #[schema(value_type = f64)]
    pub usage: Nanos,
    #[schema(value_type = Option<f64>)]
    pub upstream_inference_cost: Option<Nanos>,
    pub cache_discount: Option<f64>,
    pub is_byok: bool,
    pub data_region: &'static str,
    pub router: Option<String>,
    pub preset_id: Option<String>,
    pub service_tier: Option<String>,
    pub web_search_engine: Option<String>,
    pub workspace_id: String,
    pub provider_responses: Vec<ProviderResponse>,
    /// The output cap the gateway set because the organization's balance could afford no more
    /// (the request named no `max_tokens`); `null` when it went upstream as sent.
    pub capped_max_tokens: Option<i64>,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
    /// The HTTP status the request was answered with (402, 403 and 429 refusals are
    /// recorded too, with no cost; 499: the client left before the answer ended).
    pub status: i32,
    /// The error the request ended with, if any.
    pub error: Option<String>,
    /// Completion tokens per second of generation time (`null` without both).
    pub tokens_per_second: Option<f64>,
    /// The BYOK fee charged from credit (dollars; 0 unless `is_byok`).
    #[schema(value_type = f64)]
    pub byok_fee: Nanos,
    /// The request and response bodies are stored (the organization opted in; see
    /// `GET /generation/content`).
    pub content_stored: bool,
}

impl GenerationView {
    fn new(g: generation::Model) -> Self {
        let provider_responses = g
            .attempts
            .parse::<Vec<Value>>()
            .ok()
            .map(|attempts| {
                attempts
                    .iter()
                    .map(|a| ProviderResponse {
                        provider_name: a["provider"].as_str().map(str::to_owned),
                        model: a["model"].as_str().map(str::to_owned),
                        status: a["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
                        latency: a["latency_ms"].as_u64(),
                        error: a["error"].as_str().map(str::to_owned),
                        endpoint: a["endpoint"].as_str().map(str::to_owned),
                        error_type: a["error_type"].as_str().map(str::to_owned),
                        started_ms: a["started_ms"].as_u64(),
                        skipped: a["skipped"].as_str().map(str::to_owned),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cost = Nanos::from_nanos(g.cost_nanos);
        GenerationView {
            origin: g.http_referer.clone().unwrap_or_default(),
            id: g.id,
            upstream_id: g.upstream_id,
            created_at: g.created_at,
            model: g.model,
            provider_name: g.provider,
            // OpenRouter calls chat completions "completions".
            api_type: if g.api_type == "chat" {
                "completions".to_owned()
            } else {
                g.api_type
            },
            app_id: None,
            http_referer: g.http_referer,
            user_agent: g.user_agent,
            external_user: g.external_user,
            streamed: g.streamed,
            cancelled: g.cancelled,
            latency: g.latency_ms,
            generation_time: g.generation_time_ms,
            moderation_latency: None,
            finish_reason: g.finish_reason,
            native_finish_reason: g.native_finish_reason,
            tokens_prompt: g.tokens_prompt,
            tokens_completion: g.tokens_completion,
            native_tokens_prompt: g.native_tokens_prompt,
            native_tokens_completion: g.native_tokens_completion,
            native_tokens_reasoning: g.native_tokens_reasoning,
            native_tokens_cached: g.native_tokens_cached,
            native_tokens_completion_images: 0,
            num_media_prompt: 0,
            num_media_completion: 0,
            num_input_audio_prompt: 0,
            num_search_results: 0,
            num_fetches: 0,
            total_cost: cost,
            usage: cost,
            upstream_inference_cost: g.upstream_cost_nanos.map(Nanos::from_nanos),
            cache_discount: None,
            is_byok: g.is_byok,
            data_region: "global",
            router: None,
            preset_id: None,
            service_tier: None,
            web_search_engine: None,
            workspace_id: g.org_id,
            provider_responses,
            capped_max_tokens: g.capped_max_tokens,
            request_id: g.request_id,
            status: g.status,
            error: g.error,
            // A rate for display, not money.
            tokens_per_second: g
                .generation_time_ms
                .filter(|&ms| ms > 0 && g.tokens_completion > 0)
                .map(|ms| g.tokens_completion as f64 * 1000.0 / ms as f64),
            byok_fee: Nanos::from_nanos(g.byok_fee_nanos),
            content_stored: false,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GenerationResponse {
    pub data: GenerationView,
}

/// One generation of the caller's organization (an inference key, a management key or a
/// member's session).
#[utoipa::path(tag = "inference", params(GenerationQuery), responses(
    (status = 200, body = GenerationResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/generation")]
pub async fn get_generation(
    state: web::Data<AppState>,
    caller: ApiKeyOrOrg,
    req: HttpRequest,
) -> Result<web::Json<GenerationResponse>, ApiError> {
    // Read after the caller is known: an unauthenticated request gets 401 whatever it asks.
    let query: GenerationQuery = extractors::query(&req)?;
    let found = generations::find(&state.db, &caller.0, &query.id).await?;
    // The writer commits within ~100 ms of the response; a caller asking right away may race it.
    let found = match found {
        Some(g) => Some(g),
        None => {
            state.inference.usage().flush().await;
            generations::find(&state.db, &caller.0, &query.id).await?
        }
    };
    let generation =
        found.ok_or_else(|| ApiError::NotFound(format!("Generation {} not found", query.id)))?;
    let mut view = GenerationView::new(generation);
    // Written with the record (one transaction): found with it, or never stored.
    view.content_stored = content::exists(&state.db, &caller.0, &query.id).await?;
    Ok(web::Json(GenerationResponse { data: view }))
}
