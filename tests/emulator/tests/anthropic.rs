//! Anthropic protocol: shapes checked against tests/fixtures/anthropic.

mod common;

use common::*;
use provider_emulator::{RunningEmulator, tokens};
use serde_json::{Value, json};

fn messages(emu: &RunningEmulator, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/v1/messages", emu.anthropic_base()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body)
}

fn recorded_tool_request() -> Value {
    let cassette = fixture_json("anthropic/cassette_tool_use_roundtrip_nonstream.json");
    cassette[0]["request"]["body"].clone()
}

#[tokio::test]
async fn nonstream_message_has_full_usage() {
    let emu = start();
    let cassette = fixture_json("anthropic/cassette_structured_output_nonstream.json");
    let request = json!({"model": "claude-sonnet-4-5", "max_tokens": 1024, "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hello Claude"}]});
    let response = messages(&emu, &request).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    assert!(
        response
            .headers()
            .contains_key("anthropic-ratelimit-requests-remaining")
    );
    let body: Value = response.json().await.unwrap();
    assert_keys(
        &cassette[0]["response"]["body"],
        &body,
        &["usage.inference_geo"],
    );
    assert_eq!(body["type"], "message");
    assert_eq!(
        body["content"],
        json!([{"type": "text", "text": "[Be brief.] You said: Hello Claude"}])
    );
    assert_eq!(body["stop_reason"], "end_turn");
    assert_eq!(
        body["usage"]["input_tokens"],
        tokens::count("Be brief.") + tokens::count("Hello Claude")
    );
    assert_eq!(
        body["usage"]["output_tokens"],
        tokens::count("[Be brief.] You said: Hello Claude")
    );
    assert_eq!(body["usage"]["cache_creation_input_tokens"], 0);
    assert_eq!(body["usage"]["service_tier"], "standard");
}

#[tokio::test]
async fn stream_follows_the_event_order() {
    let emu = start();
    let fixture = fixture_events("anthropic/stream_text_basic.sse", "\n\n");
    let text = messages(
        &emu,
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": true,
        "messages": [{"role": "user", "content": "Hello there"}]}),
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let evs = events(&text, "\n\n");
    let names: Vec<&str> = evs.iter().map(|e| e.event.as_deref().unwrap()).collect();
    let n = names.len();
    assert_eq!(
        &names[..3],
        &["message_start", "content_block_start", "ping"]
    );
    assert!(names[3..n - 3].iter().all(|e| *e == "content_block_delta"));
    assert_eq!(
        &names[n - 3..],
        &["content_block_stop", "message_delta", "message_stop"]
    );
    for e in &evs {
        assert_eq!(
            e.json()["type"],
            e.event.as_deref().unwrap(),
            "event name equals data.type"
        );
    }
    // Same keys as the recording, event by event kind.
    for kind in [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ] {
        let expected = fixture
            .iter()
            .find(|e| e.event.as_deref() == Some(kind))
            .unwrap()
            .json();
        let ours = evs
            .iter()
            .find(|e| e.event.as_deref() == Some(kind))
            .unwrap()
            .json();
        assert_keys(&expected, &ours, &[]);
    }
    let start = evs[0].json();
    assert_eq!(start["message"]["content"], json!([]));
    assert_eq!(start["message"]["stop_reason"], Value::Null);
    let joined: String = evs[3..n - 3]
        .iter()
        .map(|e| e.json()["delta"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(joined, "You said: Hello there");
    let delta = evs[n - 2].json();
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], tokens::count(&joined));
}

