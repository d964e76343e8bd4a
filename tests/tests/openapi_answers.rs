//! The inference endpoints' real answers, from the provider emulator through each protocol,
//! validated against the schemas the served OpenAPI document gives them: whole responses,
//! every stream event as an SSE parser yields it and the JSON inside it, in-band stream errors,
//! error bodies. The document's schemas are derived from the types the server serializes, so a
//! field those types gain or change without the schema saying so fails here (and would fail
//! schemathesis's response_schema_conformance against a configured provider).

use reqwest::Method;
use serde_json::{Value, json};
use tests::{TestServer, email};

/// The document and a validator per schema, resolving `#/components/...` references.
struct Doc(Value);

impl Doc {
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut root = json!({ "components": self.0["components"].clone() });
        for (key, value) in schema.as_object().expect("a schema object") {
            root[key] = value.clone();
        }
        jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{schema}: {e}"))
    }

    /// The schema of `media` in the 200 answer of `POST path`.
    fn answer(&self, path: &str, status: &str, media: &str) -> Value {
        let schema =
            &self.0["paths"][path]["post"]["responses"][status]["content"][media]["schema"];
        assert!(
            schema.is_object(),
            "POST {path} documents no {media} schema for {status}"
        );
        schema.clone()
    }

    /// A component named by a `$ref`.
    fn component(&self, reference: &Value) -> Value {
        let name = reference["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .unwrap_or_else(|| panic!("not a component reference: {reference}"));
        self.0["components"]["schemas"][name].clone()
    }

    /// The schema of the JSON payload of a stream event's `data`: the `contentSchema` the
    /// event schema names.
    fn payload(&self, event: &Value) -> Value {
        let event = self.component(event);
        let data = &event["properties"]["data"];
        let forms = data["anyOf"]
            .as_array()
            .map_or(vec![data], |f| f.iter().collect());
        forms
            .into_iter()
            .find_map(|form| form.get("contentSchema").cloned())
            .unwrap_or_else(|| panic!("no contentSchema in {event}"))
    }

    fn check(&self, what: &str, schema: &Value, instance: &Value) {
        let validator = self.validator(schema);
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the answer does not match its schema {schema}:\n{}\n{instance}",
            errors.join("\n")
        );
    }
}

/// The events of an SSE body as schemathesis (and any SSE parser) reads them: `data` joined,
/// `event` defaulting to `message`; comments are not events.
fn events(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for frame in text.split("\n\n").filter(|f| !f.trim().is_empty()) {
        let mut data = Vec::new();
        let mut name = "message".to_owned();
        for line in frame.lines() {
            if let Some(d) = line.strip_prefix("data:") {
                data.push(d.strip_prefix(' ').unwrap_or(d).to_owned());
            } else if let Some(n) = line.strip_prefix("event:") {
                name = n.trim().to_owned();
            }
        }
        if !data.is_empty() {
            out.push(json!({ "data": data.join("\n"), "event": name }));
        }
    }
    out
}

const CHAT: &str = "/api/v1/chat/completions";
const COMPLETIONS: &str = "/api/v1/completions";
const EMBEDDINGS: &str = "/api/v1/embeddings";
const RESPONSES: &str = "/api/v1/responses";
const MESSAGES: &str = "/api/v1/messages";

/// Sends `body` to `path` and checks the answer against the document: its status's JSON
/// schema, or for a stream every event and the payload in it. Returns the stream's payloads
/// (or the whole body).
async fn answer(doc: &Doc, api: &tests::Api, key: &str, path: &str, body: Value) -> Vec<Value> {
    let response = api
        .request(Method::POST, path, Some(key))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16().to_string();
    let media = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let text = response.text().await.unwrap();
    let what = format!("POST {path} {body} -> {status} {media}");
    if media != "text/event-stream" {
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}"));
        doc.check(&what, &doc.answer(path, &status, &media), &value);
        return vec![value];
    }
    assert_eq!(status, "200", "{what}");
    let event_schema = doc.answer(path, &status, &media);
    let payload_schema = doc.payload(&event_schema);
    let events = events(&text);
    assert!(events.len() >= 2, "{what}: {text}");
    let mut payloads = Vec::new();
    for event in &events {
        doc.check(&what, &event_schema, event);
        let data = event["data"].as_str().unwrap();
        if data == "[DONE]" {
            continue;
        }
        let payload: Value = serde_json::from_str(data).unwrap_or_else(|e| panic!("{what}: {e}"));
        doc.check(&what, &payload_schema, &payload);
        payloads.push(payload);
    }
    if path == RESPONSES || path == MESSAGES {
        // Named events: the name is the payload's `type`, and no `[DONE]` follows.
        for (event, payload) in events.iter().zip(&payloads) {
            assert_eq!(event["event"], payload["type"], "{what}: {text}");
        }
        assert_eq!(events.len(), payloads.len(), "{what}: {text}");
        return payloads;
    }
    // A stream ends with `[DONE]`, or, when the provider broke it off, with an error chunk.
    let failed = payloads.last().is_some_and(|p| p["error"].is_object());
    let last = &events.last().unwrap()["data"];
    assert!(failed || *last == "[DONE]", "{what}: {text}");
    payloads
}

