//! Canonical request -> Anthropic Messages request.

use serde_json::{Map, Value, json};

use crate::gateway::error::TranslateError;
use crate::gateway::providers::CallContext;
use crate::gateway::types::{
    ChatRequest, ContentPart, DataUri, Message, MessageContent, ReasoningDetail, ResponseFormat,
    Role, ToolChoice,
};

use super::{DEFAULT_MAX_TOKENS, PROTOCOL};

/// Anthropic's floor for `thinking.budget_tokens`.
const MIN_THINKING_BUDGET: u32 = 1024;
const MAX_EFFORT_BUDGET: u32 = 32_000;

pub(super) fn build(req: &ChatRequest, ctx: &CallContext) -> Result<Value, TranslateError> {
    let mut body = Map::new();
    body.insert("model".into(), ctx.model.clone().into());

    let (system, messages) = split_system(&req.messages);
    if let Some(system) = system {
        body.insert("system".into(), system);
    }
    body.insert("messages".into(), translate_messages(&messages)?.into());

    let mut max_tokens = req.max_output_tokens().unwrap_or(DEFAULT_MAX_TOKENS);
    let thinking_budget = thinking_budget(req, max_tokens);
    if let Some(budget) = thinking_budget {
        // budget_tokens must stay below max_tokens; leave room for an answer.
        if budget >= max_tokens {
            max_tokens = budget + DEFAULT_MAX_TOKENS;
        }
        body.insert(
            "thinking".into(),
            json!({"type": "enabled", "budget_tokens": budget}),
        );
    }
    body.insert("max_tokens".into(), max_tokens.into());

    // Extended thinking rejects a non-default temperature and top_k.
    if thinking_budget.is_none() {
        if let Some(t) = req.temperature {
            body.insert("temperature".into(), t.into());
        }
        if let Some(k) = req.top_k {
            body.insert("top_k".into(), k.into());
        }
    }
    if let Some(p) = req.top_p {
        body.insert("top_p".into(), p.into());
    }
    if let Some(stop) = &req.stop {
        body.insert("stop_sequences".into(), stop.to_vec().into());
    }
    if req.is_stream() {
        body.insert("stream".into(), true.into());
    }
    if let Some(user) = &req.user {
        body.insert("metadata".into(), json!({ "user_id": user }));
    }
    if let Some(tools) = &req.tools {
        let tools: Vec<Value> = tools
            .iter()
            .map(|t| {
                let mut o = json!({
                    "name": t.function.name,
                    "input_schema": t.function.parameters.clone()
                        .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
                });
                if let Some(d) = &t.function.description {
                    o["description"] = d.clone().into();
                }
                o
            })
            .collect();
        body.insert("tools".into(), tools.into());
    }
    if let Some(tc) = tool_choice(req) {
        body.insert("tool_choice".into(), tc);
    }
    // json_object has no native equivalent and is dropped; json_schema maps
    // to structured outputs.
    if let Some(ResponseFormat::JsonSchema { json_schema }) = &req.response_format
        && let Some(schema) = &json_schema.schema
    {
        body.insert(
            "output_config".into(),
            json!({"format": {"type": "json_schema", "schema": schema}}),
        );
    }
    if let Some(native) = req.native.as_ref().filter(|n| n.protocol == PROTOCOL) {
        // The client spoke this protocol: what it sent in fields the canonical form narrows
        // (server tools, per-tool cache_control, adaptive thinking) or does not model at all
        // (service_tier, context_management, ...) reaches the provider as sent.
        for (key, value) in native.body.iter() {
            body.insert(key.clone(), value.clone());
        }
    }
    Ok(Value::Object(body))
}

/// OpenRouter's rule: an explicit budget wins; otherwise effort is a share
/// of max_tokens, clamped to [1024, 32000].
fn thinking_budget(req: &ChatRequest, max_tokens: u32) -> Option<u32> {
    if !req.wants_reasoning() {
        return None;
    }
    if let Some(b) = req.reasoning.as_ref().and_then(|r| r.max_tokens) {
        return Some(b.max(MIN_THINKING_BUDGET));
    }
    let percent: u64 = match req.effort() {
        Some("high") | Some("xhigh") => 80,
        Some("low") => 20,
        Some("minimal") => 10,
        _ => 50,
    };
    let budget = (u64::from(max_tokens) * percent / 100) as u32;
    Some(budget.clamp(MIN_THINKING_BUDGET, MAX_EFFORT_BUDGET))
}

fn tool_choice(req: &ChatRequest) -> Option<Value> {
    let mut tc = match &req.tool_choice {
        Some(ToolChoice::Mode(m)) => match m.as_str() {
            "none" => json!({"type": "none"}),
            "required" => json!({"type": "any"}),
            _ => json!({"type": "auto"}),
        },
        Some(named @ ToolChoice::Named(_)) => match named.function_name() {
            Some(name) => json!({"type": "tool", "name": name}),
            None => json!({"type": "auto"}),
        },
        None if req.parallel_tool_calls == Some(false) && req.tools.is_some() => {
            json!({"type": "auto"})
        }
        None => return None,
    };
    if req.parallel_tool_calls == Some(false) && tc["type"] != "none" {
        tc["disable_parallel_tool_use"] = true.into();
    }
    Some(tc)
}

