//! Anthropic message -> canonical chat completion.

use serde_json::Value;

use crate::gateway::error::UpstreamError;
use crate::gateway::providers::CallContext;
use crate::gateway::types::{ChatResponse, Choice, ReasoningDetail, ResponseMessage, ToolCall};

use super::{FORMAT, PROTOCOL, RawUsage, finish_reason};

pub(super) fn parse(body: &[u8], ctx: &CallContext) -> Result<ChatResponse, UpstreamError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| UpstreamError::malformed(PROTOCOL, e))?;
    if v.get("type").and_then(Value::as_str) == Some("error") {
        return Err(super::error::in_stream(v));
    }
    let blocks = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| UpstreamError::malformed(PROTOCOL, "message without content"))?;

    let mut msg = ResponseMessage::assistant();
    let mut details = Vec::new();
    let mut tool_calls = Vec::new();
    for b in blocks {
        let text = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or_default();
        match text("type") {
            "text" => msg
                .content
                .get_or_insert_with(String::new)
                .push_str(text("text")),
            "thinking" => {
                msg.reasoning
                    .get_or_insert_with(String::new)
                    .push_str(text("thinking"));
                let mut d = ReasoningDetail::text(text("thinking"), FORMAT, details.len() as u32);
                d.signature = b.get("signature").and_then(Value::as_str).map(Into::into);
                details.push(d);
            }
            "redacted_thinking" => details.push(ReasoningDetail::encrypted(
                text("data"),
                FORMAT,
                details.len() as u32,
            )),
            "tool_use" => tool_calls.push(ToolCall::function(
                text("id"),
                text("name"),
                b.get("input")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "{}".into()),
            )),
            _ => {} // server tool blocks etc. have no canonical form yet
        }
    }
    if !details.is_empty() {
        msg.reasoning_details = Some(details);
    }
    if !tool_calls.is_empty() {
        msg.tool_calls = Some(tool_calls);
    }
    let stop = v.get("stop_reason").and_then(Value::as_str);
    let mut usage = RawUsage::default();
    if let Some(u) = v.get("usage") {
        usage.update(u);
    }
    Ok(ChatResponse {
        id: v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        object: ChatResponse::OBJECT.into(),
        created: ctx.created,
        model: v
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(&ctx.model)
            .into(),
        provider: None,
        system_fingerprint: None,
        choices: vec![Choice {
            index: 0,
            message: msg,
            finish_reason: stop.map(finish_reason),
            native_finish_reason: stop.map(Into::into),
            logprobs: None,
        }],
        usage: Some(usage.to_usage()),
    })
}