fn ask(model: &str, text: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": text }] })
}

#[tokio::test]
async fn inference_answers_match_their_documented_schemas() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let doc = Doc(api
        .get("/api/v1/openapi.json", None)
        .await
        .expect(200)
        .clone());
    let user = api.signup(&email("schemas")).await;
    let (key, _) = api
        .create_key(&user, None, json!({ "name": "schemas" }))
        .await;

    let weather = json!([{ "type": "function", "function": { "name": "get_weather",
        "description": "Weather of a city",
        "parameters": { "type": "object", "properties": { "city": { "type": "string" } } } } }]);
    for model in [
        "openai/gpt-4o-mini",
        "anthropic/claude-sonnet-4.5",
        "google/gemini-2.5-flash",
    ] {
        for stream in [false, true] {
            let mut plain = ask(model, "Hello there");
            plain["stream"] = json!(stream);
            let answers = answer(&doc, &api, &key, CHAT, plain.clone()).await;
            assert!(
                answers.iter().any(|a| a["usage"]["cost"].is_number()),
                "{model}: a usage with cost: {answers:?}"
            );

            let mut tools = ask(model, "What is the weather in Paris?");
            tools["tools"] = weather.clone();
            tools["tool_choice"] = json!("required");
            tools["stream"] = json!(stream);
            let answers = answer(&doc, &api, &key, CHAT, tools).await;
            assert!(
                answers.iter().any(|a| {
                    let choice = &a["choices"][0];
                    choice["message"]["tool_calls"].is_array()
                        || choice["delta"]["tool_calls"].is_array()
                }),
                "{model}: a tool call: {answers:?}"
            );

            let mut reasoning = ask(model, "Think first");
            reasoning["reasoning"] = json!({ "max_tokens": 1024 });
            reasoning["max_tokens"] = json!(2048);
            reasoning["stream"] = json!(stream);
            answer(&doc, &api, &key, CHAT, reasoning).await;

            // Routing metadata rides on the whole response.
            if !stream {
                let response = api
                    .request(Method::POST, CHAT, Some(&key))
                    .header("X-OpenRouter-Metadata", "enabled")
                    .json(&plain)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let body: Value = response.json().await.unwrap();
                assert!(body["openrouter_metadata"].is_object(), "{body}");
                doc.check(
                    "metadata",
                    &doc.answer(CHAT, "200", "application/json"),
                    &body,
                );
            }

            let mut legacy =
                json!({ "model": model, "prompt": "Once upon a time", "stream": stream });
            let answers = answer(&doc, &api, &key, COMPLETIONS, legacy.clone()).await;
            assert!(answers.iter().all(|a| a["object"] == "text_completion"));
            legacy["max_tokens"] = json!(2);
            answer(&doc, &api, &key, COMPLETIONS, legacy).await;
        }
    }

    // A stream the provider breaks off ends with an in-band error chunk.
    let mut failing = ask(
        "openai/gpt-4o-mini",
        "[[emulator: stream-error-after=2]] hi",
    );
    failing["stream"] = json!(true);
    let answers = answer(&doc, &api, &key, CHAT, failing).await;
    assert!(
        answers.iter().any(|a| a["error"].is_object()),
        "an error chunk: {answers:?}"
    );

    for encoding in ["float", "base64"] {
        let body = json!({ "model": "openai/text-embedding-3-small", "input": ["one", "two"],
            "encoding_format": encoding });
        let answers = answer(&doc, &api, &key, EMBEDDINGS, body).await;
        assert_eq!(answers[0]["data"].as_array().unwrap().len(), 2);
    }

    ingress_answers(&doc, &api, &key).await;

    // Errors are documented too.
    answer(&doc, &api, &key, CHAT, ask("nobody/no-such-model", "hi")).await;
    answer(
        &doc,
        &api,
        &key,
        CHAT,
        ask("openai/gpt-4o-mini", "[[emulator: status=500]] hi"),
    )
    .await;
    answer(
        &doc,
        &api,
        &key,
        EMBEDDINGS,
        json!({ "model": "m", "input": [] }),
    )
    .await;
    server.stop().await;
}

