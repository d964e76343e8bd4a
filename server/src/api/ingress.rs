//! `POST /api/v1/responses` (OpenAI Responses API) and `POST /api/v1/messages` (Anthropic
//! Messages API): parse, translate to a canonical chat request, serve it through the inference
//! service exactly as chat completions are served, render in the ingress protocol
//! (see [`crate::ingress`]). Errors leave in each protocol's envelope.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::Value;

use super::error::{IngressError, Protocol};
use super::extract::InferenceKey;
use super::inference::{GENERATION_HEADER, caller, event_stream};
use super::json;
use super::openapi::ErrorBody;
use crate::gateway::relay::ChunkFormat;
use crate::gateway::types::{ChatRequest, ChatResponse};
use crate::inference::{ChatAnswer, Served};
use crate::ingress::{messages, responses};
use crate::state::AppState;

/// Create a model response (OpenAI Responses API, stateless), streaming or not.
#[utoipa::path(tag = "inference", request_body(content = Object, description = "OpenAI Responses request (`input`, `instructions`, `tools`, `text.format`, `reasoning`, `max_output_tokens`, `stream`...) with OpenRouter's `models`, `provider`. Stateless: `store: true` and `previous_response_id` are refused."), responses(
    (status = 200, description = "A `response` object, or with `stream: true` an SSE stream of `response.*` events ending in `response.completed`"),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
))]
#[post("/responses")]
pub async fn create_response(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, IngressError> {
    let started = Instant::now();
    let fail = Protocol::Responses.error();
    let key = InferenceKey::authenticate(&req, false)
        .await
        .map_err(&fail)?;
    let parsed: responses::ResponsesRequest = json::parse(&body).map_err(&fail)?;
    let request = responses::to_chat(&parsed).map_err(|e| fail(e.into()))?;
    let echo = responses::Echo::of(&parsed);
    let renderer = responses::Renderer::new(echo.clone());
    Box::pin(serve(
        &req,
        &state,
        key,
        request,
        Box::new(renderer),
        |r| responses::render(&r, &echo),
        started,
    ))
    .await
    .map_err(fail)
}

/// Create a message (Anthropic Messages API), streaming or not. `x-api-key` is accepted as
/// well as `Authorization: Bearer`; `anthropic-version` and `anthropic-beta` are accepted.
#[utoipa::path(tag = "inference", request_body(content = Object, description = "Anthropic Messages request (`model`, `max_tokens`, `system`, `messages`, `tools`, `tool_choice`, `thinking`, `stop_sequences`, `metadata`, `stream`) with OpenRouter's `models`, `provider`"), responses(
    (status = 200, description = "A `message`, or with `stream: true` Anthropic's SSE event sequence (`message_start` ... `message_stop`)"),
    (status = 400, description = "`{\"type\":\"error\",\"error\":{\"type\",\"message\"}}`"),
    (status = 401, description = "authentication_error"), (status = 404, description = "not_found_error"),
    (status = 429, description = "rate_limit_error"), (status = 502, description = "api_error"),
))]
#[post("/messages")]
pub async fn create_message(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, IngressError> {
    let started = Instant::now();
    let fail = Protocol::Messages.error();
    let key = InferenceKey::authenticate(&req, true)
        .await
        .map_err(&fail)?;
    let parsed: messages::MessagesRequest = json::parse(&body).map_err(&fail)?;
    let request = messages::to_chat(&parsed).map_err(|e| fail(e.into()))?;
    let renderer = messages::Renderer::new();
    Box::pin(serve(
        &req,
        &state,
        key,
        request,
        Box::new(renderer),
        |r| messages::render(&r),
        started,
    ))
    .await
    .map_err(fail)
}

/// The shared path: the inference service serves the canonical request; a whole answer is
/// rendered by `render`, a stream by `renderer`.
async fn serve(
    req: &HttpRequest,
    state: &AppState,
    key: InferenceKey,
    request: ChatRequest,
    renderer: Box<dyn crate::gateway::relay::StreamRenderer>,
    render: impl FnOnce(ChatResponse) -> Value,
    started: Instant,
) -> Result<HttpResponse, super::error::ApiError> {
    let Served {
        generation_id,
        admission,
        answer,
    } = state
        .inference
        .chat(
            caller(req, key, renderer.api_type()),
            request,
            ChunkFormat::Ingress(renderer),
            started,
        )
        .await?;
    let response = match answer {
        ChatAnswer::Whole { response, .. } => HttpResponse::Ok()
            .insert_header((GENERATION_HEADER, generation_id))
            .json(render(response)),
        ChatAnswer::Stream(frames) => event_stream(frames, generation_id),
    };
    Ok(super::rate_limits::with_headers(&admission, response))
}
