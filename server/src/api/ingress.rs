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
use super::stream_doc::{MessagesStreamEvent, ResponsesStreamEvent};
use crate::gateway::relay::{ChunkFormat, StreamRenderer};
use crate::gateway::types::{ChatRequest, ChatResponse};
use crate::inference::{ChatAnswer, Served};
use crate::ingress::messages::MessagesRequest;
use crate::ingress::messages::doc::MessagesMessage;
use crate::ingress::messages::error::ErrorBody as MessagesErrorBody;
use crate::ingress::responses::ResponsesRequest;
use crate::ingress::responses::doc::ResponsesResponse;
use crate::ingress::responses::error::ErrorBody as ResponsesErrorBody;
use crate::ingress::{messages, responses};
use crate::state::AppState;

/// An ingress protocol as the handlers need it: its request body, how it becomes canonical
/// and how the canonical answer is rendered back.
trait Ingress: serde::de::DeserializeOwned {
    const PROTOCOL: Protocol;
    /// Whether Anthropic's `x-api-key` header authenticates too.
    const X_API_KEY: bool;
    fn to_chat(&self) -> Result<ChatRequest, crate::ingress::InvalidRequest>;
    fn renderer(&self) -> Box<dyn StreamRenderer>;
    fn render(&self, response: &ChatResponse) -> Value;
}

impl Ingress for responses::ResponsesRequest {
    const PROTOCOL: Protocol = Protocol::Responses;
    const X_API_KEY: bool = false;
    fn to_chat(&self) -> Result<ChatRequest, crate::ingress::InvalidRequest> {
        responses::to_chat(self)
    }
    fn renderer(&self) -> Box<dyn StreamRenderer> {
        Box::new(responses::Renderer::new(responses::Echo::of(self)))
    }
    fn render(&self, response: &ChatResponse) -> Value {
        responses::render(response, &responses::Echo::of(self))
    }
}

impl Ingress for messages::MessagesRequest {
    const PROTOCOL: Protocol = Protocol::Messages;
    const X_API_KEY: bool = true;
    fn to_chat(&self) -> Result<ChatRequest, crate::ingress::InvalidRequest> {
        messages::to_chat(self)
    }
    fn renderer(&self) -> Box<dyn StreamRenderer> {
        Box::new(messages::Renderer::new())
    }
    fn render(&self, response: &ChatResponse) -> Value {
        messages::render(response)
    }
}

/// Create a model response (OpenAI Responses API, stateless), streaming or not.
#[utoipa::path(tag = "inference", request_body(content = ResponsesRequest, description = "OpenAI Responses request (`input`, `instructions`, `tools`, `text.format`, `reasoning`, `max_output_tokens`, `stream`...) with OpenRouter's `models`, `provider`. Stateless: `store: true` and `previous_response_id` are refused."), responses(
    (status = 200, description = "A `response` object, or with `stream: true` an SSE stream of `response.*` events ending in `response.completed`", content(
        (ResponsesResponse = "application/json"), (ResponsesStreamEvent = "text/event-stream"))),
    (status = 400, description = "OpenAI's error shape; `param` names the field at fault", body = ResponsesErrorBody),
    (status = 401, body = ResponsesErrorBody), (status = 402, body = ResponsesErrorBody),
    (status = 403, body = ResponsesErrorBody),
    (status = 404, description = "No endpoint can serve the model", body = ResponsesErrorBody),
    (status = 408, body = ResponsesErrorBody), (status = 413, body = ResponsesErrorBody),
    (status = 429, body = ResponsesErrorBody),
    (status = 502, description = "Provider returned error", body = ResponsesErrorBody),
    (status = 503, body = ResponsesErrorBody),
))]
#[post("/responses")]
pub async fn create_response(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, IngressError> {
    Box::pin(serve::<responses::ResponsesRequest>(&req, &state, &body)).await
}

/// Create a message (Anthropic Messages API), streaming or not. `x-api-key` is accepted as
/// well as `Authorization: Bearer`; `anthropic-version` and `anthropic-beta` are accepted.
#[utoipa::path(tag = "inference", request_body(content = MessagesRequest, description = "Anthropic Messages request (`model`, `max_tokens`, `system`, `messages`, `tools`, `tool_choice`, `thinking`, `stop_sequences`, `metadata`, `stream`) with OpenRouter's `models`, `provider`"), responses(
    (status = 200, description = "A `message`, or with `stream: true` Anthropic's SSE event sequence (`message_start` ... `message_stop`)", content(
        (MessagesMessage = "application/json"), (MessagesStreamEvent = "text/event-stream"))),
    (status = 400, description = "Anthropic's error envelope", body = MessagesErrorBody),
    (status = 401, body = MessagesErrorBody), (status = 402, body = MessagesErrorBody),
    (status = 403, body = MessagesErrorBody),
    (status = 404, description = "No endpoint can serve the model", body = MessagesErrorBody),
    (status = 408, body = MessagesErrorBody), (status = 413, body = MessagesErrorBody),
    (status = 429, body = MessagesErrorBody),
    (status = 502, description = "Provider returned error", body = MessagesErrorBody),
    (status = 503, body = MessagesErrorBody),
))]
#[post("/messages")]
pub async fn create_message(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, IngressError> {
    Box::pin(serve::<messages::MessagesRequest>(&req, &state, &body)).await
}

/// The shared path: authenticate, parse, translate; the inference service serves the canonical
/// request as it serves chat completions; a whole answer is rendered back, a stream through
/// the ingress's renderer. Every error leaves in the ingress's envelope.
async fn serve<I: Ingress>(
    req: &HttpRequest,
    state: &AppState,
    body: &web::Bytes,
) -> Result<HttpResponse, IngressError> {
    let started = Instant::now();
    let fail = I::PROTOCOL.error();
    let key = InferenceKey::authenticate(req, I::X_API_KEY)
        .await
        .map_err(&fail)?;
    let parsed: I = json::parse(body).map_err(&fail)?;
    let request = parsed.to_chat().map_err(|e| fail(e.into()))?;
    let renderer = parsed.renderer();
    let caller = caller(req, key, renderer.api_type(), body);
    let Served {
        generation_id,
        admission,
        answer,
    } = state
        .inference
        .chat(caller, request, ChunkFormat::Ingress(renderer), started)
        .await
        .map_err(|e| fail(e.into()))?;
    let response = match answer {
        ChatAnswer::Whole { response, .. } => HttpResponse::Ok()
            .insert_header((GENERATION_HEADER, generation_id))
            .json(parsed.render(&response)),
        ChatAnswer::Stream(frames) => event_stream(frames, generation_id),
    };
    Ok(super::rate_limits::with_headers(&admission, response))
}
