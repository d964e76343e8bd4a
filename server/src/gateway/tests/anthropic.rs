//! Anthropic adapter against fixtures/anthropic.

use serde_json::{Value, json};

use super::support::{self, ctx, decode_any_split, naive_sse_data};
use super::yaml;
use crate::gateway::ErrorType;
use crate::gateway::providers::ProviderAdapter;
use crate::gateway::providers::anthropic::Anthropic;
use crate::gateway::types::{
    ChatRequest, ChatResponse, FinishReason, Message, ReasoningDetail, Role,
};

/// Every recorded (request, response status, response body) exchange.
pub(super) fn exchanges() -> Vec<(String, Value, u16, Value)> {
    let mut out = Vec::new();
    for f in [
        "cassette_400_invalid_request_error.json",
        "cassette_429_rate_limit_then_stream.json",
        "cassette_structured_output_nonstream.json",
        "cassette_tool_use_roundtrip_nonstream.json",
        "cassette_tool_use_roundtrip_stream.json",
    ] {
        for (i, x) in support::json(&format!("anthropic/{f}"))
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let status = x["response"]["status_code"].as_u64().unwrap() as u16;
            out.push((
                format!("{f}#{i}"),
                x["request"]["body"].clone(),
                status,
                x["response"]["body"].clone(),
            ));
        }
    }
    for f in [
        "go_vcr_tool_runner_basic.yaml",
        "go_vcr_tool_runner_streaming.yaml",
    ] {
        let text = String::from_utf8(support::bytes(&format!("anthropic/{f}"))).unwrap();
        let bodies = yaml::bodies(&text);
        assert_eq!(bodies.len(), 4, "{f}");
        for (i, pair) in bodies.chunks(2).enumerate() {
            let req: Value = serde_json::from_str(&pair[0]).unwrap();
            let resp =
                serde_json::from_str(&pair[1]).unwrap_or_else(|_| Value::String(pair[1].clone()));
            out.push((format!("{f}#{i}"), req, 200, resp));
        }
    }
    out
}

/// The client request that should produce a recorded Anthropic body: the
/// inverse of the adapter, written independently for the shapes recorded.
fn canonical_from_anthropic(body: &Value) -> ChatRequest {
    let mut messages = Vec::new();
    match &body["system"] {
        Value::String(s) => messages.push(json!({"role": "system", "content": s})),
        Value::Array(blocks) => messages.push(json!({"role": "system", "content": blocks})),
        _ => {}
    }
    for m in body["messages"].as_array().unwrap() {
        let blocks = match &m["content"] {
            Value::String(s) => vec![json!({"type": "text", "text": s})],
            Value::Array(b) => b.clone(),
            _ => unreachable!(),
        };
        if m["role"] == "assistant" {
            let text: String = blocks.iter().filter_map(|b| b["text"].as_str()).collect();
            let calls: Vec<Value> = blocks
                .iter()
                .filter(|b| b["type"] == "tool_use")
                .map(|b| {
                    json!({
                "id": b["id"], "type": "function",
                "function": {"name": b["name"], "arguments": b["input"].to_string()}})
                })
                .collect();
            let mut msg = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { text.into() }});
            if !calls.is_empty() {
                msg["tool_calls"] = calls.into();
            }
            messages.push(msg);
            continue;
        }
        for b in blocks {
            if b["type"] == "tool_result" {
                messages.push(json!({"role": "tool", "tool_call_id": b["tool_use_id"], "content": b["content"]}));
            } else {
                messages.push(json!({"role": "user", "content": [b]}));
            }
        }
    }
    let mut req =
        json!({"model": "client-model", "messages": messages, "max_tokens": body["max_tokens"]});
    if let Some(tools) = body["tools"].as_array() {
        req["tools"] = tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
            "name": t["name"], "description": t["description"], "parameters": t["input_schema"]}})
            })
            .collect();
    }
    if body["stream"] == true {
        req["stream"] = true.into();
    }
    if let Some(schema) = body.pointer("/output_config/format/schema") {
        req["response_format"] =
            json!({"type": "json_schema", "json_schema": {"name": "out", "schema": schema}});
    }
    if let Some(b) = body.pointer("/thinking/budget_tokens") {
        req["reasoning"] = json!({"max_tokens": b});
    }
    serde_json::from_value(req).unwrap()
}

