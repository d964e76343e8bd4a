//! `POST /api/v1/chat/completions` and the legacy `POST /api/v1/completions`: the
//! OpenAI-compatible inference endpoints.
//!
//! Hot path: the key comes from the in-memory key cache and the endpoints from the in-memory
//! routing table; the database is touched only after the response, by the usage writer.

use std::time::Instant;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use super::error::ApiError;
use super::extract::InferenceKey;
use super::json;
use super::openapi::ErrorBody;
use super::stream_doc::{ChatStreamEvent, CompletionStreamEvent};
use crate::gateway::relay::ChunkFormat;
use crate::gateway::types::{
    ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingRequest,
    EmbeddingResponse,
};
use crate::inference::{Attribution, Caller, ChatAnswer, Served};
use crate::state::AppState;

/// Header names are built at compile time: parsing one (as a `&str` name is, on every use)
/// shows in the hot path's profile.
pub const GENERATION_HEADER: HeaderName = HeaderName::from_static("x-generation-id");
/// `X-OpenRouter-Metadata: enabled` adds the routing decision to the response.
pub const METADATA_HEADER: HeaderName = HeaderName::from_static("x-openrouter-metadata");

/// The caller as the inference service sees it: the key, who called from which app, whether
/// the routing decision is wanted, and — only when the key's organization stores prompts and
/// completions — the request `body` (a shared handle, not a copy: one branch when it does
/// not).
pub(super) fn caller(
    req: &HttpRequest,
    key: InferenceKey,
    api_type: &'static str,
    body: &web::Bytes,
) -> Caller {
    const HTTP_REFERER: HeaderName = HeaderName::from_static("http-referer");
    const X_OPENROUTER_TITLE: HeaderName = HeaderName::from_static("x-openrouter-title");
    const X_TITLE: HeaderName = HeaderName::from_static("x-title");
    let headers = req.headers();
    let value_of = |name: HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(512).collect::<String>())
            .filter(|v| !v.is_empty())
    };
    Caller {
        request_body: key.0.store_content.then(|| body.clone()),
        key: key.0,
        attribution: Attribution {
            http_referer: value_of(HTTP_REFERER).or_else(|| value_of(header::REFERER)),
            app_title: value_of(X_OPENROUTER_TITLE).or_else(|| value_of(X_TITLE)),
            user_agent: value_of(header::USER_AGENT),
        },
        with_metadata: headers
            .get(METADATA_HEADER)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"enabled")),
        api_type,
        request_id: req
            .extensions()
            .get::<crate::app::RequestId>()
            .map(|id| id.0.clone()),
    }
}

/// Create a chat completion (OpenAI's format with OpenRouter's extras), streaming or not.
#[utoipa::path(tag = "inference", request_body(content = ChatRequest, description = "OpenAI chat completion request with OpenRouter extras (`models`, `provider`, `reasoning`, ...)"), responses(
    (status = 200, description = "A `chat.completion`, or with `stream: true` an SSE stream of `chat.completion.chunk`s ending in a usage chunk and `[DONE]`", content(
        (ChatResponse = "application/json"), (ChatStreamEvent = "text/event-stream"))),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, description = "No endpoint can serve the model", body = ErrorBody),
    (status = 408, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody),
    (status = 502, description = "Provider returned error", body = ErrorBody), (status = 503, body = ErrorBody),
))]
#[post("/chat/completions")]
pub async fn chat_completions(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: InferenceKey,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let request: ChatRequest = json::parse(&body)?;
    let caller = caller(&req, key, "chat", &body);
    // Boxed: the request's state machine is kilobytes, and actix moves the handler's future
    // (a memcpy of its whole size each time) before polling it.
    Box::pin(serve(&state, caller, request, ChunkFormat::Chat, started)).await
}

/// Create a legacy text completion (`text_completion`), served by any provider through chat.
#[utoipa::path(tag = "inference", request_body(content = CompletionRequest, description = "OpenAI legacy completion request: `model`, `prompt` (a string), `max_tokens`, `stream`, ..."), responses(
    (status = 200, description = "A `text_completion`, or with `stream: true` an SSE stream of `text_completion` chunks ending in `[DONE]`", content(
        (CompletionResponse = "application/json"), (CompletionStreamEvent = "text/event-stream"))),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
))]
#[post("/completions")]
pub async fn completions(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: InferenceKey,
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
    let caller = caller(&req, key, "completions", &body);
    Box::pin(serve(&state, caller, request, ChunkFormat::Text, started)).await
}

/// The shared path of chat and legacy completions: the service serves, this renders.
async fn serve(
    state: &AppState,
    caller: Caller,
    request: ChatRequest,
    format: ChunkFormat,
    started: Instant,
) -> Result<HttpResponse, ApiError> {
    let legacy = matches!(format, ChunkFormat::Text);
    let Served {
        generation_id,
        admission,
        answer,
    } = state
        .inference
        .chat(caller, request, format, started)
        .await?;
    let response = match answer {
        ChatAnswer::Whole {
            response,
            routing_metadata,
        } => {
            let mut ok = HttpResponse::Ok();
            ok.insert_header((GENERATION_HEADER, generation_id));
            match (routing_metadata, legacy) {
                // The common case serializes the typed response straight to bytes.
                (None, false) => ok.json(response),
                (None, true) => ok.json(crate::gateway::legacy::from_chat(response)),
                (Some(metadata), legacy) => {
                    let mut body = if legacy {
                        serde_json::to_value(crate::gateway::legacy::from_chat(response))
                    } else {
                        serde_json::to_value(response)
                    }
                    .map_err(ApiError::internal)?;
                    if let Some(object) = body.as_object_mut() {
                        object.insert("openrouter_metadata".into(), metadata);
                    }
                    ok.json(body)
                }
            }
        }
        ChatAnswer::Stream(frames) => event_stream(frames, generation_id),
    };
    Ok(super::rate_limits::with_headers(&admission, response))
}

/// A `text/event-stream` response relaying `frames` as they come.
pub(super) fn event_stream(
    frames: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    generation_id: String,
) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header((GENERATION_HEADER, generation_id))
        .streaming(ReceiverStream::new(frames).map(Ok::<_, actix_web::Error>))
}

/// Create embeddings (OpenAI's shape, with `usage.cost`).
#[utoipa::path(tag = "inference", request_body(content = EmbeddingRequest, description = "OpenAI embeddings request: `model`, `input` (string or array), `encoding_format`, `dimensions`"), responses(
    (status = 200, description = "A `list` of `embedding` objects with usage and cost", body = EmbeddingResponse),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
))]
#[post("/embeddings")]
pub async fn embeddings(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: InferenceKey,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let request: EmbeddingRequest = json::parse(&body)?;
    let served = (state.inference)
        .embed(caller(&req, key, "embeddings", &body), request, started)
        .await?;
    let response = HttpResponse::Ok()
        .insert_header((GENERATION_HEADER, served.generation_id))
        .json(served.answer);
    Ok(super::rate_limits::with_headers(
        &served.admission,
        response,
    ))
}
