//! Gemini GenerateContentResponse -> canonical, for whole responses and for
//! stream chunks (each chunk is a full response carrying only new parts).

use serde_json::Value;

use crate::gateway::error::UpstreamError;
use crate::gateway::providers::CallContext;
use crate::gateway::types::{
    ChatResponse, Choice, FinishReason, ReasoningDetail, ResponseMessage, ToolCall,
};

use super::{FORMAT, PROTOCOL, finish_reason, new_tool_call_id, usage};

/// What one candidate (or one chunk of it) says.
#[derive(Debug, Default)]
pub(super) struct CandidateParts {
    pub content: Option<String>,
    pub reasoning: Option<String>,
    pub details: Vec<ReasoningDetail>,
    pub tool_calls: Vec<ToolCall>,
    pub finish_raw: Option<String>,
}

/// `next_detail` numbers reasoning details across stream chunks.
pub(super) fn candidate_parts(cand: &Value, next_detail: &mut u32) -> CandidateParts {
    let mut out = CandidateParts {
        finish_raw: cand
            .get("finishReason")
            .and_then(Value::as_str)
            .map(Into::into),
        ..Default::default()
    };
    let parts = cand.pointer("/content/parts").and_then(Value::as_array);
    for p in parts.into_iter().flatten() {
        let signature = p.get("thoughtSignature").and_then(Value::as_str);
        let mut call_id = None;
        if let Some(fc) = p.get("functionCall") {
            let id = new_tool_call_id();
            // No arguments (absent or null) is `{}`: `null` would not be an arguments object.
            let args = fc
                .get("args")
                .filter(|a| !a.is_null())
                .map_or_else(|| "{}".into(), Value::to_string);
            let name = fc.get("name").and_then(Value::as_str).unwrap_or_default();
            out.tool_calls
                .push(ToolCall::function(id.clone(), name, args));
            call_id = Some(id);
        } else if let Some(text) = p.get("text").and_then(Value::as_str) {
            if p.get("thought").and_then(Value::as_bool) == Some(true) {
                out.reasoning.get_or_insert_with(String::new).push_str(text);
                out.details
                    .push(ReasoningDetail::text(text, FORMAT, *next_detail));
                *next_detail += 1;
            } else {
                out.content.get_or_insert_with(String::new).push_str(text);
            }
        }
        if let Some(sig) = signature {
            let mut d = ReasoningDetail::encrypted(sig, FORMAT, *next_detail);
            d.id = call_id;
            out.details.push(d);
            *next_detail += 1;
        }
    }
    out
}

/// STOP after a function call means the model wants the tools run.
pub(super) fn normalized_finish(raw: &str, has_tool_calls: bool) -> FinishReason {
    match finish_reason(raw) {
        FinishReason::Stop if has_tool_calls => FinishReason::ToolCalls,
        f => f,
    }
}

pub(super) fn block_reason(v: &Value) -> Option<&str> {
    v.pointer("/promptFeedback/blockReason")
        .and_then(Value::as_str)
}

pub(super) fn parse(body: &[u8], ctx: &CallContext) -> Result<ChatResponse, UpstreamError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| UpstreamError::malformed(PROTOCOL, e))?;
    if v.get("error").is_some() {
        return Err(super::error::from_body(v, None));
    }
    let mut choices = Vec::new();
    let candidates = v.get("candidates").and_then(Value::as_array);
    for (pos, cand) in candidates.into_iter().flatten().enumerate() {
        let mut n = 0;
        let parts = candidate_parts(cand, &mut n);
        let has_calls = !parts.tool_calls.is_empty();
        choices.push(Choice {
            index: cand
                .get("index")
                .and_then(Value::as_u64)
                .map_or(pos as u32, |i| i as u32),
            message: ResponseMessage {
                role: "assistant".into(),
                content: parts.content,
                refusal: None,
                tool_calls: has_calls.then_some(parts.tool_calls),
                reasoning: parts.reasoning,
                reasoning_details: (!parts.details.is_empty()).then_some(parts.details),
            },
            finish_reason: parts
                .finish_raw
                .as_deref()
                .map(|r| normalized_finish(r, has_calls)),
            native_finish_reason: parts.finish_raw,
            logprobs: None,
        });
    }
    if choices.is_empty()
        && let Some(reason) = block_reason(&v)
    {
        choices.push(Choice {
            index: 0,
            message: ResponseMessage::assistant(),
            finish_reason: Some(FinishReason::ContentFilter),
            native_finish_reason: Some(reason.into()),
            logprobs: None,
        });
    }
    Ok(ChatResponse {
        id: v
            .get("responseId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        object: ChatResponse::OBJECT.into(),
        created: ctx.created,
        model: v
            .get("modelVersion")
            .and_then(Value::as_str)
            .unwrap_or(&ctx.model)
            .into(),
        provider: None,
        system_fingerprint: None,
        choices,
        usage: v.get("usageMetadata").map(usage),
    })
}
