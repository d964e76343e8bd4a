//! OpenAI-compatible adapter against fixtures/openai.

use serde_json::{Value, json};

use super::support::{self, ctx, decode_any_split, naive_sse_data};
use crate::gateway::ErrorType;
use crate::gateway::providers::openai_compat::OpenAiCompat;
use crate::gateway::providers::{CompatQuirks, ProviderAdapter, StreamEvent};
use crate::gateway::types::{ChatRequest, FinishReason};

const REQUEST_FIXTURES: &[&str] = &[
    "openai/chat_json_schema_request_response.json",
    "openai/chat_nonstream_basic.json",
    "openai/chat_nonstream_logprobs.json",
    "openai/chat_nonstream_tool_call.json",
    "openai/chat_request_image_url.json",
    "openai/chat_stream_spec_example.json",
    "openai/chat_tool_call_recorded.json",
];

/// For OpenAI itself the translated body is the client's body, except that
/// the cap is spelled max_completion_tokens and streams always ask for usage.
#[test]
fn requests_pass_through_unchanged() {
    for f in REQUEST_FIXTURES {
        let fx = support::json(f);
        let body = fx["request"]["body"].clone();
        let req: ChatRequest = serde_json::from_value(body.clone()).unwrap();
        let model = body["model"].as_str().unwrap();
        let out = OpenAiCompat.build_request(&req, &ctx(model)).unwrap();
        assert_eq!(out.method, http::Method::POST);
        assert_eq!(out.path, "/chat/completions", "{f}");
        assert_eq!(out.headers["authorization"], "Bearer test-key");

        let mut expected = body.clone();
        let obj = expected.as_object_mut().unwrap();
        if let Some(n) = obj.remove("max_tokens") {
            obj.insert("max_completion_tokens".into(), n);
        }
        if body["stream"] == true {
            obj.insert("stream_options".into(), json!({"include_usage": true}));
        }
        assert_eq!(out.body.json(), expected, "{f}");
    }
}

#[test]
fn tool_follow_up_turn_passes_through() {
    let fx = support::json("openai/chat_tool_call_recorded.json");
    let messages = fx["follow_up_turn_shape"]["messages"].clone();
    let req: ChatRequest =
        serde_json::from_value(json!({"model": "x", "messages": messages})).unwrap();
    let out = OpenAiCompat.build_request(&req, &ctx("gpt-4o")).unwrap();
    // `content: null` beside tool_calls is sent as an absent key, which
    // OpenAI treats the same.
    let mut expected = messages.clone();
    expected[1].as_object_mut().unwrap().remove("content");
    assert_eq!(out.body.json()["messages"], expected);
    assert_eq!(out.body.json()["model"], "gpt-4o");
}

/// The canonical JSON we would send for an upstream OpenAI body: the same
/// document plus `native_finish_reason`, the always-present nullable keys,
/// and without keys we do not model (`annotations`, `service_tier`).
fn expected_canonical(upstream: &Value) -> Value {
    let mut e = upstream.clone();
    let o = e.as_object_mut().unwrap();
    o.remove("service_tier");
    o.entry("system_fingerprint").or_insert(Value::Null);
    for c in o["choices"].as_array_mut().unwrap() {
        let c = c.as_object_mut().unwrap();
        c.insert("native_finish_reason".into(), c["finish_reason"].clone());
        let m = c["message"].as_object_mut().unwrap();
        m.remove("annotations");
        m.entry("refusal").or_insert(Value::Null);
        m.entry("reasoning").or_insert(Value::Null);
    }
    e
}

fn all_recorded_responses() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in REQUEST_FIXTURES {
        let fx = support::json(f);
        if let Some(b) = fx.pointer("/response/body") {
            out.push((f.to_string(), b.clone()));
        }
    }
    let variants = support::json("openai/chat_nonstream_recorded_variants.json");
    for (k, v) in variants.as_object().unwrap() {
        if !k.starts_with('_') {
            out.push((k.clone(), v.clone()));
        }
    }
    out
}

