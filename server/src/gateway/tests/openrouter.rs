//! Our own output against OpenRouter's wire examples and the key-presence
//! rules in fixtures/openrouter/CLIENT-REQUIREMENTS.md.

use serde_json::{Value, json};

use super::support::{self, naive_sse_data};
use crate::gateway::error::{ErrorType, UpstreamError};
use crate::gateway::stream::{SseParser, emitter};
use crate::gateway::types::{ChatChunk, ChatResponse, Choice, Delta, ResponseMessage, Usage};

/// Parsing OpenRouter's own chunks and emitting them again is lossless,
/// comments and [DONE] included.
#[test]
fn processing_comment_stream_roundtrips_through_emitter() {
    let raw = support::bytes("openrouter/chat_stream_with_processing_comments.sse");
    let mut out = Vec::new();
    out.extend_from_slice(&emitter::keep_alive());
    out.extend_from_slice(&emitter::keep_alive());
    for data in naive_sse_data(&raw) {
        if data == "[DONE]" {
            out.extend_from_slice(&emitter::done());
            continue;
        }
        let chunk: ChatChunk = serde_json::from_str(&data).unwrap();
        let again: Value = serde_json::from_slice(&emitter::data(&chunk)[6..]).unwrap();
        assert_eq!(again, serde_json::from_str::<Value>(&data).unwrap());
        out.extend_from_slice(&emitter::data(&chunk));
    }
    // Same frames in the same order (JSON key order aside).
    let frames = |b: &[u8]| -> Vec<Value> {
        let text = String::from_utf8_lossy(b).into_owned();
        text.split("\n\n")
            .filter(|f| !f.is_empty())
            .map(|f| match f.strip_prefix("data: ") {
                Some("[DONE]") => json!("[DONE]"),
                Some(d) => serde_json::from_str(d).unwrap(),
                None => json!(f),
            })
            .collect()
    };
    assert_eq!(frames(&out), frames(&raw));
    let mut p = SseParser::new();
    assert_eq!(p.feed(&out).len(), 6, "comments are not events");
}

#[test]
fn mid_stream_error_chunk_matches_openrouter() {
    let raw = support::bytes("openrouter/chat_stream_mid_stream_error.sse");
    let datas = naive_sse_data(&raw);
    let expected: Value = serde_json::from_str(&datas[1]).unwrap();
    let mut template = ChatChunk::new("gen-abc123", 1234567890, "openai/gpt-4o");
    template.provider = Some("OpenAI".into());
    let err = UpstreamError::new(
        "openai",
        ErrorType::RateLimitExceeded,
        "Rate limit exceeded",
    );
    let mut got = serde_json::to_value(emitter::error_chunk(&template, &err)).unwrap();
    // Ours also carries the always-present nullable choice keys.
    let c = got["choices"][0].as_object_mut().unwrap();
    assert_eq!(c.remove("native_finish_reason"), Some(Value::Null));
    assert_eq!(c.remove("logprobs"), Some(Value::Null));
    assert_eq!(got, expected);
}

#[test]
fn response_with_cost_roundtrips() {
    let fx = support::json("openrouter/chat_completion_response_with_cost.json");
    let body = &fx["response"]["body"];
    let resp: ChatResponse = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(serde_json::to_value(&resp).unwrap(), *body);
    assert_eq!(resp.usage.as_ref().unwrap().cached_tokens(), 2);
}

/// Keys that must be present-but-nullable, and keys that must be omitted
/// rather than null (the TS SDK rejects those nulls).
#[test]
fn client_requirements_key_presence() {
    let resp = ChatResponse {
        id: "gen-1".into(),
        object: ChatResponse::OBJECT.into(),
        created: 1,
        model: "m".into(),
        provider: None,
        system_fingerprint: None,
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage::assistant(),
            finish_reason: None,
            native_finish_reason: None,
            logprobs: None,
        }],
        usage: None,
    };
    let v = serde_json::to_value(&resp).unwrap();
    assert_eq!(v["system_fingerprint"], Value::Null);
    assert_eq!(v["choices"][0]["finish_reason"], Value::Null);
    assert!(v.as_object().unwrap().contains_key("system_fingerprint"));
    assert!(
        v["choices"][0]
            .as_object()
            .unwrap()
            .contains_key("finish_reason")
    );
    assert!(v.get("usage").is_none());
    assert!(v["choices"][0]["message"].get("tool_calls").is_none());

    let chunk = ChatChunk::new("gen-1", 1, "m").with_delta(0, Delta::content("x"));
    let v = serde_json::to_value(&chunk).unwrap();
    for k in ["usage", "system_fingerprint", "provider", "error"] {
        assert!(v.get(k).is_none(), "{k}");
    }
    assert_eq!(v["choices"][0]["delta"], json!({"content": "x"}));
    assert!(
        v["choices"][0]
            .as_object()
            .unwrap()
            .contains_key("finish_reason")
    );

    // Billing's fields appear only once set.
    let u = Usage {
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&u).unwrap(),
        json!({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
    );
}

#[test]
fn upstream_errors_leave_in_openrouter_shape() {
    let fx = support::json("openrouter/errors.json");
    let table = fx["error_type_to_http"].as_object().unwrap();
    for ty in [
        ErrorType::ContextLengthExceeded,
        ErrorType::Authentication,
        ErrorType::PermissionDenied,
        ErrorType::PaymentRequired,
        ErrorType::RateLimitExceeded,
        ErrorType::ProviderOverloaded,
        ErrorType::ProviderUnavailable,
        ErrorType::InvalidRequest,
        ErrorType::NotFound,
        ErrorType::PayloadTooLarge,
        ErrorType::Unprocessable,
        ErrorType::ContentPolicyViolation,
        ErrorType::Server,
        ErrorType::Timeout,
    ] {
        assert_eq!(table[ty.as_str()], ty.http_status(), "{}", ty.as_str());
        let body = UpstreamError::new("x", ty, "m").to_body();
        assert_eq!(body["error"]["code"], ty.http_status());
        assert_eq!(body["error"]["metadata"]["error_type"], ty.as_str());
    }
}
