//! Gemini adapter against fixtures/gemini.

use serde_json::{Value, json};

use super::support::{self, ctx, decode_any_split, naive_sse_data};
use crate::gateway::ErrorType;
use crate::gateway::providers::ProviderAdapter;
use crate::gateway::providers::gemini::Gemini;
use crate::gateway::types::{ChatRequest, ChatResponse, FinishReason, ReasoningDetail};

fn recording(name: &str) -> Vec<(String, Value, u16, Vec<Value>)> {
    let fx = support::json(&format!("gemini/{name}"));
    fx["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let r = &i["request"];
            (
                r["url"].as_str().unwrap().to_string(),
                r["bodySegments"][0].clone(),
                i["response"]["statusCode"].as_u64().unwrap() as u16,
                i["response"]["bodySegments"].as_array().unwrap().clone(),
            )
        })
        .collect()
}

fn build(req: Value, model: &str) -> (String, Value) {
    let req: ChatRequest = serde_json::from_value(req).unwrap();
    let out = Gemini.build_request(&req, &ctx(model)).unwrap();
    assert_eq!(out.headers["x-goog-api-key"], "test-key");
    (out.path, out.body.json())
}

#[test]
fn recorded_requests_are_reproduced() {
    // Function call -> function response round trip, streamed.
    let rec = recording("recording_streamGenerateContent_functionCall_functionResponse.json");
    let tools = json!([{"type": "function", "function": {"name": "customDivide",
        "description": "Custom divide function",
        "parameters": {"properties": {"denominator": {"type": "number"}, "numerator": {"type": "number"}}, "type": "object"}}}]);
    let (path, body) = build(
        json!({"model": "x", "stream": true, "tool_choice": "auto", "tools": tools,
        "messages": [
            {"role": "user", "content": "Divide 10 by 2 using the customDivide function"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "customDivide", "arguments": "{\"denominator\":2,\"numerator\":10}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "42"}]}),
        "gemini-2.0-flash",
    );
    assert_eq!(path, rec[1].0);
    assert_eq!(body, rec[1].1);

    // System instruction (recorded with role "user", which Gemini ignores).
    let rec = recording("recording_generateContent_systemInstruction.json");
    let mut recorded = rec[0].1.clone();
    recorded["systemInstruction"]
        .as_object_mut()
        .unwrap()
        .remove("role");
    let sys = recorded["systemInstruction"]["parts"][0]["text"].clone();
    let user = recorded["contents"][0]["parts"][0]["text"].clone();
    let mut req = json!({"model": "x", "messages": [{"role": "system", "content": sys}, {"role": "user", "content": user}]});
    if let Some(n) = recorded.pointer("/generationConfig/candidateCount") {
        req["n"] = n.clone();
    }
    let (path, body) = build(req, "gemini-2.5-flash");
    assert_eq!(path, rec[0].0);
    assert_eq!(body, recorded);

    // Structured output with a JSON schema.
    let rec =
        recording("recording_generateContent_responseJsonSchema_cachedContentTokenCount.json");
    let schema = rec[0].1["generationConfig"]["responseJsonSchema"].clone();
    let (_, body) = build(
        json!({"model": "x", "messages": [{"role": "user", "content": "populate the following object"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "o", "schema": schema}}}),
        "gemini-2.5-flash",
    );
    assert_eq!(body, rec[0].1);

    // Forced function: mode ANY restricted to the one name.
    let rec = recording("recording_generateContent_functionCall_thoughtSignature.json");
    let (_, body) = build(
        json!({"model": "x", "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "concatStringFunction"}}],
        "tool_choice": {"type": "function", "function": {"name": "concatStringFunction"}}}),
        "m",
    );
    assert_eq!(body["toolConfig"], rec[0].1["toolConfig"]);

    // Thinking budget and thought summaries.
    let rec = recording("recording_generateContent_thinkingBudget.json");
    let (_, body) = build(
        json!({"model": "x", "messages": [{"role": "user", "content": "why is the sky blue?"}],
        "n": 1, "max_tokens": 200, "reasoning": {"max_tokens": 50}}),
        "m",
    );
    let g = &rec[0].1["generationConfig"];
    assert_eq!(
        body["generationConfig"]["maxOutputTokens"],
        g["maxOutputTokens"]
    );
    assert_eq!(
        body["generationConfig"]["thinkingConfig"]["thinkingBudget"],
        g["thinkingConfig"]["thinkingBudget"]
    );
    let rec = recording("recording_generateContent_includeThoughts_v1alpha.json");
    let (_, body) = build(
        json!({"model": "x", "messages": [{"role": "user", "content": "q"}],
        "reasoning": {"enabled": true}}),
        "m",
    );
    assert_eq!(
        body["generationConfig"]["thinkingConfig"]["includeThoughts"],
        rec[0].1["generationConfig"]["thinkingConfig"]["includeThoughts"]
    );

    // A follow-up user turn after a function call (no response part).
    let rec = recording("recording_generateContent_functionCall_parameters_OBJECT_schema.json");
    let (_, body) = build(
        json!({"model": "x", "messages": [
        {"role": "user", "content": "what is the result of 100/2"},
        {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "customDivide", "arguments": "{\"denominator\":2,\"numerator\":100}"}}]},
        {"role": "user", "content": "what is the result of 50/2?"}]}),
        "m",
    );
    assert_eq!(body["contents"], rec[1].1["contents"]);
}

#[test]
fn reference_example_thought_signature_and_media() {
    let r = support::json("gemini/reference.json");
    let ex = &r["request_example_assembled"];
    let (_, body) = build(
        json!({"model": "x", "stop": ["END"], "temperature": 0.7, "max_tokens": 1024, "n": 1,
        "reasoning": {"max_tokens": 1024},
        "messages": [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "tool_calls": [{"id": "call_9", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}],
             "reasoning_details": [{"type": "reasoning.encrypted", "data": "<opaque, echo back verbatim>",
                "id": "call_9", "format": "google-gemini-v1"}]},
            {"role": "tool", "tool_call_id": "call_9", "content": "{\"temp_c\": 18}"}]}),
        "m",
    );
    assert_eq!(body["contents"], ex["contents"]);
    assert_eq!(body["systemInstruction"], ex["systemInstruction"]);
    for k in [
        "temperature",
        "maxOutputTokens",
        "candidateCount",
        "stopSequences",
    ] {
        assert_eq!(
            body["generationConfig"][k], ex["generationConfig"][k],
            "{k}"
        );
    }
    assert_eq!(
        body["generationConfig"]["thinkingConfig"],
        ex["generationConfig"]["thinkingConfig"]
    );

    let (_, body) = build(
        json!({"model": "x", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
        {"type": "image_url", "image_url": {"url": "https://x/cat.webp?s=1"}},
        {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}]}]}),
        "m",
    );
    assert_eq!(
        body["contents"][0]["parts"],
        json!([
        {"inlineData": {"mimeType": "image/png", "data": "iVBO"}},
        {"fileData": {"mimeType": "image/webp", "fileUri": "https://x/cat.webp?s=1"}},
        {"inlineData": {"mimeType": "audio/wav", "data": "UklG"}}])
    );
}