/// Equivalent Anthropic bodies compare equal: `caller` is response-only,
/// a string content is one text block, and consecutive same-role turns merge.
pub(super) fn normalize(body: &Value) -> Value {
    let mut b = body.clone();
    let mut merged: Vec<Value> = Vec::new();
    for m in b["messages"].as_array().unwrap() {
        let mut blocks = match &m["content"] {
            Value::String(s) => vec![json!({"type": "text", "text": s})],
            Value::Array(a) => a.clone(),
            _ => unreachable!(),
        };
        for bl in &mut blocks {
            bl.as_object_mut().unwrap().remove("caller");
        }
        match merged.last_mut() {
            Some(last) if last["role"] == m["role"] => {
                last["content"].as_array_mut().unwrap().extend(blocks)
            }
            _ => merged.push(json!({"role": m["role"], "content": blocks})),
        }
    }
    b["messages"] = merged.into();
    b
}

#[test]
fn every_recorded_request_is_reproduced() {
    let mut bodies: Vec<(String, Value)> = exchanges()
        .into_iter()
        .map(|(n, req, _, _)| (n, req))
        .collect();
    let pc = support::json("anthropic/prompt_caching_and_thinking.json");
    bodies.push(("prompt_caching_and_thinking".into(), pc["request"].clone()));
    assert_eq!(bodies.len(), 15);
    for (name, recorded) in bodies {
        let req = canonical_from_anthropic(&recorded);
        let model = recorded["model"].as_str().unwrap();
        let out = Anthropic.build_request(&req, &ctx(model)).unwrap();
        assert_eq!(out.path, "/v1/messages");
        assert_eq!(normalize(&out.body.json()), normalize(&recorded), "{name}");
    }
}

