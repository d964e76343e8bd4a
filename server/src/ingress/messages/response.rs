//! Canonical chat completion -> Anthropic `message`.

use serde_json::{Value, json};

use crate::gateway::types::{ChatResponse, FinishReason, ReasoningDetail, Usage};

/// Anthropic's `stop_reason`. The provider's own reason wins when it is an Anthropic one
/// (`stop_sequence`, `pause_turn`), so that a Messages -> Anthropic exchange loses nothing.
pub fn stop_reason(finish: Option<FinishReason>, native: Option<&str>) -> &'static str {
    match native {
        Some("stop_sequence") => return "stop_sequence",
        Some("pause_turn") => return "pause_turn",
        Some("model_context_window_exceeded") => return "model_context_window_exceeded",
        _ => {}
    }
    match finish {
        Some(FinishReason::Length) => "max_tokens",
        Some(FinishReason::ToolCalls) => "tool_use",
        Some(FinishReason::ContentFilter) => "refusal",
        _ => "end_turn",
    }
}

/// Anthropic's usage: `input_tokens` excludes the cached ones, which are counted apart.
pub fn render_usage(u: &Usage) -> Value {
    let cached = u.cached_tokens();
    let written = u.cache_write_tokens();
    let mut usage = json!({
        "input_tokens": u.prompt_tokens.saturating_sub(cached + written),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
        "output_tokens": u.completion_tokens,
    });
    if let Some(cost) = &u.cost {
        usage["cost"] = cost.clone();
    }
    usage
}

/// Thinking blocks for the reasoning: Anthropic's own blocks (signatures, redacted data) when
/// the upstream was Anthropic, else one thinking block with the reasoning text.
pub fn thinking_blocks(reasoning: Option<&str>, details: &[ReasoningDetail]) -> Vec<Value> {
    let mut blocks: Vec<Value> = details
        .iter()
        .filter_map(|d| match d.kind.as_str() {
            ReasoningDetail::TEXT => Some(json!({
                "type": "thinking",
                "thinking": d.text.clone().unwrap_or_default(),
                "signature": d.signature.clone().unwrap_or_default(),
            })),
            ReasoningDetail::ENCRYPTED
                if d.format.as_deref() == Some(ReasoningDetail::FORMAT_ANTHROPIC) =>
            {
                Some(json!({"type": "redacted_thinking", "data": d.data.clone().unwrap_or_default()}))
            }
            _ => None,
        })
        .collect();
    if blocks.is_empty()
        && let Some(text) = reasoning.filter(|r| !r.is_empty())
    {
        blocks.push(json!({"type": "thinking", "thinking": text, "signature": ""}));
    }
    blocks
}

/// The tool call's arguments as the `input` object (`{}` when empty or not JSON).
pub fn tool_input(arguments: &str) -> Value {
    serde_json::from_str::<Value>(arguments)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}))
}

pub fn render(response: &ChatResponse) -> Value {
    let choice = response.choices.first();
    let mut content = Vec::new();
    if let Some(choice) = choice {
        let m = &choice.message;
        content.extend(thinking_blocks(
            m.reasoning.as_deref(),
            m.reasoning_details.as_deref().unwrap_or_default(),
        ));
        if let Some(text) = m.content.as_deref().filter(|t| !t.is_empty()) {
            content.push(json!({"type": "text", "text": text}));
        }
        if let Some(refusal) = m.refusal.as_deref().filter(|t| !t.is_empty()) {
            content.push(json!({"type": "text", "text": refusal}));
        }
        for call in m.tool_calls.iter().flatten() {
            content.push(json!({
                "type": "tool_use",
                "id": call.id,
                "name": call.function.name,
                "input": tool_input(&call.function.arguments),
            }));
        }
    }
    let mut message = json!({
        "id": response.id,
        "type": "message",
        "role": "assistant",
        "model": response.model,
        "content": content,
        "stop_reason": stop_reason(
            choice.and_then(|c| c.finish_reason),
            choice.and_then(|c| c.native_finish_reason.as_deref()),
        ),
        "stop_sequence": null,
        "usage": response.usage.as_ref().map_or_else(|| render_usage(&Usage::default()), render_usage),
    });
    if let Some(provider) = &response.provider {
        message["provider"] = provider.as_str().into();
    }
    message
}