/// Independent reading of a GenerateContentResponse.
fn check_response(name: &str, raw: &Value, r: &ChatResponse) {
    let cand = &raw["candidates"][0];
    let parts = cand["content"]["parts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let text = |thought: bool| -> String {
        parts
            .iter()
            .filter(|p| p["thought"].as_bool().unwrap_or(false) == thought)
            .filter_map(|p| p["text"].as_str())
            .collect()
    };
    let m = &r.choices[0].message;
    assert_eq!(m.content.clone().unwrap_or_default(), text(false), "{name}");
    assert_eq!(
        m.reasoning.clone().unwrap_or_default(),
        text(true),
        "{name}"
    );
    let calls: Vec<&Value> = parts.iter().filter_map(|p| p.get("functionCall")).collect();
    let got = m.tool_calls.clone().unwrap_or_default();
    assert_eq!(got.len(), calls.len(), "{name}");
    for (c, fc) in got.iter().zip(&calls) {
        assert!(
            c.id.starts_with("call_") && c.id.len() == 29,
            "{name}: minted id"
        );
        assert_eq!(c.function.name, fc["name"].as_str().unwrap());
        assert_eq!(
            serde_json::from_str::<Value>(&c.function.arguments).unwrap(),
            fc["args"]
        );
    }
    // Every thought signature is kept, tied to its tool call when it has one.
    for p in parts.iter().filter(|p| p.get("thoughtSignature").is_some()) {
        let d = m
            .reasoning_details
            .iter()
            .flatten()
            .find(|d| d.data.as_ref() == p["thoughtSignature"].as_str().map(String::from).as_ref())
            .unwrap_or_else(|| panic!("{name}: signature lost"));
        assert_eq!(d.kind, ReasoningDetail::ENCRYPTED);
        assert_eq!(d.id.is_some(), p.get("functionCall").is_some());
        if let Some(id) = &d.id {
            assert!(got.iter().any(|c| &c.id == id));
        }
    }
    let raw_finish = cand["finishReason"].as_str();
    assert_eq!(
        r.choices[0].native_finish_reason.as_deref(),
        raw_finish,
        "{name}"
    );
    let expected_finish = match raw_finish {
        Some("STOP") if !calls.is_empty() => FinishReason::ToolCalls,
        Some("STOP") => FinishReason::Stop,
        Some("MAX_TOKENS") => FinishReason::Length,
        Some("SAFETY") => FinishReason::ContentFilter,
        other => panic!("{name}: unexpected {other:?}"),
    };
    assert_eq!(r.choices[0].finish_reason, Some(expected_finish), "{name}");
    let u = &raw["usageMetadata"];
    let n = |k: &str| u[k].as_u64().unwrap_or(0);
    let usage = r.usage.as_ref().unwrap();
    assert_eq!(usage.prompt_tokens, n("promptTokenCount"), "{name}");
    assert_eq!(
        usage.completion_tokens,
        n("candidatesTokenCount") + n("thoughtsTokenCount"),
        "{name}"
    );
    assert_eq!(
        usage.total_tokens,
        n("totalTokenCount"),
        "{name}: matches Google's total"
    );
    assert_eq!(usage.reasoning_tokens(), n("thoughtsTokenCount"));
    assert_eq!(usage.cached_tokens(), n("cachedContentTokenCount"));
    assert_eq!(r.model, raw["modelVersion"].as_str().unwrap());
}