#[test]
fn every_recorded_response_translates_field_by_field() {
    let responses = all_recorded_responses();
    assert_eq!(responses.len(), 10);
    for (name, body) in responses {
        let resp = OpenAiCompat
            .parse_response(body.to_string().as_bytes(), &ctx("unused"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = serde_json::to_value(&resp).unwrap();
        assert_eq!(got, expected_canonical(&body), "{name}");
    }
}

#[test]
fn the_typed_fast_path_agrees_with_the_general_one() {
    let responses = all_recorded_responses();
    for (name, body) in &responses {
        let bytes = body.to_string();
        let (fast, general) =
            crate::gateway::providers::openai_compat::parse_both_ways(bytes.as_bytes(), &ctx("m"));
        let fast = fast.unwrap_or_else(|| panic!("{name}: the fast path refused it"));
        assert_eq!(fast, general.unwrap(), "{name}");
    }
    // Bodies the fast path leaves to the general one: an in-band error, a mistyped field.
    for body in [
        r#"{"error":{"message":"overloaded","code":529}}"#,
        r#"{"id":7,"created":"soon","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#,
    ] {
        let (fast, general) =
            crate::gateway::providers::openai_compat::parse_both_ways(body.as_bytes(), &ctx("m"));
        assert!(fast.is_none(), "{body}");
        let through_adapter = OpenAiCompat.parse_response(body.as_bytes(), &ctx("m"));
        assert_eq!(through_adapter.is_ok(), general.is_ok(), "{body}");
    }
}

#[test]
fn recorded_variants_specifics() {
    let v = support::json("openai/chat_nonstream_recorded_variants.json");
    let parse = |key: &str| {
        let (_, body) = v
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.starts_with(key))
            .unwrap();
        OpenAiCompat
            .parse_response(body.to_string().as_bytes(), &ctx("m"))
            .unwrap()
    };
    let r = parse("finish_reason_length");
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::Length));
    let r = parse("refusal");
    assert_eq!(r.choices[0].message.content, None);
    assert!(
        r.choices[0]
            .message
            .refusal
            .as_deref()
            .unwrap()
            .starts_with("I'm very sorry")
    );
    let r = parse("multiple_choices_n3");
    assert_eq!(
        r.choices.iter().map(|c| c.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let r = parse("parallel_tool_calls");
    let calls = r.choices[0].message.tool_calls.as_ref().unwrap();
    assert_eq!(calls[1].function.name, "get_stock_price");
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(r.usage.unwrap().total_tokens, 209);
}

/// Each upstream chunk with choices must come out as the same JSON minus
/// the nulls clients reject, plus native_finish_reason; usage-only chunks
/// are swallowed and their usage reported by the decoder.
#[test]
fn every_recorded_stream_translates_chunk_by_chunk() {
    let cases = [
        ("chat_stream_text_with_usage.sse", 14, FinishReason::Stop),
        ("chat_stream_tool_call.sse", 44, FinishReason::ToolCalls),
        (
            "chat_stream_parallel_tool_calls.sse",
            149,
            FinishReason::ToolCalls,
        ),
        ("chat_stream_json_schema.sse", 79, FinishReason::Stop),
        ("chat_stream_finish_length.sse", 79, FinishReason::Length),
        ("chat_stream_refusal.sse", 79, FinishReason::Stop),
        ("chat_stream_logprobs.sse", 9, FinishReason::Stop),
    ];
    for (file, prompt_tokens, finish) in cases {
        let raw = support::bytes(&format!("openai/{file}"));
        let decoded = decode_any_split(&OpenAiCompat, &ctx("m"), &raw);
        assert!(decoded.errors().is_empty(), "{file}");
        let mut expected = Vec::new();
        let mut usage = None;
        for data in naive_sse_data(&raw) {
            if data == "[DONE]" {
                continue;
            }
            let mut v: Value = serde_json::from_str(&data).unwrap();
            if let Some(u) = v.as_object_mut().unwrap().remove("usage") {
                usage = Some(u);
            }
            if v["choices"].as_array().unwrap().is_empty() {
                continue;
            }
            for c in v["choices"].as_array_mut().unwrap() {
                let c = c.as_object_mut().unwrap();
                c.insert("native_finish_reason".into(), c["finish_reason"].clone());
                c["delta"]
                    .as_object_mut()
                    .unwrap()
                    .retain(|_, v| !v.is_null());
            }
            expected.push(v);
        }
        let got: Vec<Value> = decoded
            .chunks()
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect();
        assert_eq!(got, expected, "{file}");
        assert_eq!(
            serde_json::to_value(&decoded.usage).unwrap(),
            usage.unwrap()
        );
        assert_eq!(decoded.usage.as_ref().unwrap().prompt_tokens, prompt_tokens);
        let resp = decoded.response();
        assert_eq!(resp.choices[0].finish_reason, Some(finish), "{file}");
    }
}

#[test]
fn streamed_tool_calls_assemble() {
    let raw = support::bytes("openai/chat_stream_parallel_tool_calls.sse");
    let resp = decode_any_split(&OpenAiCompat, &ctx("m"), &raw).response();
    let calls = resp.choices[0].message.tool_calls.clone().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "call_JMW1whyEaYG438VE1OIflxA2");
    assert_eq!(calls[0].function.name, "GetWeatherArgs");
    assert_eq!(
        calls[0].function.arguments,
        r#"{"city": "Edinburgh", "country": "GB", "units": "c"}"#
    );
    assert_eq!(
        calls[1].function.arguments,
        r#"{"ticker": "AAPL", "exchange": "NASDAQ"}"#
    );

    let raw = support::bytes("openai/chat_stream_refusal.sse");
    let resp = decode_any_split(&OpenAiCompat, &ctx("m"), &raw).response();
    assert_eq!(
        resp.choices[0].message.refusal.as_deref(),
        Some("I'm sorry, I can't assist with that request.")
    );
}

