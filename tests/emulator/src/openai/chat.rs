//! `POST /v1/chat/completions`: text, tool calls, structured outputs, `n`, max tokens, streaming.

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde_json::{Value, json};

use super::{DONE, MALFORMED, STREAM_ERROR, builder, check, usage_cached};
use crate::common::{Ctx, content_text, data_frame, now_secs, prepare, random_id, split_chunks};
use crate::state::Shared;
use crate::{schema, sse, tokens};

/// What the model "decided" to produce.
enum Output {
    Text(String),
    Tool {
        id: String,
        name: String,
        arguments: String,
    },
}

struct Choice {
    output: Output,
    finish: &'static str,
    completion_tokens: usize,
}

pub async fn chat(req: HttpRequest, raw: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let ctx = match prepare("openai", &req, &raw, &shared).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    let model = match check(&req, &ctx) {
        Ok(model) => model,
        Err(response) => return response,
    };
    let body = &ctx.body;
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return super::error(
            400,
            "Missing required parameter: 'messages'.",
            "invalid_request_error",
            Some("messages"),
            Some("missing_required_parameter"),
        );
    };
    let n = body
        .get("n")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .clamp(1, 16) as usize;
    let max = body
        .get("max_completion_tokens")
        .or_else(|| body.get("max_tokens"))
        .and_then(Value::as_u64)
        .map(|m| m as usize);
    let prompt_tokens = prompt_tokens(body);
    let choice = decide(&ctx, messages, max);
    let choices: Vec<Choice> = (0..n)
        .map(|_| Choice {
            output: match &choice.output {
                Output::Text(t) => Output::Text(t.clone()),
                Output::Tool {
                    name, arguments, ..
                } => Output::Tool {
                    id: format!("call_{}", random_id(24)),
                    name: name.clone(),
                    arguments: arguments.clone(),
                },
            },
            finish: choice.finish,
            completion_tokens: choice.completion_tokens,
        })
        .collect();
    let completion_tokens: usize = choices.iter().map(|c| c.completion_tokens).sum();
    let id = format!("chatcmpl-{}", random_id(29));
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true);
        let plan = stream_plan(
            &ctx,
            &id,
            &model,
            &choices,
            include_usage.then_some((prompt_tokens, completion_tokens)),
        );
        return sse::respond(plan, &ctx.knobs, ctx.shared.clone(), builder(200));
    }
    if ctx.knobs.ttft_ms > 0 {
        tokio::time::sleep(ctx.knobs.ttft()).await;
    }
    let choices: Vec<Value> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let message = match &c.output {
                Output::Text(text) => json!({"role": "assistant", "content": text, "refusal": null, "annotations": []}),
                Output::Tool { id, name, arguments } => json!({
                    "role": "assistant", "content": null, "refusal": null, "annotations": [],
                    "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]
                }),
            };
            json!({"index": i, "message": message, "logprobs": null, "finish_reason": c.finish})
        })
        .collect();
    let reply = json!({
        "id": id,
        "object": "chat.completion",
        "created": now_secs(),
        "model": model,
        "choices": choices,
        "usage": usage_cached(prompt_tokens, completion_tokens, ctx.knobs.cached_tokens.unwrap_or(0)),
        "service_tier": "default",
        "system_fingerprint": "fp_emulator",
    });
    if ctx.knobs.disconnect_after.is_some() {
        return sse::cut_json(&reply, ctx.shared.clone(), builder(200));
    }
    builder(200).json(reply)
}

/// Prompt tokens: the conversation's texts plus the tool definitions as compact JSON.
fn prompt_tokens(body: &Value) -> usize {
    let tools = body
        .get("tools")
        .map_or(0, |t| tokens::count(&t.to_string()));
    (tokens::count_conversation(&body["messages"]) + tools).max(1)
}

