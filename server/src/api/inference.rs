//! `POST /api/v1/chat/completions` and the legacy `POST /api/v1/completions`: the
//! OpenAI-compatible inference endpoints.
//!
//! Hot path: the key comes from the in-memory key cache and the endpoints from the in-memory
//! routing table; the database is touched only after the response, by the usage writer.

use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use futures_util::StreamExt;
use serde_json::Value;
use tokio_stream::wrappers::ReceiverStream;

use super::error::{ApiError, upstream_failure};
use super::extract::InferenceKey;
use super::json;
use super::openapi::ErrorBody;
use crate::accounts::key_cache::AuthKey;
use crate::gateway::relay::{ChunkFormat, Outcome, StreamStart};
use crate::gateway::routing::{Plan, PlanContext};
use crate::gateway::types::{ChatRequest, CompletionRequest, EmbeddingRequest, ReasoningConfig};
use crate::limits::is_free_request;
use crate::state::AppState;
use crate::usage::record::{KeyUsage, UsageRecord};

/// Header names are built at compile time: parsing one (as a `&str` name is, on every use)
/// shows in the hot path's profile.
pub const GENERATION_HEADER: HeaderName = HeaderName::from_static("x-generation-id");
/// `X-OpenRouter-Metadata: enabled` adds the routing decision to the response.
pub const METADATA_HEADER: HeaderName = HeaderName::from_static("x-openrouter-metadata");

/// `gen-<unix seconds>-<20 characters>`, as OpenRouter's ids look. The first four characters
/// are the microsecond within the second, in an alphabet that sorts like its values; the other
/// sixteen are random (95 bits). Ids made close in time therefore sort close together, so the
/// generations table's primary-key index grows at its right edge: random ids dirtied one index
/// page per row, which made SQLite write about 4 KiB of WAL per recorded request.
pub fn new_generation_id() -> String {
    // ASCII order, so that fixed-width strings sort as the numbers they encode.
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let now = Utc::now();
    let mut id = format!("gen-{}-", now.timestamp());
    let mut micros = u64::from(now.timestamp_subsec_micros().min(999_999));
    let mut prefix = [0u8; 4]; // 62^4 > 10^6
    for slot in prefix.iter_mut().rev() {
        *slot = ALPHABET[(micros % 62) as usize];
        micros /= 62;
    }
    id.extend(prefix.iter().map(|&b| b as char));
    id.extend((0..16).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char));
    id
}

/// Checks the parts of a request the gateway itself relies on; the rest is the provider's.
fn validate(request: &ChatRequest) -> Result<(), ApiError> {
    if request.messages.is_empty() {
        return Err(ApiError::bad_request(
            "messages: must contain at least one message",
        ));
    }
    if request.model.trim().is_empty() && request.models.as_ref().is_none_or(Vec::is_empty) {
        return Err(ApiError::bad_request("model: required (or give `models`)"));
    }
    let range = |name: &str, value: Option<f64>, low: f64, high: f64| match value {
        Some(v) if !(low..=high).contains(&v) => Err(ApiError::bad_request(format!(
            "{name}: must be between {low} and {high}"
        ))),
        _ => Ok(()),
    };
    range("temperature", request.temperature, 0.0, 2.0)?;
    range("top_p", request.top_p, 0.0, 1.0)?;
    range("frequency_penalty", request.frequency_penalty, -2.0, 2.0)?;
    range("presence_penalty", request.presence_penalty, -2.0, 2.0)?;
    if request.max_tokens == Some(0) || request.max_completion_tokens == Some(0) {
        return Err(ApiError::bad_request("max_tokens: must be at least 1"));
    }
    Ok(())
}

/// Who called, from which app: kept on the generation record.
struct Attribution {
    http_referer: Option<String>,
    app_title: Option<String>,
    user_agent: Option<String>,
}

impl Attribution {
    fn of(req: &HttpRequest) -> Self {
        const HTTP_REFERER: HeaderName = HeaderName::from_static("http-referer");
        const X_OPENROUTER_TITLE: HeaderName = HeaderName::from_static("x-openrouter-title");
        const X_TITLE: HeaderName = HeaderName::from_static("x-title");
        let value_of = |name: HeaderName| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(512).collect::<String>())
                .filter(|v| !v.is_empty())
        };
        Attribution {
            http_referer: value_of(HTTP_REFERER).or_else(|| value_of(header::REFERER)),
            app_title: value_of(X_OPENROUTER_TITLE).or_else(|| value_of(X_TITLE)),
            user_agent: value_of(header::USER_AGENT),
        }
    }
}

