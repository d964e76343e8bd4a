//! Canonical chat completion -> Responses `response` object.

use serde_json::{Map, Value, json};

use super::request::{REASONING_FORMAT, ResponsesRequest};
use crate::gateway::types::{ChatResponse, FinishReason, ReasoningDetail, ToolCall, Usage};

/// What the response object repeats of the request (the API echoes its parameters).
#[derive(Debug, Clone, Default)]
pub struct Echo {
    fields: Map<String, Value>,
}

impl Echo {
    pub fn of(req: &ResponsesRequest) -> Self {
        let mut fields = Map::new();
        let mut put = |k: &str, v: Value| {
            fields.insert(k.into(), v);
        };
        put("instructions", req.instructions.clone().into());
        put("max_output_tokens", req.max_output_tokens.into());
        put(
            "metadata",
            req.metadata.clone().unwrap_or_else(|| json!({})),
        );
        put(
            "parallel_tool_calls",
            req.parallel_tool_calls.unwrap_or(true).into(),
        );
        put("temperature", req.temperature.unwrap_or(1.0).into());
        put("frequency_penalty", Value::Null);
        put("presence_penalty", Value::Null);
        put("top_p", req.top_p.unwrap_or(1.0).into());
        put(
            "tool_choice",
            req.tool_choice.clone().unwrap_or_else(|| "auto".into()),
        );
        let tools: Vec<Value> = req
            .tools
            .iter()
            .flatten()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("function"))
            .cloned()
            .collect();
        put("tools", tools.into());
        put(
            "text",
            req.text
                .clone()
                .unwrap_or_else(|| json!({"format": {"type": "text"}})),
        );
        put(
            "reasoning",
            req.reasoning
                .as_ref()
                .and_then(|r| serde_json::to_value(r).ok())
                .unwrap_or(Value::Null),
        );
        put("store", false.into());
        put("previous_response_id", Value::Null);
        put("truncation", "disabled".into());
        put("user", req.user.clone().into());
        Echo { fields }
    }
}

/// The response object around `output`. `status`: `in_progress`, `completed`, `incomplete` or
/// `failed`.
pub fn envelope(
    id: &str,
    created: u64,
    model: &str,
    status: &str,
    output: Vec<Value>,
    usage: Option<&Usage>,
    echo: &Echo,
) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("id".into(), id.into());
    o.insert("object".into(), "response".into());
    o.insert("created_at".into(), created.into());
    o.insert("model".into(), model.into());
    o.insert("status".into(), status.into());
    // Finished (or failed) now: the gateway renders the response object as the answer ends.
    let completed_at = match status {
        "in_progress" => Value::Null,
        _ => unix_now().into(),
    };
    o.insert("completed_at".into(), completed_at);
    o.insert("error".into(), Value::Null);
    o.insert("incomplete_details".into(), Value::Null);
    o.insert("output".into(), output.into());
    for (k, v) in &echo.fields {
        o.insert(k.clone(), v.clone());
    }
    o.insert("usage".into(), usage.map_or(Value::Null, render_usage));
    o
}

/// `incomplete` when the output was cut (`max_output_tokens`, `content_filter`).
pub fn status_of(finish: Option<FinishReason>) -> (&'static str, Option<Value>) {
    match finish {
        Some(FinishReason::Length) => ("incomplete", Some(json!({"reason": "max_output_tokens"}))),
        Some(FinishReason::ContentFilter) => {
            ("incomplete", Some(json!({"reason": "content_filter"})))
        }
        _ => ("completed", None),
    }
}

