//! Anthropic Messages API (`POST /v1/messages`).

mod error;
mod request;
mod response;
mod stream;

use crate::gateway::error::{TranslateError, UpstreamError};
use crate::gateway::types::{ChatRequest, ChatResponse, FinishReason, ReasoningDetail, Usage};

use super::sse_decoder::SseDecoder;
use super::{CallContext, ProviderAdapter, StreamDecoder, UpstreamRequest};

pub(crate) const PROTOCOL: &str = "anthropic";
pub const API_VERSION: &str = "2023-06-01";
/// Used when the client gives no output cap: Anthropic requires one.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;
const FORMAT: &str = ReasoningDetail::FORMAT_ANTHROPIC;

#[derive(Debug, Clone, Copy, Default)]
pub struct Anthropic;

impl ProviderAdapter for Anthropic {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn build_request(
        &self,
        req: &ChatRequest,
        ctx: &CallContext,
    ) -> Result<UpstreamRequest, TranslateError> {
        let body = request::build(req, ctx)?;
        let mut out = UpstreamRequest::post("/v1/messages", body);
        out.headers.insert(
            "anthropic-version",
            http::HeaderValue::from_static(API_VERSION),
        );
        out.secret_header("x-api-key", &ctx.api_key)?;
        Ok(out)
    }

    fn parse_response(
        &self,
        body: &[u8],
        ctx: &CallContext,
    ) -> Result<ChatResponse, UpstreamError> {
        response::parse(body, ctx)
    }

    fn stream_decoder(&self, ctx: &CallContext) -> Box<dyn StreamDecoder> {
        Box::new(SseDecoder::new(stream::StreamHandler::new(ctx)))
    }

    fn parse_error(&self, status: u16, headers: &http::HeaderMap, body: &[u8]) -> UpstreamError {
        error::parse(status, headers, body)
    }
}

/// end_turn/stop_sequence -> stop, max_tokens -> length, tool_use ->
/// tool_calls, refusal -> content_filter.
pub(crate) fn finish_reason(stop_reason: &str) -> FinishReason {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

/// Anthropic usage counters (cumulative in streams).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RawUsage {
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    thinking: Option<u64>,
}

impl RawUsage {
    /// Updates from a `usage` object; absent fields keep their value.
    pub(crate) fn update(&mut self, u: &serde_json::Value) {
        let get = |k: &str| u.get(k).and_then(serde_json::Value::as_u64);
        if let Some(v) = get("input_tokens") {
            self.input = v;
        }
        if let Some(v) = get("output_tokens") {
            self.output = v;
        }
        if let Some(v) = get("cache_read_input_tokens") {
            self.cache_read = v;
        }
        if let Some(v) = get("cache_creation_input_tokens") {
            self.cache_write = v;
        }
        if let Some(v) = u
            .pointer("/output_tokens_details/thinking_tokens")
            .and_then(serde_json::Value::as_u64)
        {
            self.thinking = Some(v);
        }
    }

    /// Anthropic's `input_tokens` excludes cached tokens; ours include them.
    pub(crate) fn to_usage(self) -> Usage {
        use crate::gateway::types::{CompletionTokensDetails, PromptTokensDetails};
        let prompt = self.input + self.cache_read + self.cache_write;
        Usage {
            prompt_tokens: prompt,
            completion_tokens: self.output,
            total_tokens: prompt + self.output,
            prompt_tokens_details: Some(PromptTokensDetails {
                cached_tokens: self.cache_read,
                cache_write_tokens: (self.cache_write > 0).then_some(self.cache_write),
                audio_tokens: None,
            }),
            completion_tokens_details: self.thinking.map(|t| CompletionTokensDetails {
                reasoning_tokens: t,
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}