struct Recording {
    generation_id: String,
    key: std::sync::Arc<AuthKey>,
    requested_model: String,
    external_user: Option<String>,
    attribution: Attribution,
    /// When the request arrived (the record itself is assembled later, by the usage writer).
    created_at: chrono::DateTime<Utc>,
}

impl Recording {
    /// The request's usage records: its generation and its key's spend.
    fn into_records(self, outcome: Outcome, records: &mut Vec<UsageRecord>) {
        let spent = KeyUsage::spent(self.key.key.hash.clone(), outcome.cost, outcome.is_byok);
        records.push(UsageRecord::Generation(Box::new(
            self.into_generation(outcome),
        )));
        records.push(UsageRecord::KeyUsage(spent));
    }

    fn into_generation(self, outcome: Outcome) -> entity::generation::Model {
        let (model, provider) = match &outcome.served {
            Some(target) => (target.model_id.clone(), Some(target.provider_name.clone())),
            None => (self.requested_model.clone(), None),
        };
        let usage = &outcome.usage;
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        entity::generation::Model {
            id: self.generation_id,
            org_id: self.key.key.org_id.clone(),
            api_key_hash: self.key.key.hash.clone(),
            requested_model: self.requested_model,
            model,
            provider,
            upstream_id: outcome.upstream_id,
            streamed: outcome.streamed,
            cancelled: outcome.cancelled,
            finish_reason: outcome.finish_reason,
            native_finish_reason: outcome.native_finish_reason,
            tokens_prompt: count(usage.prompt_tokens),
            tokens_completion: count(usage.completion_tokens),
            tokens_reasoning: count(usage.reasoning_tokens()),
            tokens_cached: count(usage.cached_tokens()),
            tokens_cache_write: count(usage.cache_write_tokens()),
            cost_nanos: outcome.cost.as_nanos(),
            is_byok: outcome.is_byok,
            latency_ms: outcome.first_byte.map(|d| d.as_millis() as i64),
            generation_time_ms: outcome.generation_time.map(|d| d.as_millis() as i64),
            http_referer: self.attribution.http_referer,
            app_title: self.attribution.app_title,
            user_agent: self.attribution.user_agent,
            external_user: self.external_user,
            attempts: serde_json::to_value(&outcome.attempts).unwrap_or(Value::Null),
            error: outcome.error.map(|e| e.message),
            created_at: self.created_at,
        }
    }
}

/// Create a chat completion (OpenAI's format with OpenRouter's extras), streaming or not.
#[utoipa::path(tag = "inference", request_body(content = Object, description = "OpenAI chat completion request with OpenRouter extras (`models`, `provider`, `reasoning`, ...)"), responses(
    (status = 200, description = "A `chat.completion`, or with `stream: true` an SSE stream of `chat.completion.chunk`s ending in a usage chunk and `[DONE]`"),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, description = "No endpoint can serve the model", body = ErrorBody),
    (status = 408, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody),
    (status = 502, description = "Provider returned error", body = ErrorBody), (status = 503, body = ErrorBody),
))]
#[post("/chat/completions")]
pub async fn chat_completions(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: InferenceKey,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let request: ChatRequest = json::parse(&body)?;
    // Boxed: the request's state machine is kilobytes, and actix moves the handler's future
    // (a memcpy of its whole size each time) before polling it.
    Box::pin(serve(
        &req,
        &state,
        caller,
        request,
        ChunkFormat::Chat,
        started,
    ))
    .await
}