/// The Responses and Messages ingresses through each upstream protocol: plain, tools,
/// reasoning, a cut output, streamed and not; a stream the provider breaks off; errors.
async fn ingress_answers(doc: &Doc, api: &tests::Api, key: &str) {
    let function = json!({ "type": "function", "name": "get_weather", "description": "Weather of a city",
        "parameters": { "type": "object", "properties": { "city": { "type": "string" } } } });
    let tool = json!({ "name": "get_weather", "description": "Weather of a city",
        "input_schema": { "type": "object", "properties": { "city": { "type": "string" } } } });
    let payload_types = |answers: &[Value]| -> Vec<String> {
        answers
            .iter()
            .filter_map(|a| a["type"].as_str().map(str::to_owned))
            .collect()
    };
    for model in [
        "openai/gpt-4o-mini",
        "anthropic/claude-sonnet-4.5",
        "google/gemini-2.5-flash",
    ] {
        for stream in [false, true] {
            let responses = [
                json!({ "model": model, "input": "Hello there", "instructions": "Be brief" }),
                json!({ "model": model, "input": "What is the weather in Paris?",
                    "tools": [function], "tool_choice": "required" }),
                json!({ "model": model, "input": [{ "role": "user", "content": [
                    { "type": "input_text", "text": "Think first" }] }],
                    "reasoning": { "effort": "high", "summary": "auto" }, "max_output_tokens": 2048 }),
                json!({ "model": model, "input": "Once upon a time", "max_output_tokens": 2,
                    "metadata": { "run": "schemas" } }),
            ];
            for mut body in responses {
                body["stream"] = json!(stream);
                let answers = answer(doc, api, key, RESPONSES, body).await;
                let last = answers.last().unwrap();
                if stream {
                    let types = payload_types(&answers);
                    assert_eq!(types[0], "response.created", "{types:?}");
                    assert!(
                        ["response.completed", "response.incomplete"]
                            .contains(&types.last().unwrap().as_str()),
                        "{types:?}"
                    );
                } else {
                    assert_eq!(last["object"], "response", "{last}");
                }
            }
            let messages = [
                json!({ "model": model, "max_tokens": 100, "system": "Be brief",
                    "messages": [{ "role": "user", "content": "Hello there" }] }),
                json!({ "model": model, "max_tokens": 200, "tools": [tool],
                    "tool_choice": { "type": "any" },
                    "messages": [{ "role": "user", "content": "What is the weather in Paris?" }] }),
                json!({ "model": model, "max_tokens": 4000,
                    "thinking": { "type": "enabled", "budget_tokens": 2000 },
                    "messages": [{ "role": "user", "content": [{ "type": "text", "text": "Think first" }] }] }),
                json!({ "model": model, "max_tokens": 2,
                    "messages": [{ "role": "user", "content": "Once upon a time" }] }),
            ];
            for mut body in messages {
                body["stream"] = json!(stream);
                let answers = answer(doc, api, key, MESSAGES, body).await;
                if stream {
                    let types = payload_types(&answers);
                    assert_eq!(types[0], "message_start", "{types:?}");
                    assert_eq!(types.last().unwrap(), "message_stop", "{types:?}");
                } else {
                    assert_eq!(answers[0]["type"], "message", "{answers:?}");
                }
            }
        }
    }

    // Streams the provider breaks off: `error` then `response.failed`; Anthropic's `error`.
    let broken = "[[emulator: chunks=6 stream-error-after=3]] one two three four five six";
    let answers = answer(
        doc,
        api,
        key,
        RESPONSES,
        json!({ "model": "openai/gpt-4o-mini", "stream": true, "input": broken }),
    )
    .await;
    let types = payload_types(&answers);
    assert!(types.contains(&"error".to_owned()), "{types:?}");
    assert_eq!(types.last().unwrap(), "response.failed", "{types:?}");
    let answers = answer(
        doc,
        api,
        key,
        MESSAGES,
        json!({ "model": "openai/gpt-4o-mini", "stream": true, "max_tokens": 100,
            "messages": [{ "role": "user", "content": broken }] }),
    )
    .await;
    assert_eq!(payload_types(&answers).last().unwrap(), "error");

    // Errors, in each protocol's envelope.
    for body in [
        json!({ "model": "nobody/no-such-model", "input": "hi" }),
        json!({ "model": "openai/gpt-4o-mini", "input": "hi", "store": true }),
        json!({ "model": "openai/gpt-4o-mini", "input": "[[emulator: status=500]] hi" }),
    ] {
        let answers = answer(doc, api, key, RESPONSES, body.clone()).await;
        assert!(
            answers[0]["error"]["message"].is_string(),
            "{body}: {answers:?}"
        );
    }
    for body in [
        json!({ "model": "nobody/no-such-model", "max_tokens": 10,
            "messages": [{ "role": "user", "content": "hi" }] }),
        json!({ "model": "openai/gpt-4o-mini", "max_tokens": 0,
            "messages": [{ "role": "user", "content": "hi" }] }),
        json!({ "model": "openai/gpt-4o-mini", "max_tokens": 10,
            "messages": [{ "role": "user", "content": "[[emulator: status=500]] hi" }] }),
    ] {
        let answers = answer(doc, api, key, MESSAGES, body.clone()).await;
        assert_eq!(answers[0]["type"], "error", "{body}: {answers:?}");
    }
}