#[test]
fn every_recorded_response_translates() {
    let mut bodies: Vec<(String, Value)> = [
        "response_basic_reply_short.json",
        "response_finish_reason_safety.json",
        "response_thinking_function_call_thought_signature.json",
        "response_vertex_implicit_caching_cachedContentTokenCount.json",
    ]
    .iter()
    .map(|f| (f.to_string(), support::json(&format!("gemini/{f}"))))
    .collect();
    for f in [
        "recording_generateContent_functionCall_parameters_OBJECT_schema.json",
        "recording_generateContent_functionCall_thoughtSignature.json",
        "recording_generateContent_includeThoughts_v1alpha.json",
        "recording_generateContent_responseJsonSchema_cachedContentTokenCount.json",
        "recording_generateContent_systemInstruction.json",
        "recording_generateContent_thinkingBudget.json",
    ] {
        for (i, (_, _, status, segs)) in recording(f).into_iter().enumerate() {
            assert_eq!((status, segs.len()), (200, 1));
            bodies.push((format!("{f}#{i}"), segs[0].clone()));
        }
    }
    assert_eq!(bodies.len(), 11);
    for (name, raw) in bodies {
        let r = Gemini
            .parse_response(raw.to_string().as_bytes(), &ctx("m"))
            .unwrap();
        check_response(&name, &raw, &r);
    }
}

#[test]
fn response_specifics() {
    let raw = support::json("gemini/response_thinking_function_call_thought_signature.json");
    let r = Gemini
        .parse_response(raw.to_string().as_bytes(), &ctx("m"))
        .unwrap();
    assert_eq!(r.id, "38CHaLjMG6TujrEPtvTiuQk");
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::ToolCalls));
    let u = r.usage.unwrap();
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        (38, 509, 547)
    );
    let raw = support::json("gemini/response_vertex_implicit_caching_cachedContentTokenCount.json");
    let u = Gemini
        .parse_response(raw.to_string().as_bytes(), &ctx("m"))
        .unwrap()
        .usage
        .unwrap();
    assert_eq!(u.cached_tokens(), 11243);
}