/// Create a legacy text completion (`text_completion`), served by any provider through chat.
#[utoipa::path(tag = "inference", request_body(content = Object, description = "OpenAI legacy completion request: `model`, `prompt` (a string), `max_tokens`, `stream`, ..."), responses(
    (status = 200, description = "A `text_completion`, or with `stream: true` an SSE stream of `text_completion` chunks ending in `[DONE]`"),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
))]
#[post("/completions")]
pub async fn completions(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: InferenceKey,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let legacy: CompletionRequest = json::parse(&body)?;
    let request = crate::gateway::legacy::to_chat(&legacy).map_err(|e| {
        ApiError::bad_request(
            e.to_string()
                .trim_start_matches("invalid request: ")
                .to_owned(),
        )
    })?;
    Box::pin(serve(
        &req,
        &state,
        caller,
        request,
        ChunkFormat::Text,
        started,
    ))
    .await
}

/// The shared path: validate, route, relay (whole or streamed), record the generation.
async fn serve(
    req: &HttpRequest,
    state: &AppState,
    caller: InferenceKey,
    request: ChatRequest,
    format: ChunkFormat,
    started: Instant,
) -> Result<HttpResponse, ApiError> {
    validate(&request)?;
    // Free if any requested model is (a paid fallback must not dodge the free caps).
    let is_free = is_free_request(std::slice::from_ref(&request.model))
        || request.models.as_deref().is_some_and(is_free_request);
    let admitted = super::rate_limits::admit(state, &caller.0, is_free)?;
    let mut request = request;
    let org_id = caller.0.key.org_id.clone();
    let org_defaults = state.org_routing.get(&org_id);
    let plan = state.routing.load().plan(
        &request,
        &PlanContext {
            org_id: &org_id,
            org_defaults: org_defaults.as_deref(),
            health: state.relay.health.as_ref(),
            sticky: Some(&state.sticky),
        },
    )?;
    if plan.enable_reasoning {
        request
            .reasoning
            .get_or_insert_with(ReasoningConfig::default)
            .enabled = Some(true);
    }
    let with_metadata = req
        .headers()
        .get(METADATA_HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"enabled"));
    let generation_id = new_generation_id();
    let recording = Recording {
        generation_id: generation_id.clone(),
        key: caller.0,
        requested_model: request.model.clone(),
        external_user: request.user.clone(),
        attribution: Attribution::of(req),
        created_at: Utc::now(),
    };

    if !request.is_stream() {
        // Boxed, so that this future and the streaming branch's locals do not both inflate
        // the request's state machine.
        let (result, outcome) = Box::pin(state.relay.complete(
            &plan.targets,
            &request,
            &generation_id,
            started,
        ))
        .await;
        let provider = outcome.provider_name();
        remember_cache_hit(state, &plan, &outcome);
        let metadata = with_metadata.then(|| super::routing_metadata::of(&plan, &outcome));
        let attempts = result.is_err().then(|| outcome.attempts.clone());
        state
            .usage
            .record_with(move |records| recording.into_records(outcome, records))
            .await;
        let response = result.map_err(|err| {
            let error = upstream_failure(&err, provider.as_deref(), &attempts.unwrap_or_default());
            match &metadata {
                Some(m) => super::routing_metadata::on_error(error, m.clone()),
                None => error,
            }
        })?;
        let mut ok = HttpResponse::Ok();
        ok.insert_header((GENERATION_HEADER, generation_id));
        let response = match (metadata, format) {
            // The common case serializes the typed response straight to bytes.
            (None, ChunkFormat::Chat) => ok.json(response),
            (None, ChunkFormat::Text) => ok.json(crate::gateway::legacy::from_chat(response)),
            (Some(metadata), format) => {
                let mut body = match format {
                    ChunkFormat::Chat => serde_json::to_value(response),
                    ChunkFormat::Text => {
                        serde_json::to_value(crate::gateway::legacy::from_chat(response))
                    }
                }
                .map_err(ApiError::internal)?;
                if let Some(object) = body.as_object_mut() {
                    object.insert("openrouter_metadata".into(), metadata);
                }
                ok.json(body)
            }
        };
        return Ok(super::rate_limits::with_headers(&admitted, response));
    }

    let handle = state.relay.stream(
        plan.targets.clone(),
        request,
        generation_id.clone(),
        started,
        format,
    );
    let writer = state.usage.clone();
    let sticky = state.sticky.clone();
    let done = handle.done;
    let sticky_key = plan.sticky_key;
    let record = move |outcome: Outcome| async move {
        if let Some(key) = sticky_key
            && outcome.usage.cached_tokens() > 0
            && let Some(target) = &outcome.served
        {
            sticky.remember(key, &target.provider_slug);
        }
        writer
            .record_with(move |records| recording.into_records(outcome, records))
            .await;
    };
    let frames = if with_metadata {
        super::routing_metadata::on_stream(handle.frames, done, plan, record)
    } else {
        tokio::spawn(async move {
            if let Ok(outcome) = done.await {
                record(outcome).await;
            }
        });
        handle.frames
    };
    // A failure known before the commit deadline gets its real status; after it, the stream
    // has begun (keep-alive comments) and a failure arrives in-band.
    let commit = Duration::from_millis(state.config.stream_commit_ms);
    if let Ok(Ok(StreamStart::Failed(err, provider, attempts))) =
        tokio::time::timeout(commit, handle.start).await
    {
        return Err(upstream_failure(&err, provider.as_deref(), &attempts));
    }
    let frames = ReceiverStream::new(frames).map(Ok::<_, actix_web::Error>);
    let response = HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header((GENERATION_HEADER, generation_id))
        .streaming(frames);
    Ok(super::rate_limits::with_headers(&admitted, response))
}

