//! Anthropic `POST /v1/messages`: headers, errors, tool use, extended thinking, prompt caching
//! and the `event:`/`data:` stream (fixtures/anthropic/*.sse).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::common::{Ctx, content_text, fnv, prepare, random_id, signature, split_chunks};
use crate::state::Shared;
use crate::{schema, sse, tokens};

const STREAM_ERROR: &str = "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";
const MALFORMED: &str = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\n\n";

/// `request-id`, the organization and the `anthropic-ratelimit-*` family (headers.json).
fn builder(status: u16, request_id: &str) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    b.insert_header(("request-id", request_id.to_owned()))
        .insert_header((
            "anthropic-organization-id",
            "00000000-0000-4000-8000-00000000e0e0",
        ));
    for (kind, limit) in [
        ("input-tokens", "200000"),
        ("output-tokens", "80000"),
        ("requests", "4000"),
        ("tokens", "280000"),
    ] {
        b.insert_header((format!("anthropic-ratelimit-{kind}-limit"), limit))
            .insert_header((format!("anthropic-ratelimit-{kind}-remaining"), limit))
            .insert_header((
                format!("anthropic-ratelimit-{kind}-reset"),
                "2030-01-01T00:00:00Z",
            ));
    }
    b
}

/// The documented status -> error type table (errors.json `status_to_type`).
pub fn error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        s if s >= 500 => "api_error",
        _ => "invalid_request_error",
    }
}

/// `{"type":"error","error":{type,message},"request_id"}` with `x-should-retry`.
fn error(status: u16, message: &str, retry_after: Option<u64>) -> HttpResponse {
    let request_id = format!("req_011C{}", random_id(20));
    let retry = status == 408 || status == 409 || status == 429 || status >= 500;
    let mut b = builder(status, &request_id);
    b.insert_header(("x-should-retry", if retry { "true" } else { "false" }));
    if let Some(secs) = retry_after {
        b.insert_header(("retry-after", secs.to_string()));
    }
    b.json(json!({
        "type": "error",
        "error": { "type": error_type(status), "message": message },
        "request_id": request_id,
    }))
}

fn injected(status: u16, model: &str, ctx: &Ctx) -> HttpResponse {
    let message = match status {
        401 => "invalid x-api-key".to_owned(),
        402 => "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.".to_owned(),
        403 => "Your API key does not have permission to use the specified resource.".to_owned(),
        404 => format!("model: {model}"),
        413 => "Request exceeds the maximum allowed number of bytes.".to_owned(),
        429 => "This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.".to_owned(),
        504 => "Request timed out".to_owned(),
        529 => "Overloaded".to_owned(),
        s if s >= 500 => "Internal server error".to_owned(),
        _ => "Emulated invalid request.".to_owned(),
    };
    error(status, &message, ctx.retry_after(status))
}

/// Auth (`x-api-key`, or `Authorization: Bearer` as OAuth clients send), `anthropic-version`,
/// injected failures, and the required body fields.
fn check(req: &HttpRequest, ctx: &Ctx, need_max_tokens: bool) -> Result<String, HttpResponse> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let key = header("x-api-key")
        .or_else(|| header("authorization").and_then(|v| v.strip_prefix("Bearer ")));
    match (key.filter(|k| !k.is_empty()), &ctx.shared.config.api_key) {
        (None, _) => return Err(error(401, "x-api-key header is required", None)),
        (Some(k), Some(expected)) if k != expected => {
            return Err(error(401, "invalid x-api-key", None));
        }
        _ => {}
    }
    if header("anthropic-version").is_none_or(str::is_empty) {
        return Err(error(400, "anthropic-version: header is required", None));
    }
    let body = &ctx.body;
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if let Some(status) = ctx.injected_status() {
        return Err(injected(status, &model, ctx));
    }
    if !body.is_object() {
        return Err(error(
            400,
            "There was an issue with your request body: the body must be a JSON object.",
            None,
        ));
    }
    for field in ["model", "messages"]
        .into_iter()
        .chain(need_max_tokens.then_some("max_tokens"))
    {
        if body.get(field).is_none_or(Value::is_null) {
            return Err(error(400, &format!("{field}: Field required"), None));
        }
    }
    if ctx.unknown_model(&model) {
        return Err(error(404, &format!("model: {model}"), None));
    }
    Ok(model)
}

/// Input token accounting, with prompt caching: the prefix up to the last `cache_control`
/// breakpoint (tools, then system, then messages) is written to the cache on first sight and
/// read from it when an identical prefix comes again. No minimum length applies.
struct InputUsage {
    input: usize,
    cache_write: usize,
    cache_read: usize,
    ttl_1h: bool,
}

fn push_content<'a>(content: &'a Value, blocks: &mut Vec<(&'a Value, usize)>) {
    match content {
        Value::Array(parts) => parts
            .iter()
            .for_each(|p| blocks.push((p, tokens::count_conversation(p)))),
        other => blocks.push((other, tokens::count_conversation(other))),
    }
}