/// System and developer messages become the top-level `system` blocks.
fn split_system(messages: &[Message]) -> (Option<Value>, Vec<&Message>) {
    let mut blocks = Vec::new();
    let mut rest = Vec::new();
    for m in messages {
        if matches!(m.role, Role::System | Role::Developer) {
            for part in m.content.iter().flat_map(MessageContent::to_parts) {
                if let ContentPart::Text {
                    text,
                    cache_control,
                } = part
                {
                    let mut b = json!({"type": "text", "text": text});
                    if let Some(cc) = cache_control {
                        b["cache_control"] = cc;
                    }
                    blocks.push(b);
                }
            }
        } else {
            rest.push(m);
        }
    }
    let system = match blocks.as_slice() {
        [] => None,
        [only] if only.get("cache_control").is_none() => Some(only["text"].clone()),
        _ => Some(Value::Array(blocks)),
    };
    (system, rest)
}

/// Consecutive messages that land on the same Anthropic role are merged:
/// tool results must share the user turn that follows the tool calls.
fn translate_messages(messages: &[&Message]) -> Result<Vec<Value>, TranslateError> {
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in messages {
        let (role, blocks) = match m.role {
            Role::User => ("user", user_blocks(m)?),
            Role::Tool => ("user", vec![tool_result(m)?]),
            Role::Assistant => ("assistant", assistant_blocks(m)?),
            Role::System | Role::Developer => unreachable!("split out above"),
        };
        if blocks.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some((r, b)) if *r == role => b.extend(blocks),
            _ => out.push((role, blocks)),
        }
    }
    Ok(out
        .into_iter()
        .map(|(role, blocks)| {
            // A lone plain text block is sent in the compact string form.
            let content = match blocks.as_slice() {
                [b] if b["type"] == "text" && b.as_object().is_some_and(|o| o.len() == 2) => {
                    b["text"].clone()
                }
                _ => Value::Array(blocks),
            };
            json!({"role": role, "content": content})
        })
        .collect())
}

fn user_blocks(m: &Message) -> Result<Vec<Value>, TranslateError> {
    m.content
        .iter()
        .flat_map(MessageContent::to_parts)
        .map(|p| part_block(&p))
        .collect()
}

fn part_block(part: &ContentPart) -> Result<Value, TranslateError> {
    let (mut block, cache_control) = match part {
        ContentPart::Text {
            text,
            cache_control,
        } => (json!({"type": "text", "text": text}), cache_control),
        ContentPart::ImageUrl {
            image_url,
            cache_control,
        } => (
            json!({"type": "image", "source": source(&image_url.url)}),
            cache_control,
        ),
        ContentPart::File {
            file,
            cache_control,
        } => {
            let data = file.file_data.as_deref().ok_or_else(|| {
                TranslateError::InvalidRequest("file part needs file_data".into())
            })?;
            (
                json!({"type": "document", "source": source(data)}),
                cache_control,
            )
        }
        ContentPart::InputAudio { .. } => {
            return Err(TranslateError::Unsupported {
                provider: PROTOCOL,
                feature: "input_audio".into(),
            });
        }
    };
    if let Some(cc) = cache_control {
        block["cache_control"] = cc.clone();
    }
    Ok(block)
}

fn source(url: &str) -> Value {
    match DataUri::parse(url) {
        Some(d) => json!({"type": "base64", "media_type": d.mime_type, "data": d.data}),
        None => json!({"type": "url", "url": url}),
    }
}

fn tool_result(m: &Message) -> Result<Value, TranslateError> {
    let id = m.tool_call_id.as_deref().ok_or_else(|| {
        TranslateError::InvalidRequest("tool message without tool_call_id".into())
    })?;
    let content = match &m.content {
        Some(MessageContent::Text(t)) => Value::String(t.clone()),
        Some(MessageContent::Parts(parts)) => Value::Array(
            parts
                .iter()
                .map(part_block)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => Value::String(String::new()),
    };
    Ok(json!({"type": "tool_result", "tool_use_id": id, "content": content}))
}

/// Thinking blocks (from `reasoning_details`, signatures intact) come first,
/// then text, then tool calls, as Anthropic produced them.
fn assistant_blocks(m: &Message) -> Result<Vec<Value>, TranslateError> {
    let mut blocks = Vec::new();
    for d in m.reasoning_details.iter().flatten() {
        if d.format.as_deref().is_some_and(|f| f != super::FORMAT) {
            continue; // another provider's reasoning cannot be replayed here
        }
        match d.kind.as_str() {
            ReasoningDetail::TEXT if d.signature.is_some() => blocks.push(json!({
                "type": "thinking",
                "thinking": d.text.clone().unwrap_or_default(),
                "signature": d.signature,
            })),
            ReasoningDetail::ENCRYPTED if d.data.is_some() => {
                blocks.push(json!({"type": "redacted_thinking", "data": d.data}))
            }
            _ => {}
        }
    }
    for p in m.content.iter().flat_map(MessageContent::to_parts) {
        if let ContentPart::Text { text, .. } = &p
            && text.is_empty()
        {
            continue; // Anthropic rejects empty text blocks
        }
        blocks.push(part_block(&p)?);
    }
    for tc in m.tool_calls.iter().flatten() {
        let input: Value = if tc.function.arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&tc.function.arguments).map_err(|e| {
                TranslateError::InvalidRequest(format!(
                    "tool call {} arguments are not JSON: {e}",
                    tc.id
                ))
            })?
        };
        blocks.push(
            json!({"type": "tool_use", "id": tc.id, "name": tc.function.name, "input": input}),
        );
    }
    Ok(blocks)
}