/// After a prompt was served from a provider's cache, the same prefix sticks to it.
fn remember_cache_hit(state: &AppState, plan: &Plan, outcome: &Outcome) {
    if let Some(key) = plan.sticky_key
        && outcome.usage.cached_tokens() > 0
        && let Some(target) = &outcome.served
    {
        state.sticky.remember(key, &target.provider_slug);
    }
}

/// Create embeddings (OpenAI's shape, with `usage.cost`).
#[utoipa::path(tag = "inference", request_body(content = Object, description = "OpenAI embeddings request: `model`, `input` (string or array), `encoding_format`, `dimensions`"), responses(
    (status = 200, description = "A `list` of `embedding` objects with usage and cost"),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
))]
#[post("/embeddings")]
pub async fn embeddings(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: InferenceKey,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let request: EmbeddingRequest = json::parse(&body)?;
    if request.model.trim().is_empty() {
        return Err(ApiError::bad_request("model: required"));
    }
    if request.input.is_empty() {
        return Err(ApiError::bad_request("input: must not be empty"));
    }
    if request
        .encoding_format
        .as_deref()
        .is_some_and(|f| f != "float" && f != "base64")
    {
        return Err(ApiError::bad_request(
            "encoding_format: must be float or base64",
        ));
    }
    let admitted = super::rate_limits::admit(
        &state,
        &caller.0,
        is_free_request(std::slice::from_ref(&request.model)),
    )?;
    let targets = state
        .routing
        .load()
        .plan_models(std::slice::from_ref(&request.model))?;
    let generation_id = new_generation_id();
    let recording = Recording {
        generation_id: generation_id.clone(),
        key: caller.0,
        requested_model: request.model.clone(),
        external_user: request.user.clone(),
        attribution: Attribution::of(&req),
        created_at: Utc::now(),
    };
    let (result, outcome) = state.relay.embed(&targets, &request, started).await;
    let provider = outcome.provider_name();
    let attempts = result.is_err().then(|| outcome.attempts.clone());
    state
        .usage
        .record_with(move |records| recording.into_records(outcome, records))
        .await;
    let response = result.map_err(|err| {
        upstream_failure(&err, provider.as_deref(), &attempts.unwrap_or_default())
    })?;
    let response = HttpResponse::Ok()
        .insert_header((GENERATION_HEADER, generation_id))
        .json(response);
    Ok(super::rate_limits::with_headers(&admitted, response))
}

#[cfg(test)]
mod tests {
    use super::new_generation_id;

    #[test]
    fn generation_ids_look_like_openrouters_and_sort_by_time() {
        let ids: Vec<String> = (0..200)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_micros(50));
                new_generation_id()
            })
            .collect();
        for id in &ids {
            let mut parts = id.splitn(3, '-');
            assert_eq!(parts.next(), Some("gen"));
            assert!(parts.next().unwrap().parse::<i64>().is_ok(), "{id}");
            let tail = parts.next().unwrap();
            assert_eq!(tail.len(), 20, "{id}");
            assert!(tail.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
        // Made at least 50 µs apart, so each id's time prefix is later than the one before.
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids);
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }
}