fn input_usage(ctx: &Ctx, model: &str) -> InputUsage {
    let body = &ctx.body;
    let mut blocks: Vec<(&Value, usize)> = Vec::new();
    for tool in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        blocks.push((tool, tokens::count(&tool.to_string())));
    }
    if let Some(system) = body.get("system") {
        push_content(system, &mut blocks);
    }
    for message in body
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push_content(message.get("content").unwrap_or(&Value::Null), &mut blocks);
    }
    let total: usize = blocks.iter().map(|(_, n)| n).sum::<usize>().max(1);
    let Some(last) = blocks
        .iter()
        .rposition(|(b, _)| b.get("cache_control").is_some())
    else {
        return InputUsage {
            input: total,
            cache_write: 0,
            cache_read: 0,
            ttl_1h: false,
        };
    };
    let prefix: usize = blocks[..=last].iter().map(|(_, n)| n).sum();
    let ttl_1h = blocks[last]
        .0
        .pointer("/cache_control/ttl")
        .and_then(Value::as_str)
        == Some("1h");
    let mut key = model.as_bytes().to_vec();
    for (block, _) in &blocks[..=last] {
        key.extend_from_slice(block.to_string().as_bytes());
    }
    let hit = ctx.shared.cache_hit(fnv(&key));
    InputUsage {
        input: total.saturating_sub(prefix),
        cache_write: if hit { 0 } else { prefix },
        cache_read: if hit { prefix } else { 0 },
        ttl_1h,
    }
}

fn usage_json(u: &InputUsage, output: usize) -> Value {
    json!({
        "input_tokens": u.input,
        "cache_creation_input_tokens": u.cache_write,
        "cache_read_input_tokens": u.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": if u.ttl_1h { 0 } else { u.cache_write },
            "ephemeral_1h_input_tokens": if u.ttl_1h { u.cache_write } else { 0 },
        },
        "output_tokens": output,
        "service_tier": "standard",
    })
}

/// One output content block.
enum Block {
    Thinking(String),
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: String,
    },
}

/// Decides the content: optional thinking, then a tool call (when offered, allowed and the last
/// turn is not a tool result, unless forced), else structured output or the echo reply.
fn generate(ctx: &Ctx) -> (Vec<Block>, &'static str, usize) {
    let body = &ctx.body;
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"));
    let last_is_tool_result = messages
        .last()
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
        .is_some_and(|parts| {
            parts
                .iter()
                .any(|p| p.get("type").and_then(Value::as_str) == Some("tool_result"))
        });
    let user_text = last_user
        .map(|m| content_text(&m["content"]))
        .unwrap_or_default();
    let system = body.get("system").map(content_text).unwrap_or_default();
    let mut budget = body
        .get("max_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(4096) as usize;
    let mut blocks = Vec::new();
    let mut truncated = false;
    let mut output_tokens = 0;
    let mut emit = |text: String, budget: &mut usize, truncated: &mut bool| -> String {
        let (cut, was_cut) = tokens::truncate(&text, Some(*budget));
        let n = tokens::count(cut);
        *budget -= n;
        *truncated |= was_cut;
        output_tokens += n;
        cut.to_owned()
    };
    let thinking = matches!(
        body.pointer("/thinking/type").and_then(Value::as_str),
        Some("enabled" | "adaptive")
    );
    if thinking {
        let thought = format!(
            "Thinking about: {}",
            crate::knobs::strip_directive(&user_text).trim()
        );
        blocks.push(Block::Thinking(emit(thought, &mut budget, &mut truncated)));
    }
    let tools = body
        .get("tools")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty());
    let choice = body
        .pointer("/tool_choice/type")
        .and_then(Value::as_str)
        .unwrap_or("auto");
    let forced = matches!(choice, "any" | "tool");
    if let Some(tools) = tools.filter(|_| choice != "none" && (forced || !last_is_tool_result)) {
        let wanted = body.pointer("/tool_choice/name").and_then(Value::as_str);
        let tool = wanted
            .and_then(|w| {
                tools
                    .iter()
                    .find(|t| t.get("name").and_then(Value::as_str) == Some(w))
            })
            .unwrap_or(&tools[0]);
        let name = tool
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("tool")
            .to_owned();
        if !forced && !truncated {
            blocks.push(Block::Text(emit(
                format!("Calling {name}."),
                &mut budget,
                &mut truncated,
            )));
        }
        let input = tool
            .get("input_schema")
            .map_or_else(|| "{}".to_owned(), |s| schema::example(s).to_string());
        if !truncated {
            let input = emit(input, &mut budget, &mut truncated);
            let id = format!("toolu_01{}", random_id(22));
            blocks.push(Block::ToolUse { id, name, input });
        }
        let stop = if truncated { "max_tokens" } else { "tool_use" };
        return (blocks, stop, output_tokens);
    }
    let format_schema = body
        .pointer("/output_config/format/schema")
        .or_else(|| body.pointer("/output_format/schema"));
    let text = match (format_schema, &ctx.knobs.reply) {
        (Some(schema), None) => schema::example(schema).to_string(),
        _ => ctx.reply_text(&system, &user_text),
    };
    if !truncated {
        blocks.push(Block::Text(emit(text, &mut budget, &mut truncated)));
    }
    (
        blocks,
        if truncated { "max_tokens" } else { "end_turn" },
        output_tokens,
    )
}

