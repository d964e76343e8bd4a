//! `POST /api/v1/responses` (OpenAI Responses API, stateless) end to end: the real server, the
//! provider emulators as upstreams of every protocol.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{TestServer, email, named_events};

const MODELS: [(&str, &str); 3] = [
    ("openai/gpt-4o-mini", "OpenAI"),
    ("anthropic/claude-haiku-4.5", "Anthropic"),
    ("google/gemini-2.5-flash", "Google AI Studio"),
];

fn weather_tool() -> Value {
    json!({
        "type": "function", "name": "get_weather", "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    })
}

async fn key_for(api: &tests::Api) -> String {
    let user = api.signup(&email("responses")).await;
    api.create_key(&user, None, json!({ "name": "responses" }))
        .await
        .0
}

/// Streams `body` and returns the events, checking the framing every Responses stream keeps:
/// the event name equals `data.type`, `sequence_number` counts from 0, nothing follows the
/// terminal event.
async fn stream(api: &tests::Api, key: &str, body: Value) -> (String, Vec<(String, Value)>) {
    let response = api
        .request(Method::POST, "/api/v1/responses", Some(key))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let generation = response.headers()["x-generation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = response.text().await.unwrap();
    assert!(!text.contains("[DONE]"), "{text}");
    let events = named_events(&text);
    for (i, (name, data)) in events.iter().enumerate() {
        assert_eq!(data["type"], name.as_str(), "{text}");
        assert_eq!(data["sequence_number"], json!(i), "{text}");
    }
    (generation, events)
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

#[tokio::test]
async fn plain_text_through_each_upstream_protocol() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    for (model, provider) in MODELS {
        let reply = api
            .post(
                "/api/v1/responses",
                Some(&key),
                json!({"model": model, "input": "Hello there", "instructions": "Be brief", "max_output_tokens": 100}),
            )
            .await;
        let body = reply.expect(200);
        let generation = reply.headers["x-generation-id"].to_str().unwrap();
        assert_eq!(body["id"], generation);
        assert_eq!(body["object"], "response");
        assert_eq!(body["status"], "completed");
        assert_eq!(body["model"], model);
        assert_eq!(body["provider"], provider);
        assert_eq!(body["instructions"], "Be brief");
        assert_eq!(body["max_output_tokens"], 100);
        assert_eq!(body["store"], false);
        let output = body["output"].as_array().unwrap();
        assert_eq!(output.len(), 1, "{body}");
        assert_eq!(output[0]["type"], "message");
        assert_eq!(output[0]["role"], "assistant");
        assert_eq!(output[0]["status"], "completed");
        assert_eq!(output[0]["content"][0]["type"], "output_text");
        assert_eq!(
            output[0]["content"][0]["text"],
            "[Be brief] You said: Hello there"
        );
        let usage = &body["usage"];
        assert!(usage["input_tokens"].as_u64().unwrap() > 0, "{body}");
        assert!(usage["output_tokens"].as_u64().unwrap() > 0);
        assert_eq!(
            usage["total_tokens"].as_u64().unwrap(),
            usage["input_tokens"].as_u64().unwrap() + usage["output_tokens"].as_u64().unwrap()
        );
        assert!(usage["input_tokens_details"]["cached_tokens"].is_u64());
        assert!(usage["output_tokens_details"]["reasoning_tokens"].is_u64());
        assert!(usage["cost"].as_f64().unwrap() > 0.0);

        // The generation record is the same as for chat completions, and says which API.
        let record = api
            .get(&format!("/api/v1/generation?id={generation}"), Some(&key))
            .await;
        let data = &record.expect(200)["data"];
        assert_eq!(data["model"], model);
        assert_eq!(data["provider_name"], provider);
        assert_eq!(data["total_cost"], usage["cost"]);
        assert_eq!(data["api_type"], "responses");
    }
}

#[tokio::test]
async fn streamed_text_is_the_full_event_sequence() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    for (model, _) in MODELS {
        let body = json!({"model": model, "input": [{"role": "user", "content": [{"type": "input_text", "text": "Stream me"}]}], "stream": true});
        let (generation, events) = stream(&api, &key, body).await;
        let names = names(&events);
        assert_eq!(
            names[..4],
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added"
            ],
            "{model}"
        );
        assert_eq!(
            names[names.len() - 4..],
            [
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed"
            ],
            "{model}"
        );
        let deltas: String = events
            .iter()
            .filter(|(n, _)| n == "response.output_text.delta")
            .map(|(_, d)| d["delta"].as_str().unwrap())
            .collect();
        assert_eq!(deltas, "You said: Stream me", "{model}");
        assert_eq!(events[0].1["response"]["status"], "in_progress");
        assert_eq!(events[0].1["response"]["id"], generation.as_str());
        let done = &events[events.len() - 4].1;
        assert_eq!(done["text"], "You said: Stream me");
        let item_id = &events[2].1["item"]["id"];
        assert!(
            events[2..events.len() - 1]
                .iter()
                .all(|(_, d)| &d["item_id"] == item_id || &d["item"]["id"] == item_id)
        );
        let completed = &events.last().unwrap().1["response"];
        assert_eq!(completed["status"], "completed");
        assert_eq!(
            completed["output"][0]["content"][0]["text"],
            "You said: Stream me"
        );
        assert!(completed["usage"]["cost"].as_f64().unwrap() > 0.0);
        assert!(completed["usage"]["output_tokens"].as_u64().unwrap() > 0);
    }
    assert_eq!(emulator.stats().streams_aborted, 0);
}

#[tokio::test]
async fn function_call_round_trip_streamed_and_not() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    for (model, _) in MODELS {
        let ask = json!({"model": model, "input": "Weather in Paris?", "tools": [weather_tool()], "tool_choice": "required"});
        let reply = api.post("/api/v1/responses", Some(&key), ask.clone()).await;
        let body = reply.expect(200).clone();
        let calls: Vec<&Value> = body["output"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["type"] == "function_call")
            .collect();
        assert_eq!(calls.len(), 1, "{model}: {body}");
        let call = calls[0];
        assert_eq!(call["name"], "get_weather");
        assert_eq!(call["status"], "completed");
        let args: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
        assert!(args["city"].is_string(), "{call}");

        // Streamed: the call's arguments arrive as deltas, then whole.
        let mut streamed = ask.clone();
        streamed["stream"] = json!(true);
        let (_, events) = stream(&api, &key, streamed).await;
        let added = events
            .iter()
            .find(|(n, d)| {
                n == "response.output_item.added" && d["item"]["type"] == "function_call"
            })
            .unwrap_or_else(|| panic!("{model}: {events:?}"));
        assert_eq!(added.1["item"]["arguments"], "");
        let deltas: String = events
            .iter()
            .filter(|(n, _)| n == "response.function_call_arguments.delta")
            .map(|(_, d)| d["delta"].as_str().unwrap())
            .collect();
        let done = events
            .iter()
            .find(|(n, _)| n == "response.function_call_arguments.done")
            .unwrap();
        assert_eq!(done.1["arguments"].as_str().unwrap(), deltas);
        assert_eq!(done.1["item_id"], added.1["item"]["id"]);
        assert_eq!(events.last().unwrap().0, "response.completed");

        // Stateless follow-up: the call and its output are sent back as items.
        let follow = json!({"model": model, "tools": [weather_tool()], "input": [
            {"role": "user", "content": "Weather in Paris?"},
            {"type": "function_call", "call_id": call["call_id"], "name": "get_weather", "arguments": call["arguments"]},
            {"type": "function_call_output", "call_id": call["call_id"], "output": "Sunny, 21C"},
        ]});
        let reply = api.post("/api/v1/responses", Some(&key), follow).await;
        let body = reply.expect(200);
        let last = body["output"].as_array().unwrap().last().unwrap();
        assert_eq!(last["type"], "message", "{model}: {body}");
        assert!(
            last["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("Sunny, 21C"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn json_schema_reasoning_and_stateless_refusals() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}, "temp": {"type": "integer"}}, "required": ["city", "temp"], "additionalProperties": false});
    let reply = api
        .post(
            "/api/v1/responses",
            Some(&key),
            json!({"model": "openai/gpt-4o-mini", "input": "Weather as JSON",
                "text": {"format": {"type": "json_schema", "name": "weather", "schema": schema, "strict": true}}}),
        )
        .await;
    let body = reply.expect(200);
    let text = body["output"][0]["content"][0]["text"].as_str().unwrap();
    let parsed: Value = serde_json::from_str(text).unwrap();
    assert_eq!(parsed, json!({"city": "example", "temp": 1}));
    assert_eq!(body["text"]["format"]["name"], "weather");
    let sent = emulator.requests();
    assert_eq!(
        sent.last().unwrap().body["response_format"]["json_schema"]["name"],
        "weather"
    );

    // Reasoning through Anthropic: a reasoning item with the thinking as its summary.
    let reply = api
        .post(
            "/api/v1/responses",
            Some(&key),
            json!({"model": "anthropic/claude-sonnet-4.5", "input": "Think first",
                "reasoning": {"effort": "high", "summary": "auto"}, "max_output_tokens": 4000}),
        )
        .await;
    let body = reply.expect(200);
    assert_eq!(body["output"][0]["type"], "reasoning", "{body}");
    assert_eq!(
        body["output"][0]["summary"][0]["text"],
        "Thinking about: Think first"
    );
    assert_eq!(body["output"][1]["type"], "message");
    let sent = emulator.requests();
    assert_eq!(sent.last().unwrap().body["thinking"]["type"], "enabled");

    let streamed = json!({"model": "anthropic/claude-sonnet-4.5", "input": "Think first",
        "reasoning": {"effort": "low"}, "max_output_tokens": 4000, "stream": true});
    let (_, events) = stream(&api, &key, streamed).await;
    let summary: String = events
        .iter()
        .filter(|(n, _)| n == "response.reasoning_summary_text.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap())
        .collect();
    assert_eq!(summary, "Thinking about: Think first");
    assert_eq!(events[2].1["item"]["type"], "reasoning");

    for (field, body) in [
        (
            "store",
            json!({"model": "openai/gpt-4o-mini", "input": "hi", "store": true}),
        ),
        (
            "previous_response_id",
            json!({"model": "openai/gpt-4o-mini", "input": "hi", "previous_response_id": "resp_1"}),
        ),
    ] {
        let reply = api.post("/api/v1/responses", Some(&key), body).await;
        let error = &reply.expect(400)["error"];
        assert_eq!(error["param"], field, "{error}");
        assert_eq!(error["type"], "invalid_request_error");
        assert!(error["message"].as_str().unwrap().contains(field));
    }
}

#[tokio::test]
async fn errors_in_the_responses_shape() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let key = key_for(&api).await;
    let ask = json!({"model": "openai/gpt-4o-mini", "input": "hi"});
    let reply = api.post("/api/v1/responses", None, ask.clone()).await;
    let error = &reply.expect(401)["error"];
    assert_eq!(error["code"], "invalid_api_key");
    assert!(error["message"].is_string());

    let reply = api
        .post(
            "/api/v1/responses",
            Some(&key),
            json!({"model": "nope/nonexistent-model", "input": "hi"}),
        )
        .await;
    assert_eq!(reply.expect(404)["error"]["code"], "model_not_found");

    let reply = api
        .post(
            "/api/v1/responses",
            Some(&key),
            json!({"model": "openai/gpt-4o-mini", "input": [{"type": "web_search_call"}]}),
        )
        .await;
    assert_eq!(reply.expect(400)["error"]["param"], "input[0].type");

    // Upstream rate limit before the stream began: the real status, in the Responses shape.
    let reply = api
        .post(
            "/api/v1/responses",
            Some(&key),
            json!({"model": "openai/gpt-4o-mini", "input": "[[emulator: status=429]] hi"}),
        )
        .await;
    assert_eq!(reply.expect(429)["error"]["code"], "rate_limit_exceeded");

    // A failure mid-stream: `error`, then `response.failed`.
    let (_, events) = stream(
        &api,
        &key,
        json!({"model": "openai/gpt-4o-mini", "stream": true,
            "input": "[[emulator: chunks=6 stream-error-after=3]] one two three four five six"}),
    )
    .await;
    let names = names(&events);
    assert_eq!(
        names[names.len() - 2..],
        ["error", "response.failed"],
        "{events:?}"
    );
    let failed = &events.last().unwrap().1["response"];
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"]["message"].is_string());
    assert!(failed["error"]["code"].is_string());
}
