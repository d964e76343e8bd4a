//! `POST /api/v1/messages` (Anthropic Messages API) end to end: the real server, the provider
//! emulators as upstreams of every protocol.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{TestServer, email, named_events};

const MODELS: [(&str, &str); 3] = [
    ("openai/gpt-4o-mini", "OpenAI"),
    ("anthropic/claude-haiku-4.5", "Anthropic"),
    ("google/gemini-2.5-flash", "Google AI Studio"),
];

fn weather_tool() -> Value {
    json!({"name": "get_weather", "description": "Current weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}})
}

async fn key_for(api: &tests::Api) -> String {
    let user = api.signup(&email("messages")).await;
    api.create_key(&user, None, json!({ "name": "messages" }))
        .await
        .0
}

/// A request as the Anthropic SDK sends it: `x-api-key` and `anthropic-version`, no
/// `Authorization`.
fn request(api: &tests::Api, key: Option<&str>, body: Value) -> reqwest::RequestBuilder {
    let mut request = api
        .request(Method::POST, "/api/v1/messages", None)
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "interleaved-thinking-2025-05-14")
        .json(&body);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request
}

async fn post(api: &tests::Api, key: Option<&str>, body: Value) -> tests::Reply {
    api.send(request(api, key, body)).await
}

/// Streams `body` and returns the events, checking that each event name equals `data.type`.
async fn stream(api: &tests::Api, key: &str, body: Value) -> Vec<(String, Value)> {
    let response = request(api, Some(key), body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-generation-id"));
    let text = response.text().await.unwrap();
    let events = named_events(&text);
    for (name, data) in &events {
        assert_eq!(data["type"], name.as_str(), "{text}");
    }
    events
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

#[tokio::test]
async fn plain_message_through_each_upstream_protocol() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    for (model, provider) in MODELS {
        let reply = post(
            &api,
            Some(&key),
            json!({"model": model, "max_tokens": 100, "system": "Be brief",
                "messages": [{"role": "user", "content": "Hello there"}]}),
        )
        .await;
        let body = reply.expect(200);
        assert_eq!(
            body["id"],
            reply.headers["x-generation-id"].to_str().unwrap()
        );
        assert_eq!(body["type"], "message");
        assert_eq!(body["role"], "assistant");
        assert_eq!(body["model"], model);
        assert_eq!(body["provider"], provider);
        assert_eq!(
            body["content"],
            json!([{"type": "text", "text": "[Be brief] You said: Hello there"}])
        );
        assert_eq!(body["stop_reason"], "end_turn");
        assert!(body["stop_sequence"].is_null());
        let usage = &body["usage"];
        assert!(usage["input_tokens"].as_u64().unwrap() > 0, "{body}");
        assert!(usage["output_tokens"].as_u64().unwrap() > 0);
        assert!(usage["cache_read_input_tokens"].is_u64());
        assert!(usage["cache_creation_input_tokens"].is_u64());
        // The generation record says which API it came through.
        let generation = body["id"].as_str().unwrap();
        let record = api
            .get(&format!("/api/v1/generation?id={generation}"), Some(&key))
            .await;
        assert_eq!(record.expect(200)["data"]["api_type"], "messages");
    }
}

#[tokio::test]
async fn streamed_text_is_anthropics_event_sequence() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    for (model, _) in MODELS {
        let events = stream(
            &api,
            &key,
            json!({"model": model, "max_tokens": 100, "stream": true,
                "messages": [{"role": "user", "content": [{"type": "text", "text": "Stream me"}]}]}),
        )
        .await;
        let names = names(&events);
        assert_eq!(
            names[..3],
            ["message_start", "ping", "content_block_start"],
            "{model}"
        );
        assert_eq!(
            names[names.len() - 3..],
            ["content_block_stop", "message_delta", "message_stop"],
            "{model}"
        );
        assert!(
            names[3..names.len() - 3]
                .iter()
                .all(|n| *n == "content_block_delta")
        );
        let message = &events[0].1["message"];
        assert_eq!(message["content"], json!([]));
        assert!(message["stop_reason"].is_null());
        assert_eq!(
            events[2].1,
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        );
        let text: String = events
            .iter()
            .filter(|(n, _)| n == "content_block_delta")
            .map(|(_, d)| {
                assert_eq!(d["delta"]["type"], "text_delta");
                d["delta"]["text"].as_str().unwrap()
            })
            .collect();
        assert_eq!(text, "You said: Stream me", "{model}");
        let delta = &events[events.len() - 2].1;
        assert_eq!(delta["delta"]["stop_reason"], "end_turn");
        assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 0);
        assert!(delta["usage"]["input_tokens"].as_u64().unwrap() > 0);
    }
    assert_eq!(emulator.stats().streams_aborted, 0);
}

