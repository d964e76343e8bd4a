//! OpenAI-compatible chat completions: OpenAI itself and every host that
//! speaks its dialect. The canonical format *is* this dialect, so requests
//! pass through with OpenRouter-only fields removed and host quirks applied.

mod error;
mod quirks;
mod response;

use serde_json::{Map, Value, json};

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
        let body = build_body(req, ctx)?;
        let mut out = UpstreamRequest::post("/chat/completions", body);
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

fn build_body(req: &ChatRequest, ctx: &CallContext) -> Result<Value, TranslateError> {
    let q = &ctx.quirks;
    let Value::Object(mut body) =
        serde_json::to_value(req).map_err(|e| TranslateError::InvalidRequest(e.to_string()))?
    else {
        unreachable!("a struct serializes to an object")
    };
    body.insert("model".into(), ctx.model.clone().into());
    for k in ChatRequest::OPENROUTER_ONLY {
        body.remove(*k);
    }

    // One output cap, in the field this host reads.
    body.remove("max_tokens");
    body.remove("max_completion_tokens");
    if let Some(n) = req.max_output_tokens() {
        let field = match q.max_tokens_field {
            MaxTokensField::MaxTokens => "max_tokens",
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        };
        body.insert(field.into(), n.into());
    }

    apply_reasoning(req, q.reasoning, &mut body);

    if req.is_stream() {
        // Always ask for usage: streams are billed from it. The per-chunk
        // `usage: null` this causes is stripped by the decoder.
        if q.stream_usage {
            let opts = body
                .entry("stream_options")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or_else(|| TranslateError::InvalidRequest("stream_options".into()))?;
            opts.insert("include_usage".into(), true.into());
        } else {
            body.remove("stream_options");
        }
    } else {
        body.remove("stream_options");
    }

    for f in &q.drop_fields {
        body.remove(f);
    }
    Ok(Value::Object(body))
}

fn apply_reasoning(req: &ChatRequest, style: ReasoningParam, body: &mut Map<String, Value>) {
    if style == ReasoningParam::OpenRouter {
        // The upstream understands our format natively.
        if let Some(r) = &req.reasoning {
            body.insert("reasoning".into(), json!(r));
        }
        return;
    }
    body.remove("reasoning");
    body.remove("reasoning_effort");
    if style == ReasoningParam::Effort
        && let Some(effort) = req.effort()
    {
        body.insert("reasoning_effort".into(), effort.into());
    }
    // Hosts other than OpenRouter reject (DeepSeek) or ignore reasoning
    // history on messages, so it is not sent back.
    if let Some(Value::Array(msgs)) = body.get_mut("messages") {
        for m in msgs.iter_mut().filter_map(Value::as_object_mut) {
            m.remove("reasoning");
            m.remove("reasoning_details");
        }
    }
}