#[test]
fn spec_stream_example_lines_decode() {
    let fx = support::json("openai/chat_stream_spec_example.json");
    let mut sse = String::new();
    for line in fx["response_sse_data_lines_as_documented"]
        .as_array()
        .unwrap()
    {
        let line = line.as_str().unwrap();
        if line != "...." {
            sse.push_str(&format!("data: {line}\n\n"));
        }
    }
    sse.push_str("data: [DONE]\n\n");
    let resp = decode_any_split(&OpenAiCompat, &ctx("m"), sse.as_bytes()).response();
    assert_eq!(resp.choices[0].message.content.as_deref(), Some("Hello"));
    assert_eq!(resp.system_fingerprint.as_deref(), Some("fp_44709d6fcb"));
    assert_eq!(resp.created, 1694268190);
}

#[test]
fn errors_map_to_status_type_and_retry() {
    let fx = support::json("openai/errors.json");
    let expect = [
        ("400_invalid_param", 400, ErrorType::InvalidRequest, false),
        (
            "400_context_length",
            400,
            ErrorType::ContextLengthExceeded,
            false,
        ),
        ("401_invalid_api_key", 401, ErrorType::Authentication, false),
        ("404_model_not_found", 404, ErrorType::NotFound, false),
        ("429_rate_limit", 429, ErrorType::RateLimitExceeded, true),
        (
            "429_insufficient_quota",
            502,
            ErrorType::ProviderUnavailable,
            true,
        ),
        (
            "500_server_error",
            502,
            ErrorType::ProviderUnavailable,
            true,
        ),
        ("503_overloaded", 503, ErrorType::ProviderOverloaded, true),
    ];
    assert_eq!(fx["examples"].as_object().unwrap().len(), expect.len());
    for (key, status, ty, retryable) in expect {
        let ex = &fx["examples"][key];
        let mut headers = http::HeaderMap::new();
        for (k, v) in ex["headers"].as_object().into_iter().flatten() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.as_str().unwrap().parse().unwrap(),
            );
        }
        let up = ex["status"].as_u64().unwrap() as u16;
        let e = OpenAiCompat.parse_error(up, &headers, ex["body"].to_string().as_bytes());
        assert_eq!(
            (e.status, e.error_type, e.retryable),
            (status, ty, retryable),
            "{key}"
        );
        assert_eq!(e.upstream_status, Some(up));
        assert_eq!(e.raw.as_ref(), Some(&ex["body"]), "raw body kept");
        assert_eq!(e.message, ex["body"]["error"]["message"].as_str().unwrap());
        let body = e.to_body();
        assert_eq!(body["error"]["code"], status);
    }
    let e = OpenAiCompat.parse_error(
        429,
        &[(http::header::RETRY_AFTER, "20".parse().unwrap())]
            .into_iter()
            .collect(),
        fx["examples"]["429_rate_limit"]["body"]
            .to_string()
            .as_bytes(),
    );
    assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(20)));
    // A non-JSON error body is kept as text.
    let e = OpenAiCompat.parse_error(502, &http::HeaderMap::new(), b"<html>bad gateway</html>");
    assert_eq!(
        e.raw,
        Some(Value::String("<html>bad gateway</html>".into()))
    );
}

#[test]
fn mid_stream_error_is_reported_in_band() {
    let fx = support::json("openai/errors.json");
    let wire = fx["mid_stream_error"]["wire"].as_str().unwrap();
    let first = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}\n\n";
    let input = format!("{first}{wire}");
    let d = decode_any_split(&OpenAiCompat, &ctx("m"), input.as_bytes());
    assert_eq!(d.chunks().len(), 1);
    let errs = d.errors();
    assert_eq!(
        errs.len(),
        1,
        "no extra truncation error after an in-band error"
    );
    assert_eq!(errs[0].error_type, ErrorType::ProviderUnavailable);
    assert!(errs[0].message.starts_with("The server had an error"));
}

