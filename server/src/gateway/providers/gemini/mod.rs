//! Google Gemini API (`generateContent` / `streamGenerateContent?alt=sse`, and
//! `embedContent` / `batchEmbedContents` for embeddings).

mod embeddings;
mod error;
mod request;
mod response;
mod stream;

use rand::Rng as _;
use serde_json::Value;

use crate::gateway::error::{TranslateError, UpstreamError};
use crate::gateway::types::{
    ChatRequest, ChatResponse, CompletionTokensDetails, EmbeddingRequest, EmbeddingResponse,
    FinishReason, PromptTokensDetails, ReasoningDetail, Usage,
};

use super::sse_decoder::SseDecoder;
use super::{CallContext, ProviderAdapter, StreamDecoder, UpstreamRequest};

pub(crate) const PROTOCOL: &str = "gemini";
const FORMAT: &str = ReasoningDetail::FORMAT_GEMINI;

#[derive(Debug, Clone, Copy, Default)]
pub struct Gemini;

impl ProviderAdapter for Gemini {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn build_request(
        &self,
        req: &ChatRequest,
        ctx: &CallContext,
    ) -> Result<UpstreamRequest, TranslateError> {
        let body = request::build(req)?;
        let path = if req.is_stream() {
            format!("/v1beta/models/{}:streamGenerateContent?alt=sse", ctx.model)
        } else {
            format!("/v1beta/models/{}:generateContent", ctx.model)
        };
        let mut out = UpstreamRequest::post(path, body);
        out.secret_header("x-goog-api-key", &ctx.api_key)?;
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

    fn build_embeddings(
        &self,
        req: &EmbeddingRequest,
        ctx: &CallContext,
    ) -> Result<UpstreamRequest, TranslateError> {
        embeddings::build(req, ctx)
    }

    fn parse_embeddings(
        &self,
        body: &[u8],
        req: &EmbeddingRequest,
        ctx: &CallContext,
    ) -> Result<EmbeddingResponse, UpstreamError> {
        embeddings::parse(body, req, ctx)
    }
}

/// Gemini has no tool call ids; we mint them and map replies back by name.
pub(crate) fn new_tool_call_id() -> String {
    let suffix: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("call_{suffix}")
}

pub(crate) fn finish_reason(raw: &str) -> FinishReason {
    match raw {
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "PROHIBITED_CONTENT"
        | "BLOCKLIST"
        | "SPII"
        | "LANGUAGE"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => FinishReason::ContentFilter,
        "MALFORMED_FUNCTION_CALL" | "UNEXPECTED_TOOL_CALL" | "TOO_MANY_TOOL_CALLS" => {
            FinishReason::Error
        }
        _ => FinishReason::Stop,
    }
}

/// usageMetadata -> usage. Thoughts are billed as output, so they count in
/// completion_tokens; cachedContentTokenCount is part of promptTokenCount.
pub(crate) fn usage(meta: &Value) -> Usage {
    let get = |k: &str| meta.get(k).and_then(Value::as_u64).unwrap_or(0);
    let prompt = get("promptTokenCount") + get("toolUsePromptTokenCount");
    let thoughts = get("thoughtsTokenCount");
    let completion = get("candidatesTokenCount") + thoughts;
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: get("cachedContentTokenCount"),
            ..Default::default()
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: thoughts,
            ..Default::default()
        }),
        ..Default::default()
    }
}