/// Streams: each chunk is a full response with only new parts, so the
/// concatenation of the chunks must read like one response.
#[test]
fn every_recorded_stream_translates() {
    let mut streams: Vec<(String, Vec<u8>)> = [
        "stream_after_functionResponse_from_recording.sse",
        "stream_basic_reply_short.sse",
        "stream_functionCall_from_recording.sse",
        "stream_systemInstruction_from_recording.sse",
        "stream_thinking_function_call_thought_signature.sse",
        "stream_thinking_thought_summary.sse",
    ]
    .iter()
    .map(|f| (f.to_string(), support::bytes(&format!("gemini/{f}"))))
    .collect();
    for f in [
        "recording_streamGenerateContent_functionCall_functionResponse.json",
        "recording_streamGenerateContent_systemInstruction.json",
    ] {
        for (i, (url, _, status, segs)) in recording(f).into_iter().enumerate() {
            assert!(url.ends_with(":streamGenerateContent?alt=sse") && status == 200);
            let sse: String = segs.iter().map(|s| format!("data: {s}\r\n\r\n")).collect();
            streams.push((format!("{f}#{i}"), sse.into_bytes()));
        }
    }
    for (name, raw) in streams {
        let d = decode_any_split(&Gemini, &ctx("m"), &raw);
        assert!(d.errors().is_empty(), "{name}");
        let r = d.response();
        let datas: Vec<Value> = naive_sse_data(&raw)
            .iter()
            .map(|s| serde_json::from_str(s).unwrap())
            .collect();
        let mut merged = datas.last().unwrap().clone();
        let all_parts: Vec<Value> = datas
            .iter()
            .flat_map(|v| {
                v["candidates"][0]["content"]["parts"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        merged["candidates"][0]["content"]["parts"] = all_parts.into();
        check_response(&name, &merged, &r);
        assert_eq!(
            d.chunks()[0].choices[0].delta.role.as_deref(),
            Some("assistant")
        );
        assert!(
            d.chunks()[1..]
                .iter()
                .all(|c| c.choices[0].delta.role.is_none()),
            "{name}"
        );
    }
}

#[test]
fn blocked_prompt_stream_is_content_filter() {
    let raw = support::bytes("gemini/stream_prompt_blocked_safety.sse");
    let d = decode_any_split(&Gemini, &ctx("m"), &raw);
    assert!(d.errors().is_empty());
    let r = d.response();
    assert_eq!(
        r.choices[0].finish_reason,
        Some(FinishReason::ContentFilter)
    );
    assert_eq!(r.choices[0].native_finish_reason.as_deref(), Some("SAFETY"));
    let body = String::from_utf8(raw).unwrap().replace("data: ", "");
    let r = Gemini.parse_response(body.as_bytes(), &ctx("m")).unwrap();
    assert_eq!(
        r.choices[0].finish_reason,
        Some(FinishReason::ContentFilter)
    );
}

#[test]
fn truncated_stream_is_an_error() {
    let raw = support::bytes("gemini/stream_basic_reply_short.sse");
    let cut = raw.len() / 2;
    let d = super::support::decode_pieces(&Gemini, &ctx("m"), &[&raw[..cut]]);
    assert!(matches!(
        d.events.last(),
        Some(crate::gateway::StreamEvent::Error(_))
    ));
}

#[test]
fn errors_map_to_status_and_type() {
    let cases = [
        (
            "error_400_api_key_invalid.json",
            400,
            401,
            ErrorType::Authentication,
            "API_KEY_INVALID",
        ),
        (
            "error_403_api_not_enabled.json",
            403,
            403,
            ErrorType::PermissionDenied,
            "SERVICE_DISABLED",
        ),
        (
            "error_404_unknown_model.json",
            404,
            404,
            ErrorType::NotFound,
            "NOT_FOUND",
        ),
    ];
    for (f, up, status, ty, code) in cases {
        let body = support::bytes(&format!("gemini/{f}"));
        let e = Gemini.parse_error(up, &http::HeaderMap::new(), &body);
        assert_eq!(
            (e.status, e.error_type, e.provider_code.as_deref()),
            (status, ty, Some(code)),
            "{f}"
        );
        assert!(!e.retryable);
        assert_eq!(
            e.raw.unwrap(),
            serde_json::from_slice::<Value>(&body).unwrap()
        );
    }
    let rec = recording("recording_streamGenerateContent_error_404.json");
    let (_, _, status, segs) = &rec[0];
    let e = Gemini.parse_error(
        *status,
        &http::HeaderMap::new(),
        segs[0].to_string().as_bytes(),
    );
    assert_eq!((e.status, e.error_type), (404, ErrorType::NotFound));
    let r = support::json("gemini/reference.json");
    for (code, grpc, ty) in [
        (429, "RESOURCE_EXHAUSTED", ErrorType::RateLimitExceeded),
        (503, "UNAVAILABLE", ErrorType::ProviderOverloaded),
        (504, "DEADLINE_EXCEEDED", ErrorType::Timeout),
    ] {
        let listed = &r["errors"]["http_to_status"][code.to_string()];
        assert_eq!(listed, grpc);
        let body = json!({"error": {"code": code, "message": "m", "status": grpc}});
        let e = Gemini.parse_error(code, &http::HeaderMap::new(), body.to_string().as_bytes());
        assert_eq!(e.error_type, ty);
        assert!(e.retryable);
    }
}

/// countTokens is not a chat call; the fixture is read to check that the
/// prompt counts agree with what a generateContent usage would report.
#[test]
fn count_tokens_recording_is_consistent() {
    let rec = recording("recording_countTokens.json");
    let (url, _, _, segs) = &rec[0];
    assert!(url.ends_with(":countTokens"));
    assert_eq!(
        segs[0]["totalTokens"],
        segs[0]["promptTokensDetails"][0]["tokenCount"]
    );
}