/// The whole response for a non-streamed request.
pub fn render(response: &ChatResponse, echo: &Echo) -> Value {
    let choice = response.choices.first();
    let mut output = Vec::new();
    if let Some(choice) = choice {
        let m = &choice.message;
        if let Some(item) = reasoning_item(
            &response.id,
            m.reasoning.as_deref(),
            m.reasoning_details.as_deref().unwrap_or_default(),
        ) {
            output.push(item);
        }
        let text = m.content.as_deref().filter(|t| !t.is_empty());
        if text.is_some() || m.refusal.is_some() {
            let (status, _) = status_of(choice.finish_reason);
            output.push(message_item(
                &response.id,
                text.unwrap_or_default(),
                m.refusal.as_deref(),
                status,
            ));
        }
        for (i, call) in m.tool_calls.iter().flatten().enumerate() {
            output.push(function_call_item(&response.id, i, call, "completed"));
        }
    }
    let (status, incomplete) = status_of(choice.and_then(|c| c.finish_reason));
    let mut o = envelope(
        &response.id,
        response.created,
        &response.model,
        status,
        output,
        response.usage.as_ref(),
        echo,
    );
    if let Some(incomplete) = incomplete {
        o.insert("incomplete_details".into(), incomplete);
    }
    if let Some(provider) = &response.provider {
        o.insert("provider".into(), provider.as_str().into());
    }
    Value::Object(o)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub fn message_id(id: &str) -> String {
    format!("msg_{id}")
}

pub fn reasoning_id(id: &str) -> String {
    format!("rs_{id}")
}

pub fn function_call_id(id: &str, index: usize) -> String {
    format!("fc_{id}_{index}")
}

/// `status` is the message's: `completed`, `incomplete` or `in_progress`.
pub fn message_item(id: &str, text: &str, refusal: Option<&str>, status: &str) -> Value {
    let mut content = Vec::new();
    if !text.is_empty() || refusal.is_none() {
        content.push(output_text(text));
    }
    if let Some(refusal) = refusal {
        content.push(json!({"type": "refusal", "refusal": refusal}));
    }
    json!({
        "type": "message",
        "id": message_id(id),
        "status": status,
        "role": "assistant",
        "content": content,
    })
}

pub fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

pub fn function_call_item(id: &str, index: usize, call: &ToolCall, status: &str) -> Value {
    let arguments = if call.function.arguments.trim().is_empty() {
        "{}"
    } else {
        call.function.arguments.as_str()
    };
    json!({
        "type": "function_call",
        "id": function_call_id(id, index),
        "call_id": call.id,
        "name": call.function.name,
        "arguments": arguments,
        "status": status,
    })
}

/// The reasoning as one item: its text as the summary, and the encrypted content of OpenAI's
/// reasoning (when the upstream gave one) so that the client can replay it.
pub fn reasoning_item(id: &str, text: Option<&str>, details: &[ReasoningDetail]) -> Option<Value> {
    let text = text.filter(|t| !t.is_empty());
    let encrypted = details.iter().find_map(|d| {
        (d.kind == ReasoningDetail::ENCRYPTED
            && d.format.as_deref().is_none_or(|f| f == REASONING_FORMAT))
        .then_some(d.data.as_deref())
        .flatten()
    });
    if text.is_none() && encrypted.is_none() {
        return None;
    }
    let mut item = json!({
        "type": "reasoning",
        "id": reasoning_id(id),
        "summary": text.map(|t| vec![json!({"type": "summary_text", "text": t})]).unwrap_or_default(),
    });
    if let Some(data) = encrypted {
        item["encrypted_content"] = data.into();
    }
    Some(item)
}

/// `usage` in the Responses' names, with OpenRouter's `cost`.
pub fn render_usage(u: &Usage) -> Value {
    let mut usage = json!({
        "input_tokens": u.prompt_tokens,
        "input_tokens_details": {"cached_tokens": u.cached_tokens()},
        "output_tokens": u.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens()},
        "total_tokens": u.total_tokens,
    });
    if let Some(cost) = &u.cost {
        usage["cost"] = cost.clone();
    }
    if let Some(byok) = u.is_byok {
        usage["is_byok"] = byok.into();
    }
    if let Some(details) = &u.cost_details {
        // The Responses names of OpenRouter's upstream cost split (input/output, not
        // prompt/completions).
        let get = |k: &str| details.get(k).cloned().unwrap_or(Value::Null);
        usage["cost_details"] = json!({
            "upstream_inference_cost": get("upstream_inference_cost"),
            "upstream_inference_input_cost": get("upstream_inference_prompt_cost"),
            "upstream_inference_output_cost": get("upstream_inference_completions_cost"),
        });
    }
    usage
}