/// Tool call when tools are offered and `tool_choice` allows it, unless the conversation just
/// returned a tool result (so agent loops end) and the choice is not forced; else structured
/// output when `response_format` asks; else the echo reply.
fn decide(ctx: &Ctx, messages: &[Value], max: Option<usize>) -> Choice {
    let body = &ctx.body;
    let tools = body
        .get("tools")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty());
    let tool_choice = body.get("tool_choice");
    let last_role = messages
        .last()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str);
    let forced = matches!(tool_choice, Some(Value::Object(_)))
        || tool_choice.and_then(Value::as_str) == Some("required");
    let allowed = tool_choice.and_then(Value::as_str) != Some("none");
    if let Some(tools) = tools.filter(|_| allowed && (forced || last_role != Some("tool"))) {
        let wanted = tool_choice
            .and_then(|c| c.pointer("/function/name"))
            .and_then(Value::as_str);
        let tool = wanted
            .and_then(|w| {
                tools
                    .iter()
                    .find(|t| t.pointer("/function/name").and_then(Value::as_str) == Some(w))
            })
            .unwrap_or(&tools[0]);
        let name = tool
            .pointer("/function/name")
            .and_then(Value::as_str)
            .unwrap_or("tool")
            .to_owned();
        let arguments = tool
            .pointer("/function/parameters")
            .map_or_else(|| "{}".to_owned(), |p| schema::example(p).to_string());
        let (cut, truncated) = tokens::truncate(&arguments, max);
        return Choice {
            completion_tokens: tokens::count(cut),
            output: Output::Tool {
                id: String::new(),
                name,
                arguments: cut.to_owned(),
            },
            finish: if truncated { "length" } else { "tool_calls" },
        };
    }
    let system: Vec<String> = messages
        .iter()
        .filter(|m| {
            matches!(
                m.get("role").and_then(Value::as_str),
                Some("system" | "developer")
            )
        })
        .map(|m| content_text(&m["content"]))
        .collect();
    let last_user = messages
        .iter()
        .rev()
        .find(|m| matches!(m.get("role").and_then(Value::as_str), Some("user" | "tool")))
        .map(|m| content_text(&m["content"]))
        .unwrap_or_default();
    let reply = ctx.reply_text(&system.join(" "), &last_user);
    let format = body
        .pointer("/response_format/type")
        .and_then(Value::as_str);
    let text = match (format, &ctx.knobs.reply) {
        (Some("json_schema"), None) => body
            .pointer("/response_format/json_schema/schema")
            .map_or_else(|| "{}".to_owned(), |s| schema::example(s).to_string()),
        (Some("json_object"), None) => json!({ "reply": reply }).to_string(),
        _ => reply,
    };
    let (cut, truncated) = tokens::truncate(&text, max);
    Choice {
        completion_tokens: tokens::count(cut),
        output: Output::Text(cut.to_owned()),
        finish: if truncated { "length" } else { "stop" },
    }
}

/// Builds every frame of the stream, shaped like fixtures/openai/chat_stream_*.sse.
fn stream_plan(
    ctx: &Ctx,
    id: &str,
    model: &str,
    choices: &[Choice],
    usage_totals: Option<(usize, usize)>,
) -> sse::Plan {
    // Every chunk shares its head; only the choice differs, so the head is serialised once.
    let head = format!(
        r#"{{"id":"{id}","object":"chat.completion.chunk","created":{},"model":{},"system_fingerprint":"fp_emulator","choices":["#,
        now_secs(),
        Value::from(model)
    );
    let tail = if usage_totals.is_some() && ctx.knobs.usage_null_chunks {
        r#"],"usage":null}"#
    } else {
        "]}"
    };
    let chunk = |choice: String| data_frame(&format!("{head}{choice}{tail}"));
    let mut frames: Vec<Bytes> = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        match &c.output {
            Output::Text(text) => {
                frames.push(chunk(format!(
                    r#"{{"index":{i},"delta":{{"role":"assistant","content":"","refusal":null}},"logprobs":null,"finish_reason":null}}"#
                )));
                for piece in ctx.chunk(text) {
                    frames.push(chunk(format!(
                        r#"{{"index":{i},"delta":{{"content":{}}},"logprobs":null,"finish_reason":null}}"#,
                        Value::from(piece)
                    )));
                }
            }
            Output::Tool {
                id,
                name,
                arguments,
            } => {
                frames.push(chunk(format!(
                    r#"{{"index":{i},"delta":{{"role":"assistant","content":null,"tool_calls":[{{"index":0,"id":"{id}","type":"function","function":{{"name":{},"arguments":""}}}}],"refusal":null}},"logprobs":null,"finish_reason":null}}"#,
                    Value::from(name.as_str())
                )));
                for piece in split_chunks(arguments, ctx.knobs.chunks) {
                    frames.push(chunk(format!(
                        r#"{{"index":{i},"delta":{{"tool_calls":[{{"index":0,"function":{{"arguments":{}}}}}]}},"logprobs":null,"finish_reason":null}}"#,
                        Value::from(piece)
                    )));
                }
            }
        }
        frames.push(chunk(format!(
            r#"{{"index":{i},"delta":{{}},"logprobs":null,"finish_reason":"{}"}}"#,
            c.finish
        )));
    }
    if let Some((prompt, completion)) = usage_totals {
        frames.push(data_frame(&format!(
            "{head}],\"usage\":{}}}",
            usage_cached(prompt, completion, ctx.knobs.cached_tokens.unwrap_or(0))
        )));
    }
    frames.push(Bytes::from_static(DONE.as_bytes()));
    sse::Plan {
        frames,
        first_output: 0,
        malformed: Bytes::from_static(MALFORMED.as_bytes()),
        error: Bytes::from_static(STREAM_ERROR.as_bytes()),
    }
}