#[test]
fn required_headers() {
    let h = support::json("anthropic/headers.json");
    let req = canonical_from_anthropic(
        &json!({"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
    );
    let out = Anthropic.build_request(&req, &ctx("m")).unwrap();
    assert_eq!(
        out.headers["anthropic-version"],
        h["request"]["required"]["anthropic-version"]
            .as_str()
            .unwrap()
    );
    assert_eq!(out.headers["x-api-key"], "test-key");
    assert!(out.headers["x-api-key"].is_sensitive());
    assert_eq!(out.headers["content-type"], "application/json");
}

#[test]
fn request_translation_details() {
    let req: ChatRequest = serde_json::from_value(json!({
        "model": "x", "temperature": 0.2, "top_k": 3, "stop": "END", "user": "u1",
        "parallel_tool_calls": false, "tool_choice": {"type": "function", "function": {"name": "f"}},
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "messages": [
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                {"type": "image_url", "image_url": {"url": "https://x/y.jpg"}},
                {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBE"}}]}]
    })).unwrap();
    let b = Anthropic
        .build_request(&req, &ctx("m"))
        .unwrap()
        .body
        .json();
    assert_eq!(b["system"], "be brief");
    assert_eq!(b["max_tokens"], 4096, "default when the client gives none");
    assert_eq!(
        (b["temperature"].clone(), b["top_k"].clone()),
        (json!(0.2), json!(3))
    );
    assert_eq!(b["stop_sequences"], json!(["END"]));
    assert_eq!(b["metadata"], json!({"user_id": "u1"}));
    assert_eq!(
        b["tool_choice"],
        json!({"type": "tool", "name": "f", "disable_parallel_tool_use": true})
    );
    assert_eq!(b["tools"][0]["input_schema"]["type"], "object");
    let c = &b["messages"][0]["content"];
    assert_eq!(c[0]["cache_control"], json!({"type": "ephemeral"}));
    assert_eq!(
        c[1]["source"],
        json!({"type": "base64", "media_type": "image/png", "data": "iVBO"})
    );
    assert_eq!(
        c[2]["source"],
        json!({"type": "url", "url": "https://x/y.jpg"})
    );
    assert_eq!(c[3]["type"], "document");

    // Effort-based thinking drops temperature and keeps budget < max_tokens.
    let req: ChatRequest =
        serde_json::from_value(json!({"model": "x", "temperature": 0.2, "max_tokens": 1000,
        "reasoning": {"effort": "high"}, "messages": [{"role": "user", "content": "q"}]}))
        .unwrap();
    let b = Anthropic
        .build_request(&req, &ctx("m"))
        .unwrap()
        .body
        .json();
    assert_eq!(
        b["thinking"],
        json!({"type": "enabled", "budget_tokens": 1024})
    );
    assert_eq!(b["max_tokens"], 1024 + 4096);
    assert!(b.get("temperature").is_none());

    let audio: ChatRequest =
        serde_json::from_value(json!({"model": "x", "messages": [{"role": "user",
        "content": [{"type": "input_audio", "input_audio": {"data": "AA", "format": "wav"}}]}]}))
        .unwrap();
    assert!(Anthropic.build_request(&audio, &ctx("m")).is_err());
}

/// Independent reading of a recorded Messages response.
fn check_response(name: &str, raw: &Value, r: &ChatResponse) {
    let blocks = raw["content"].as_array().unwrap();
    let text: String = blocks
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        .collect();
    let m = &r.choices[0].message;
    assert_eq!(m.content.clone().unwrap_or_default(), text, "{name}");
    let uses: Vec<&Value> = blocks.iter().filter(|b| b["type"] == "tool_use").collect();
    let calls = m.tool_calls.clone().unwrap_or_default();
    assert_eq!(calls.len(), uses.len(), "{name}");
    for (c, u) in calls.iter().zip(uses) {
        assert_eq!(c.id, u["id"].as_str().unwrap());
        assert_eq!(c.function.name, u["name"].as_str().unwrap());
        assert_eq!(
            serde_json::from_str::<Value>(&c.function.arguments).unwrap(),
            u["input"]
        );
    }
    let stop = raw["stop_reason"].as_str().unwrap();
    assert_eq!(r.choices[0].native_finish_reason.as_deref(), Some(stop));
    let u = &raw["usage"];
    let n = |k: &str| u[k].as_u64().unwrap_or(0);
    let usage = r.usage.as_ref().unwrap();
    let prompt =
        n("input_tokens") + n("cache_read_input_tokens") + n("cache_creation_input_tokens");
    assert_eq!(usage.prompt_tokens, prompt, "{name}");
    assert_eq!(usage.completion_tokens, n("output_tokens"));
    assert_eq!(usage.total_tokens, prompt + n("output_tokens"));
    assert_eq!(usage.cached_tokens(), n("cache_read_input_tokens"));
    assert_eq!(usage.cache_write_tokens(), n("cache_creation_input_tokens"));
    assert_eq!(r.id, raw["id"].as_str().unwrap());
    assert_eq!(r.model, raw["model"].as_str().unwrap());
}

#[test]
fn every_recorded_response_translates() {
    let mut n = 0;
    for (name, _, status, body) in exchanges() {
        if status != 200 || body.is_string() {
            continue;
        }
        let r = Anthropic
            .parse_response(body.to_string().as_bytes(), &ctx("m"))
            .unwrap();
        check_response(&name, &body, &r);
        let v = serde_json::to_value(&r).unwrap();
        assert!(v.get("system_fingerprint").is_some(), "always present");
        n += 1;
    }
    assert_eq!(n, 6);
    let r = Anthropic
        .parse_response(support::json("anthropic/cassette_tool_use_roundtrip_nonstream.json")[0]["response"]["body"].to_string().as_bytes(), &ctx("m"))
        .unwrap();
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(r.created, support::CREATED);
}

#[test]
fn thinking_cache_and_redacted_thinking_roundtrip() {
    let pc = support::json("anthropic/prompt_caching_and_thinking.json");
    let mut raw = pc["response_first_call_cache_write"].clone();
    raw["content"]
        .as_array_mut()
        .unwrap()
        .insert(1, pc["redacted_thinking_block_shape"].clone());
    let r = Anthropic
        .parse_response(raw.to_string().as_bytes(), &ctx("m"))
        .unwrap();
    check_response("cache write", &raw, &r);
    let m = &r.choices[0].message;
    assert_eq!(m.reasoning.as_deref(), Some("The user wants a summary..."));
    let d = m.reasoning_details.clone().unwrap();
    assert_eq!(d[0].kind, ReasoningDetail::TEXT);
    assert_eq!(d[0].signature.as_deref(), Some("EqQBCgIYAhIM...opaque..."));
    assert_eq!(d[1].kind, ReasoningDetail::ENCRYPTED);
    assert_eq!(d[1].data.as_deref(), Some("EmwKAhgBEgy...opaque..."));
    assert_eq!(r.usage.as_ref().unwrap().prompt_tokens, 21 + 2051);
    let out = serde_json::to_value(r.usage.as_ref().unwrap()).unwrap();
    assert_eq!(
        out["prompt_tokens_details"],
        json!({"cached_tokens": 0, "cache_write_tokens": 2051})
    );

    // The next turn sends the blocks back verbatim, before the text.
    let mut next = Message::new(Role::Assistant, m.content.clone().unwrap());
    next.reasoning_details = m.reasoning_details.clone();
    let req = ChatRequest {
        messages: vec![
            Message::new(Role::User, "q"),
            next,
            Message::new(Role::User, "more"),
        ],
        ..Default::default()
    };
    let b = Anthropic
        .build_request(&req, &ctx("m"))
        .unwrap()
        .body
        .json();
    let blocks = b["messages"][1]["content"].as_array().unwrap();
    assert_eq!(&blocks[..2], &raw["content"].as_array().unwrap()[..2]);
    assert_eq!(blocks[2], raw["content"][2]);

    let hit = pc["response_second_call_cache_hit_usage"].clone();
    let mut raw2 = raw.clone();
    raw2["usage"] = hit;
    let r2 = Anthropic
        .parse_response(raw2.to_string().as_bytes(), &ctx("m"))
        .unwrap();
    check_response("cache hit", &raw2, &r2);
    assert_eq!(r2.usage.unwrap().cached_tokens(), 2051);
}

/// Independent replay of a recorded Anthropic stream.
fn check_stream(name: &str, raw: &[u8]) -> ChatResponse {
    let decoded = decode_any_split(&Anthropic, &ctx("m"), raw);
    assert!(
        decoded.errors().is_empty(),
        "{name}: {:?}",
        decoded.errors()
    );
    let r = decoded.response();
    let (mut text, mut thinking, mut sig, mut stop) =
        (String::new(), String::new(), String::new(), None);
    let mut tools: Vec<(String, String, String)> = Vec::new();
    let mut usage = json!({});
    for data in naive_sse_data(raw) {
        let v: Value = serde_json::from_str(&data).unwrap();
        let d = &v["delta"];
        match v["type"].as_str().unwrap() {
            "message_start" => usage = v["message"]["usage"].clone(),
            "content_block_start" if v["content_block"]["type"] == "tool_use" => tools.push((
                v["content_block"]["id"].as_str().unwrap().into(),
                v["content_block"]["name"].as_str().unwrap().into(),
                String::new(),
            )),
            "content_block_delta" => {
                text += d["text"].as_str().unwrap_or_default();
                thinking += d["thinking"].as_str().unwrap_or_default();
                sig += d["signature"].as_str().unwrap_or_default();
                if let Some(p) = d["partial_json"].as_str() {
                    tools.last_mut().unwrap().2 += p;
                }
            }
            "message_delta" => {
                stop = d["stop_reason"].as_str().map(String::from);
                for (k, val) in v["usage"].as_object().unwrap() {
                    usage[k] = val.clone();
                }
            }
            _ => {}
        }
    }
    let m = &r.choices[0].message;
    assert_eq!(m.content.clone().unwrap_or_default(), text, "{name}");
    assert_eq!(m.reasoning.clone().unwrap_or_default(), thinking, "{name}");
    let got_sig: String = m
        .reasoning_details
        .iter()
        .flatten()
        .filter_map(|d| d.signature.clone())
        .collect();
    assert_eq!(got_sig, sig, "{name}");
    let calls = m.tool_calls.clone().unwrap_or_default();
    let got: Vec<(String, String, String)> = calls
        .into_iter()
        .map(|c| (c.id, c.function.name, c.function.arguments))
        .collect();
    assert_eq!(got, tools, "{name}");
    assert_eq!(r.choices[0].native_finish_reason, stop, "{name}");
    let mut resp_like =
        json!({"id": r.id, "model": r.model, "content": [], "stop_reason": stop, "usage": usage});
    resp_like["content"] = json!([{"type": "text", "text": text}]);
    for (id, name, args) in &tools {
        let input: Value = serde_json::from_str(args).unwrap();
        resp_like["content"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "tool_use", "id": id, "name": name, "input": input}));
    }
    check_response(name, &resp_like, &r);
    r
}

/// Every recorded successful stream: (name, raw SSE bytes).
pub(super) fn recorded_streams() -> Vec<(String, Vec<u8>)> {
    let mut streams: Vec<(String, Vec<u8>)> = [
        "stream_text_basic.sse",
        "stream_text_recorded_padded.sse",
        "stream_tool_use_input_json_delta.sse",
        "stream_thinking_signature_delta.sse",
        "stream_refusal_stop_reason.sse",
    ]
    .iter()
    .map(|f| (f.to_string(), support::bytes(&format!("anthropic/{f}"))))
    .collect();
    for (name, _, status, body) in exchanges() {
        if let (200, Value::String(s)) = (status, body) {
            streams.push((name, s.into_bytes()));
        }
    }
    assert_eq!(streams.len(), 10);
    streams
}

#[test]
fn every_recorded_stream_translates() {
    for (name, raw) in &recorded_streams() {
        check_stream(name, raw);
    }
}

#[test]
fn stream_specifics() {
    let r = check_stream("basic", &support::bytes("anthropic/stream_text_basic.sse"));
    assert_eq!(
        r.choices[0].message.content.as_deref(),
        Some("Hello there!")
    );
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::Stop));
    assert_eq!(r.id, "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK");

    let r = check_stream(
        "think",
        &support::bytes("anthropic/stream_thinking_signature_delta.sse"),
    );
    let d = &r.choices[0].message.reasoning_details.clone().unwrap()[0];
    assert_eq!(
        (d.index, d.format.as_deref()),
        (Some(0), Some(ReasoningDetail::FORMAT_ANTHROPIC))
    );
    assert!(
        d.text
            .as_deref()
            .unwrap()
            .starts_with("Simple educational question")
    );
    assert_eq!(
        r.choices[0].finish_reason,
        Some(FinishReason::ContentFilter)
    );
    assert_eq!(r.usage.unwrap().reasoning_tokens(), 67);

    let raw = support::bytes("anthropic/stream_tool_use_input_json_delta.sse");
    let d = decode_any_split(&Anthropic, &ctx("m"), &raw);
    let first_tool = d
        .chunks()
        .into_iter()
        .find(|c| c.choices[0].delta.tool_calls.is_some())
        .unwrap();
    let v = serde_json::to_value(first_tool).unwrap();
    assert_eq!(
        v["choices"][0]["delta"]["tool_calls"][0],
        json!({"index": 0,
        "id": "toolu_01NRLabsLyVHZPKxbKvkfSMn", "type": "function",
        "function": {"name": "get_weather", "arguments": ""}})
    );
    assert_eq!(
        d.response().choices[0].finish_reason,
        Some(FinishReason::ToolCalls)
    );
}