pub async fn messages(
    req: HttpRequest,
    raw: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let ctx = match prepare("anthropic", &req, &raw, &shared).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    let model = match check(&req, &ctx, true) {
        Ok(model) => model,
        Err(response) => return response,
    };
    let usage = input_usage(&ctx, &model);
    let (blocks, stop_reason, output_tokens) = generate(&ctx);
    let id = format!("msg_01{}", random_id(22));
    let request_id = format!("req_011C{}", random_id(20));
    if ctx.body.get("stream").and_then(Value::as_bool) == Some(true) {
        let plan = stream_plan(
            &ctx,
            &id,
            &model,
            &blocks,
            stop_reason,
            &usage,
            output_tokens,
        );
        return sse::respond(
            plan,
            &ctx.knobs,
            ctx.shared.clone(),
            builder(200, &request_id),
        );
    }
    if ctx.knobs.ttft_ms > 0 {
        tokio::time::sleep(ctx.knobs.ttft()).await;
    }
    let content: Vec<Value> = blocks.iter().map(block_json).collect();
    builder(200, &request_id).json(json!({
        "model": model,
        "id": id,
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage_json(&usage, output_tokens),
    }))
}

fn block_json(block: &Block) -> Value {
    match block {
        Block::Thinking(t) => json!({"type": "thinking", "thinking": t, "signature": signature(t)}),
        Block::Text(t) => json!({"type": "text", "text": t}),
        Block::ToolUse { id, name, input } => json!({
            "type": "tool_use", "id": id, "name": name,
            "input": serde_json::from_str::<Value>(input).unwrap_or_else(|_| json!({}))
        }),
    }
}

fn event(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// message_start -> (content_block_start -> [ping] -> deltas -> content_block_stop)* ->
/// message_delta -> message_stop, as fixtures/anthropic/stream_*.sse.
fn stream_plan(
    ctx: &Ctx,
    id: &str,
    model: &str,
    blocks: &[Block],
    stop: &str,
    usage: &InputUsage,
    output: usize,
) -> sse::Plan {
    let mut start_usage = usage_json(usage, 1);
    start_usage["output_tokens"] = json!(1);
    let mut frames = vec![event(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": start_usage}}),
    )];
    for (index, block) in blocks.iter().enumerate() {
        let start = match block {
            Block::Thinking(_) => json!({"type": "thinking", "thinking": "", "signature": ""}),
            Block::Text(_) => json!({"type": "text", "text": ""}),
            Block::ToolUse { id, name, .. } => {
                json!({"type": "tool_use", "id": id, "name": name, "input": {}})
            }
        };
        frames.push(event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        if index == 0 {
            frames.push(Bytes::from_static(
                b"event: ping\ndata: {\"type\": \"ping\"}\n\n",
            ));
        }
        let delta = |delta: Value| {
            event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index, "delta": delta}),
            )
        };
        match block {
            Block::Thinking(t) => {
                for piece in ctx.chunk(t) {
                    frames.push(delta(json!({"type": "thinking_delta", "thinking": piece})));
                }
                frames.push(delta(
                    json!({"type": "signature_delta", "signature": signature(t)}),
                ));
            }
            Block::Text(t) => {
                for piece in ctx.chunk(t) {
                    frames.push(delta(json!({"type": "text_delta", "text": piece})));
                }
            }
            Block::ToolUse { input, .. } => {
                frames.push(delta(
                    json!({"type": "input_json_delta", "partial_json": ""}),
                ));
                for piece in split_chunks(input, ctx.knobs.chunks) {
                    frames.push(delta(
                        json!({"type": "input_json_delta", "partial_json": piece}),
                    ));
                }
            }
        }
        frames.push(event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    frames.push(event(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
            "usage": {"input_tokens": usage.input, "cache_creation_input_tokens": usage.cache_write,
                "cache_read_input_tokens": usage.cache_read, "output_tokens": output}}),
    ));
    frames.push(event("message_stop", &json!({"type": "message_stop"})));
    sse::Plan {
        frames,
        first_output: 1,
        malformed: Bytes::from_static(MALFORMED.as_bytes()),
        error: Bytes::from_static(STREAM_ERROR.as_bytes()),
    }
}

/// `POST /v1/messages/count_tokens`: `{"input_tokens": N}` by the same rule as usage (the
/// cache is not touched).
pub async fn count_tokens(
    req: HttpRequest,
    raw: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let ctx = match prepare("anthropic", &req, &raw, &shared).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    if let Err(response) = check(&req, &ctx, false) {
        return response;
    }
    let body = &ctx.body;
    let tools = body
        .get("tools")
        .and_then(Value::as_array)
        .map_or(0, |t| t.iter().map(|t| tokens::count(&t.to_string())).sum());
    let n = tools + tokens::count_conversation(&json!([body.get("system"), body.get("messages")]));
    builder(200, &format!("req_011C{}", random_id(20))).json(json!({ "input_tokens": n.max(1) }))
}