#[tokio::test]
async fn tool_use_round_trip_streamed_and_not() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    for (model, _) in MODELS {
        let ask = json!({"model": model, "max_tokens": 200, "tools": [weather_tool()],
            "tool_choice": {"type": "any"},
            "messages": [{"role": "user", "content": "Weather in Paris?"}]});
        let reply = post(&api, Some(&key), ask.clone()).await;
        let body = reply.expect(200).clone();
        assert_eq!(body["stop_reason"], "tool_use", "{model}: {body}");
        let tool_use = body["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "tool_use")
            .unwrap_or_else(|| panic!("{body}"))
            .clone();
        assert_eq!(tool_use["name"], "get_weather");
        assert!(tool_use["input"]["city"].is_string(), "{tool_use}");

        let mut streamed = ask.clone();
        streamed["stream"] = json!(true);
        let events = stream(&api, &key, streamed).await;
        let start = events
            .iter()
            .find(|(n, d)| n == "content_block_start" && d["content_block"]["type"] == "tool_use")
            .unwrap_or_else(|| panic!("{model}: {events:?}"));
        assert_eq!(start.1["content_block"]["input"], json!({}));
        let index = &start.1["index"];
        let json_text: String = events
            .iter()
            .filter(|(n, d)| n == "content_block_delta" && &d["index"] == index)
            .map(|(_, d)| {
                assert_eq!(d["delta"]["type"], "input_json_delta");
                d["delta"]["partial_json"].as_str().unwrap()
            })
            .collect();
        let input: Value = serde_json::from_str(&json_text).unwrap();
        assert!(input["city"].is_string());
        let delta = events.iter().find(|(n, _)| n == "message_delta").unwrap();
        assert_eq!(delta.1["delta"]["stop_reason"], "tool_use");

        let follow = json!({"model": model, "max_tokens": 200, "tools": [weather_tool()],
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": [tool_use.clone()]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use["id"], "content": "Sunny, 21C"}]},
        ]});
        let reply = post(&api, Some(&key), follow).await;
        let body = reply.expect(200);
        assert_eq!(body["stop_reason"], "end_turn", "{model}: {body}");
        assert!(
            body["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("Sunny, 21C"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn thinking_and_cache_control_reach_anthropic() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    let ask = json!({"model": "anthropic/claude-sonnet-4.5", "max_tokens": 4000,
        "thinking": {"type": "enabled", "budget_tokens": 2000},
        "system": [{"type": "text", "text": "Be brief", "cache_control": {"type": "ephemeral"}}],
        "metadata": {"user_id": "user-42"},
        "messages": [{"role": "user", "content": "Think first"}]});
    let reply = post(&api, Some(&key), ask.clone()).await;
    let body = reply.expect(200);
    let content = body["content"].as_array().unwrap();
    assert_eq!(content[0]["type"], "thinking", "{body}");
    assert_eq!(content[0]["thinking"], "Thinking about: Think first");
    assert!(!content[0]["signature"].as_str().unwrap().is_empty());
    assert_eq!(content[1]["type"], "text");
    let sent = emulator.requests().last().unwrap().body.clone();
    assert_eq!(
        sent["thinking"],
        json!({"type": "enabled", "budget_tokens": 2000})
    );
    assert_eq!(sent["system"][0]["cache_control"]["type"], "ephemeral");
    assert_eq!(sent["metadata"]["user_id"], "user-42");
    assert!(
        body["usage"]["cache_creation_input_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );

    // The thinking block goes back with its signature, as the next turn needs.
    let mut follow = ask.clone();
    follow["messages"] = json!([
        {"role": "user", "content": "Think first"},
        {"role": "assistant", "content": content},
        {"role": "user", "content": "And again"},
    ]);
    post(&api, Some(&key), follow).await.expect(200);
    let sent = emulator.requests().last().unwrap().body.clone();
    assert_eq!(sent["messages"][1]["content"][0], content[0]);

    let mut streamed = ask.clone();
    streamed["stream"] = json!(true);
    let events = stream(&api, &key, streamed).await;
    assert_eq!(
        events[2].1["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""})
    );
    let deltas: Vec<&str> = events
        .iter()
        .filter(|(n, d)| n == "content_block_delta" && d["index"] == 0)
        .map(|(_, d)| d["delta"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(deltas.first(), Some(&"thinking_delta"));
    assert_eq!(deltas.last(), Some(&"signature_delta"), "{events:?}");
    let second = events
        .iter()
        .find(|(n, d)| n == "content_block_start" && d["index"] == 1)
        .unwrap();
    assert_eq!(second.1["content_block"]["type"], "text");
}

#[tokio::test]
async fn errors_in_anthropics_envelope() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    let ask = json!({"model": "anthropic/claude-haiku-4.5", "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}]});
    let reply = post(&api, None, ask.clone()).await;
    assert_eq!(
        reply.expect(401)["error"]["type"],
        "authentication_error",
        "{}",
        reply.text
    );
    assert_eq!(reply.body["type"], "error");
    let reply = post(&api, Some("sk-or-v1-wrong"), ask.clone()).await;
    assert_eq!(reply.expect(401)["error"]["type"], "authentication_error");
    // `Authorization: Bearer` works as well as `x-api-key`.
    api.post("/api/v1/messages", Some(&key), ask.clone())
        .await
        .expect(200);

    let mut unknown = ask.clone();
    unknown["model"] = json!("nope/nonexistent-model");
    let reply = post(&api, Some(&key), unknown).await;
    assert_eq!(reply.expect(404)["error"]["type"], "not_found_error");

    let reply = post(
        &api,
        Some(&key),
        json!({"model": "anthropic/claude-haiku-4.5", "messages": [{"role": "tool", "content": "x"}]}),
    )
    .await;
    let error = &reply.expect(400)["error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("messages[0].role")
    );

    let mut limited = ask.clone();
    limited["messages"][0]["content"] = json!("[[emulator: status=429]] hi");
    let reply = post(&api, Some(&key), limited).await;
    assert_eq!(reply.expect(429)["error"]["type"], "rate_limit_error");

    let events = stream(
        &api,
        &key,
        json!({"model": "openai/gpt-4o-mini", "max_tokens": 50, "stream": true,
            "messages": [{"role": "user", "content": "[[emulator: chunks=6 stream-error-after=3]] one two three four five six"}]}),
    )
    .await;
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "error", "{events:?}");
    assert!(data["error"]["type"].as_str().unwrap().ends_with("_error"));
    assert!(data["error"]["message"].is_string());
}
