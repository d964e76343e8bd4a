//! A tool call without arguments must reach the client as `arguments: "{}"` (valid JSON, as
//! the non-streamed answer gives), never `""`, from every adapter's stream, at any byte split.

use serde_json::json;

use super::support::{ctx, decode_any_split};
use crate::gateway::providers::ProviderAdapter;
use crate::gateway::providers::anthropic::Anthropic;
use crate::gateway::providers::gemini::Gemini;
use crate::gateway::providers::openai_compat::OpenAiCompat;
use crate::gateway::types::{ChatResponse, FinishReason};

/// The assembled tool calls as (name, arguments), after checking each parses as JSON.
fn calls(adapter: &dyn ProviderAdapter, sse: &str) -> (Vec<(String, String)>, ChatResponse) {
    let decoded = decode_any_split(adapter, &ctx("m"), sse.as_bytes());
    assert!(decoded.errors().is_empty(), "{:?}", decoded.errors());
    let r = decoded.response();
    let calls: Vec<(String, String)> = r.choices[0]
        .message
        .tool_calls
        .iter()
        .flatten()
        .map(|c| (c.function.name.clone(), c.function.arguments.clone()))
        .collect();
    for (name, args) in &calls {
        serde_json::from_str::<serde_json::Value>(args)
            .unwrap_or_else(|e| panic!("{name}: arguments {args:?} are not JSON: {e}"));
    }
    (calls, r)
}

fn anthropic_stream(tool_blocks: &[(&str, serde_json::Value, &[&str])]) -> String {
    let mut events = vec![
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
        "role": "assistant", "model": "claude-sonnet-4-5", "content": [], "stop_reason": null,
        "usage": {"input_tokens": 10, "output_tokens": 1}}}),
    ];
    for (i, (name, input, fragments)) in tool_blocks.iter().enumerate() {
        events.push(
            json!({"type": "content_block_start", "index": i, "content_block":
            {"type": "tool_use", "id": format!("toolu_{i}"), "name": name, "input": input}}),
        );
        for f in *fragments {
            events.push(json!({"type": "content_block_delta", "index": i,
                "delta": {"type": "input_json_delta", "partial_json": f}}));
        }
        events.push(json!({"type": "content_block_stop", "index": i}));
    }
    events.push(
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use",
        "stop_sequence": null}, "usage": {"output_tokens": 12}}),
    );
    events.push(json!({"type": "message_stop"}));
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

#[test]
fn anthropic_tool_call_without_arguments_streams_an_empty_object() {
    let sse = anthropic_stream(&[
        // An empty fragment, as Anthropic sends for a call without arguments.
        ("get_time", json!({}), &[""]),
        // No fragment at all.
        ("list_files", json!({}), &[]),
        // Arguments streamed as usual keep theirs, and nothing is appended.
        ("get_weather", json!({}), &["", "{\"city\": ", "\"Paris\"}"]),
    ]);
    let (calls, r) = calls(&Anthropic, &sse);
    assert_eq!(
        calls,
        [
            ("get_time".into(), "{}".into()),
            ("list_files".into(), "{}".into()),
            ("get_weather".into(), "{\"city\": \"Paris\"}".into()),
        ]
    );
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::ToolCalls));
}

#[test]
fn anthropic_start_input_is_used_when_no_fragment_follows() {
    // Some Anthropic-compatible hosts put the whole input on content_block_start.
    let sse = anthropic_stream(&[("get_weather", json!({"city": "Paris"}), &[])]);
    let (calls, _) = calls(&Anthropic, &sse);
    assert_eq!(
        calls,
        [("get_weather".into(), "{\"city\":\"Paris\"}".into())]
    );
}

#[test]
fn openai_compatible_tool_call_without_arguments_is_closed_with_an_empty_object() {
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        format!(
            "data: {}\n\n",
            json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        )
    };
    let call = |index: u32, name: &str, args: &str| {
        json!({"tool_calls": [{"index": index, "id": format!("call_{index}"), "type": "function",
            "function": {"name": name, "arguments": args}}]})
    };
    let sse = [
        chunk(json!({"role": "assistant", "content": null}), None),
        chunk(call(0, "get_time", ""), None),
        chunk(call(1, "get_weather", ""), None),
        chunk(
            json!({"tool_calls": [{"index": 1, "function": {"arguments": "{\"city\":\"Paris\"}"}}]}),
            None,
        ),
        chunk(json!({}), Some("tool_calls")),
        "data: [DONE]\n\n".into(),
    ]
    .concat();
    let (calls, r) = calls(&OpenAiCompat, &sse);
    assert_eq!(
        calls,
        [
            ("get_time".into(), "{}".into()),
            ("get_weather".into(), "{\"city\":\"Paris\"}".into()),
        ]
    );
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::ToolCalls));
}

#[test]
fn gemini_function_call_without_args_streams_an_empty_object() {
    let sse = [
        json!({"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"name": "get_time"}}]}, "index": 0}]}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"name": "list_files", "args": null}}]},
            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2, "totalTokenCount": 7}}),
    ]
    .iter()
    .map(|c| format!("data: {c}\r\n\r\n"))
    .collect::<String>();
    let (calls, r) = calls(&Gemini, &sse);
    assert_eq!(
        calls,
        [
            ("get_time".into(), "{}".into()),
            ("list_files".into(), "{}".into()),
        ]
    );
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::ToolCalls));
}
