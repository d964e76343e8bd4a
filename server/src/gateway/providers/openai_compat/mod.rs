//! OpenAI-compatible chat completions: OpenAI itself and every host that
//! speaks its dialect. The canonical format *is* this dialect, so requests
//! pass through with OpenRouter-only fields removed and host quirks applied.

mod body;
mod error;
mod quirks;
mod response;
mod wire;

use serde_json::Value;

use crate::gateway::error::{TranslateError, UpstreamError};
use crate::gateway::types::{ChatRequest, ChatResponse, EmbeddingRequest};

use super::sse_decoder::SseDecoder;
use super::{CallContext, ProviderAdapter, StreamDecoder, UpstreamRequest};

pub use quirks::{CompatQuirks, MaxTokensField, ReasoningParam};

pub(crate) const PROTOCOL: &str = "openai";

#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAiCompat;

impl ProviderAdapter for OpenAiCompat {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn build_request(
        &self,
        req: &ChatRequest,
        ctx: &CallContext,
    ) -> Result<UpstreamRequest, TranslateError> {
        let body =
            body::build(req, ctx).map_err(|e| TranslateError::InvalidRequest(e.to_string()))?;
        let mut out = UpstreamRequest::post_json("/chat/completions", body);
        out.secret_header("authorization", &format!("Bearer {}", ctx.api_key))?;
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
        Box::new(SseDecoder::new(response::StreamHandler::new(ctx)))
    }

    fn parse_error(&self, status: u16, headers: &http::HeaderMap, body: &[u8]) -> UpstreamError {
        error::parse(status, headers, body)
    }

    fn build_embeddings(
        &self,
        req: &EmbeddingRequest,
        ctx: &CallContext,
    ) -> Result<UpstreamRequest, TranslateError> {
        let Value::Object(mut body) =
            serde_json::to_value(req).map_err(|e| TranslateError::InvalidRequest(e.to_string()))?
        else {
            unreachable!("a struct serializes to an object")
        };
        body.insert("model".into(), ctx.model.clone().into());
        body.remove("provider"); // OpenRouter's routing preferences stay here
        let mut out = UpstreamRequest::post("/embeddings", Value::Object(body));
        out.secret_header("authorization", &format!("Bearer {}", ctx.api_key))?;
        Ok(out)
    }
}

/// Both ways of reading a whole response: the typed fast path (`None` when the body does not
/// fit it) and the general value-based one, for the test that they agree.
#[cfg(test)]
pub(crate) fn parse_both_ways(
    body: &[u8],
    ctx: &CallContext,
) -> (Option<ChatResponse>, Result<ChatResponse, UpstreamError>) {
    (wire::parse(body, ctx), response::parse_value(body, ctx))
}