/// The checker itself fails on a wrong answer: a chunk without `choices`, a response whose
/// `object` is not `chat.completion`, an event with the wrong payload.
#[tokio::test]
async fn the_checker_refuses_answers_the_schemas_do_not_describe() {
    let server = TestServer::start().await;
    let doc = Doc(server
        .api()
        .get("/api/v1/openapi.json", None)
        .await
        .expect(200)
        .clone());
    let chunk_schema = doc.payload(&doc.answer(CHAT, "200", "text/event-stream"));
    let chunk = json!({ "id": "gen-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{ "index": 0, "delta": { "content": "hi" }, "finish_reason": null }] });
    assert!(doc.validator(&chunk_schema).is_valid(&chunk));
    let mut broken = chunk.clone();
    broken.as_object_mut().unwrap().remove("choices");
    assert!(!doc.validator(&chunk_schema).is_valid(&broken));
    let mut broken = chunk.clone();
    broken["choices"][0]["finish_reason"] = json!("finished");
    assert!(!doc.validator(&chunk_schema).is_valid(&broken));

    let whole = doc.answer(CHAT, "200", "application/json");
    let response = json!({ "id": "gen-1", "object": "chat.completion.chunk", "created": 1,
        "model": "m", "system_fingerprint": null,
        "choices": [{ "index": 0, "finish_reason": "stop",
            "message": { "role": "assistant", "content": "hi", "refusal": null, "reasoning": null } }] });
    assert!(!doc.validator(&whole).is_valid(&response));
    let mut fixed = response.clone();
    fixed["object"] = json!("chat.completion");
    assert!(doc.validator(&whole).is_valid(&fixed), "{whole}");

    // The ingresses' payloads: each `type` has its own fields.
    let responses = doc.validator(&doc.payload(&doc.answer(RESPONSES, "200", "text/event-stream")));
    let delta = json!({ "type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
        "content_index": 0, "delta": "hi", "logprobs": [], "sequence_number": 3 });
    assert!(responses.is_valid(&delta));
    let mut broken = delta.clone();
    broken.as_object_mut().unwrap().remove("sequence_number");
    assert!(!responses.is_valid(&broken));
    let mut broken = delta.clone();
    broken["type"] = json!("response.output_text.done");
    assert!(!responses.is_valid(&broken));
    let messages = doc.validator(&doc.payload(&doc.answer(MESSAGES, "200", "text/event-stream")));
    let delta = json!({ "type": "content_block_delta", "index": 0,
        "delta": { "type": "text_delta", "text": "hi" } });
    assert!(messages.is_valid(&delta));
    let mut broken = delta.clone();
    broken["delta"]["type"] = json!("text");
    assert!(!messages.is_valid(&broken));

    let event = doc.answer(CHAT, "200", "text/event-stream");
    assert!(
        doc.validator(&event)
            .is_valid(&json!({ "data": "[DONE]", "event": "message" }))
    );
    assert!(
        !doc.validator(&event)
            .is_valid(&json!({ "event": "message" }))
    );
    server.stop().await;
}