#[tokio::test]
async fn tool_use_nonstream_and_streamed_input_json() {
    let emu = start();
    let request = recorded_tool_request();
    let body: Value = messages(&emu, &request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["stop_reason"], "tool_use");
    let tool = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_use")
        .unwrap()
        .clone();
    assert_eq!(tool["name"], "get_weather");
    assert!(tool["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(tool["input"], json!({"location": "example", "units": "c"}));

    let mut stream_request = request.clone();
    stream_request["stream"] = json!(true);
    let text = messages(&emu, &stream_request)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let evs = events(&text, "\n\n");
    let fixture = fixture_events("anthropic/stream_tool_use_input_json_delta.sse", "\n\n");
    let tool_start = evs
        .iter()
        .map(Event::json)
        .find(|e| e["content_block"]["type"] == "tool_use")
        .unwrap();
    let expected_start = fixture
        .iter()
        .map(Event::json)
        .find(|e| e["content_block"]["type"] == "tool_use")
        .unwrap();
    assert_keys(&expected_start, &tool_start, &["content_block.caller"]);
    assert_eq!(tool_start["content_block"]["input"], json!({}));
    let index = tool_start["index"].clone();
    let fragments: Vec<String> = evs
        .iter()
        .map(Event::json)
        .filter(|e| e["index"] == index && e["delta"]["type"] == "input_json_delta")
        .map(|e| e["delta"]["partial_json"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fragments[0], "", "first fragment is empty, as recorded");
    assert_eq!(
        serde_json::from_str::<Value>(&fragments.concat()).unwrap(),
        tool["input"]
    );
    let delta = evs
        .iter()
        .map(Event::json)
        .find(|e| e["type"] == "message_delta")
        .unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");

    // After a tool_result the model answers in text (agent loops end).
    let mut follow = request.clone();
    follow["messages"] = cassette_follow_up();
    let body: Value = messages(&emu, &follow)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["stop_reason"], "end_turn");
    assert_eq!(body["content"][0]["type"], "text");
}

fn cassette_follow_up() -> Value {
    fixture_json("anthropic/cassette_tool_use_roundtrip_nonstream.json")[1]["request"]["body"]["messages"].clone()
}

#[tokio::test]
async fn thinking_block_precedes_text() {
    let emu = start();
    let request = json!({"model": "claude-sonnet-4-5", "max_tokens": 2000, "stream": true,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "What is an eclipse?"}]});
    let text = messages(&emu, &request)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let evs: Vec<Value> = events(&text, "\n\n").iter().map(Event::json).collect();
    let fixture: Vec<Value> =
        fixture_events("anthropic/stream_thinking_signature_delta.sse", "\n\n")
            .iter()
            .map(Event::json)
            .collect();
    assert_eq!(
        evs[1]["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""})
    );
    assert_eq!(evs[1]["content_block"], fixture[1]["content_block"]);
    let deltas: Vec<&str> = evs
        .iter()
        .filter(|e| e["type"] == "content_block_delta" && e["index"] == 0)
        .map(|e| e["delta"]["type"].as_str().unwrap())
        .collect();
    assert!(deltas.len() > 1);
    assert!(
        deltas[..deltas.len() - 1]
            .iter()
            .all(|d| *d == "thinking_delta")
    );
    assert_eq!(*deltas.last().unwrap(), "signature_delta");
    let text_start = evs
        .iter()
        .find(|e| e["type"] == "content_block_start" && e["index"] == 1)
        .unwrap();
    assert_eq!(text_start["content_block"]["type"], "text");

    let mut unary = request.clone();
    unary["stream"] = json!(false);
    let body: Value = messages(&emu, &unary)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["content"][0]["type"], "thinking");
    assert!(
        body["content"][0]["signature"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(body["content"][1]["type"], "text");
    let thinking = body["content"][0]["thinking"].as_str().unwrap();
    let answer = body["content"][1]["text"].as_str().unwrap();
    assert_eq!(
        body["usage"]["output_tokens"],
        tokens::count(thinking) + tokens::count(answer)
    );
}

#[tokio::test]
async fn prompt_cache_writes_then_reads() {
    let emu = start();
    let example = fixture_json("anthropic/prompt_caching_and_thinking.json");
    let mut request = example["request"].clone();
    request.as_object_mut().unwrap().remove("thinking");
    let first: Value = messages(&emu, &request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second: Value = messages(&emu, &request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_keys(
        &example["response_first_call_cache_write"]["usage"],
        &first["usage"],
        &[],
    );
    let written = first["usage"]["cache_creation_input_tokens"]
        .as_u64()
        .unwrap();
    assert!(written > 0);
    assert_eq!(first["usage"]["cache_read_input_tokens"], 0);
    assert_eq!(
        first["usage"]["cache_creation"]["ephemeral_5m_input_tokens"],
        written
    );
    assert_eq!(second["usage"]["cache_creation_input_tokens"], 0);
    assert_eq!(second["usage"]["cache_read_input_tokens"], written);
    assert_eq!(
        first["usage"]["input_tokens"],
        second["usage"]["input_tokens"]
    );
    assert_eq!(
        first["usage"]["input_tokens"],
        tokens::count("Summarise the document.")
    );
}

#[tokio::test]
async fn errors_match_the_documented_shape() {
    let emu = start();
    let url = format!("{}/v1/messages", emu.anthropic_base());
    let body =
        json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]});
    let table = fixture_json("anthropic/errors.json");
    let check = |response_body: &Value, status: u16| {
        assert_eq!(keys(response_body), vec!["error", "request_id", "type"]);
        assert_eq!(response_body["type"], "error");
        assert_eq!(keys(&response_body["error"]), vec!["message", "type"]);
        assert_eq!(
            response_body["error"]["type"],
            table["status_to_type"][status.to_string()]
        );
    };
    // No max_tokens.
    let r = messages(&emu, &body).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-should-retry"], "false");
    let v: Value = r.json().await.unwrap();
    check(&v, 400);
    assert_eq!(v["error"]["message"], "max_tokens: Field required");
    // No key; wrong key; no version.
    let r = client()
        .post(&url)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    check(&r.json().await.unwrap(), 401);
    let r = client()
        .post(&url)
        .header("x-api-key", "nope")
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["message"],
        "invalid x-api-key"
    );
    let r = client()
        .post(&url)
        .header("x-api-key", KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Injected statuses follow the status -> type table.
    let with_max = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    for status in [402u16, 403, 404, 413, 429, 500, 504, 529] {
        let r = messages(&emu, &with_max)
            .header("x-emulator-status", status.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status);
        if status == 429 {
            assert_eq!(r.headers()["retry-after"], "1");
            assert_eq!(r.headers()["x-should-retry"], "true");
        }
        let v: Value = r.json().await.unwrap();
        check(&v, status);
        if status == 529 {
            assert_eq!(
                v["error"],
                table["examples"]["529_sdk_test"]["body"]["error"]
            );
        }
    }
}

#[tokio::test]
async fn max_tokens_stops_with_max_tokens() {
    let emu = start();
    let body: Value = messages(
        &emu,
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 2,
        "messages": [{"role": "user", "content": "one two three"}]}),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(body["stop_reason"], "max_tokens");
    assert_eq!(body["content"][0]["text"], "You said");
    assert_eq!(body["usage"]["output_tokens"], 2);
}