#[test]
fn truncated_stream_is_an_error() {
    let raw = support::bytes("openai/chat_stream_text_with_usage.sse");
    let d = super::support::decode_pieces(&OpenAiCompat, &ctx("m"), &[&raw[..600]]);
    assert!(matches!(d.events.last(), Some(StreamEvent::Error(_))));
}

fn quirk_request(host: &str, body: Value) -> Value {
    let req: ChatRequest = serde_json::from_value(body).unwrap();
    let c = ctx("up").with_quirks(CompatQuirks::preset(host).unwrap());
    OpenAiCompat.build_request(&req, &c).unwrap().body.json()
}

#[test]
fn host_quirks_shape_the_request() {
    let base = json!({
        "model": "a/b", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "x", "reasoning": "r",
             "reasoning_details": [{"type": "reasoning.text", "text": "r"}]}],
        "max_tokens": 10, "stream": true, "top_k": 5, "min_p": 0.1,
        "reasoning": {"effort": "high"}, "provider": {"order": ["x"]}, "models": ["a", "b"],
        "transforms": [], "plugins": [], "usage": {"include": true}, "route": "fallback",
        "custom_field": 1
    });
    let b = quirk_request("openai", base.clone());
    for k in [
        "provider",
        "models",
        "transforms",
        "plugins",
        "usage",
        "route",
        "top_k",
        "min_p",
        "reasoning",
        "max_tokens",
    ] {
        assert!(b.get(k).is_none(), "openai must not get {k}");
    }
    assert_eq!(b["max_completion_tokens"], 10);
    assert_eq!(b["reasoning_effort"], "high");
    assert_eq!(b["custom_field"], 1, "unknown fields pass through");
    assert_eq!(b["stream_options"]["include_usage"], true);
    assert!(b["messages"][1].get("reasoning_details").is_none());

    let b = quirk_request("together", base.clone());
    assert_eq!(
        (b["max_tokens"].clone(), b["top_k"].clone()),
        (json!(10), json!(5))
    );

    let b = quirk_request("mistral", base.clone());
    assert!(b.get("stream_options").is_none() && b.get("reasoning_effort").is_none());

    let b = quirk_request("openrouter", base.clone());
    assert_eq!(b["reasoning"], json!({"effort": "high"}));
    assert_eq!(b["messages"][1]["reasoning"], "r", "reasoning history kept");
    assert!(b.get("provider").is_none(), "our routing is not theirs");

    let mut no_stream = base;
    no_stream["stream"] = false.into();
    no_stream["stream_options"] = json!({"include_usage": true});
    assert!(
        quirk_request("openai", no_stream)
            .get("stream_options")
            .is_none()
    );
}

#[test]
fn deepseek_and_vllm_reasoning_fields_become_reasoning() {
    let body = json!({"id": "x", "object": "chat.completion", "created": 5, "model": "deepseek-reasoner",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "4", "reasoning_content": "2+2"},
                     "finish_reason": "stop", "logprobs": null}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                  "prompt_cache_hit_tokens": 8, "prompt_cache_miss_tokens": 2,
                  "completion_tokens_details": {"reasoning_tokens": 3}}});
    let r = OpenAiCompat
        .parse_response(body.to_string().as_bytes(), &ctx("m"))
        .unwrap();
    assert_eq!(r.choices[0].message.reasoning.as_deref(), Some("2+2"));
    assert_eq!(r.usage.as_ref().unwrap().cached_tokens(), 8);
    assert_eq!(r.usage.unwrap().reasoning_tokens(), 3);

    let sse = concat!(
        "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"th\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"ink\",\"tool_calls\":null},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"eos\"}],\"x_groq\":{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}}\n\n",
        "data: [DONE]\n\n"
    );
    let d = decode_any_split(&OpenAiCompat, &ctx("m"), sse.as_bytes());
    let first = serde_json::to_value(d.chunks()[0]).unwrap();
    assert!(first.get("usage").is_none() && first.get("system_fingerprint").is_none());
    assert_eq!(
        first["choices"][0]["delta"],
        json!({"role": "assistant", "reasoning": "th"})
    );
    let r = d.response();
    assert_eq!(r.choices[0].message.reasoning.as_deref(), Some("think"));
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::Stop));
    assert_eq!(r.choices[0].native_finish_reason.as_deref(), Some("eos"));
    assert_eq!(d.usage.unwrap().total_tokens, 5);
    assert_eq!(r.created, 5);
}