#[test]
fn stream_error_event_and_truncation() {
    let raw = support::bytes("anthropic/stream_error_event.sse");
    let d = decode_any_split(&Anthropic, &ctx("m"), &raw);
    let e = d.errors();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].status, e[0].error_type),
        (503, ErrorType::ProviderOverloaded)
    );
    assert_eq!(e[0].provider_code.as_deref(), Some("overloaded_error"));
    assert_eq!(e[0].message, "Overloaded");

    let raw = support::bytes("anthropic/stream_text_basic.sse");
    let d = super::support::decode_pieces(&Anthropic, &ctx("m"), &[&raw[..raw.len() - 40]]);
    assert!(matches!(
        d.events.last(),
        Some(crate::gateway::StreamEvent::Error(_))
    ));
}

#[test]
fn errors_map_to_status_type_and_retry() {
    let fx = support::json("anthropic/errors.json");
    for (status, kind) in fx["status_to_type"].as_object().unwrap() {
        let status: u16 = status.parse().unwrap();
        let body = json!({"type": "error", "error": {"type": kind, "message": "m"}});
        let e = Anthropic.parse_error(status, &http::HeaderMap::new(), body.to_string().as_bytes());
        let expected = match status {
            500 => 502,
            529 => 503,
            s => s,
        };
        assert_eq!(e.status, expected, "{kind}");
        assert_eq!(e.provider_code.as_deref(), Some(kind.as_str().unwrap()));
        assert_eq!(
            e.retryable,
            matches!(status, 429 | 500 | 504 | 529),
            "{kind}"
        );
    }
    for (name, _, status, body) in exchanges() {
        if status == 200 {
            continue;
        }
        let should_retry = if status == 429 { "true" } else { "false" };
        let headers: http::HeaderMap = [(
            http::HeaderName::from_static("x-should-retry"),
            should_retry.parse().unwrap(),
        )]
        .into_iter()
        .collect();
        let e = Anthropic.parse_error(status, &headers, body.to_string().as_bytes());
        assert_eq!(e.status, status, "{name}");
        assert_eq!(e.retryable, status == 429, "{name}");
        assert_eq!(e.raw.as_ref().unwrap()["request_id"], body["request_id"]);
        assert_eq!(e.message, body["error"]["message"].as_str().unwrap());
    }
}
