//! `POST /api/v1/chat/completions` end to end: the real server, the provider emulators.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tests::{Sse, TestServer, email};

fn ask(model: &str, text: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": text }] })
}

async fn key_for(api: &tests::Api) -> (tests::User, String) {
    let user = api.signup(&email("chat")).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "chat" })).await;
    (user, key)
}

/// Keys a non-stream response must carry for OpenAI and OpenRouter clients.
fn assert_completion_shape(body: &Value) {
    for key in [
        "id",
        "object",
        "created",
        "model",
        "provider",
        "system_fingerprint",
        "choices",
        "usage",
    ] {
        assert!(body.get(key).is_some(), "missing {key}: {body}");
    }
    assert_eq!(body["object"], "chat.completion");
    let choice = &body["choices"][0];
    for key in ["index", "message", "finish_reason", "native_finish_reason"] {
        assert!(choice.get(key).is_some(), "choice lacks {key}: {body}");
    }
    assert_eq!(choice["message"]["role"], "assistant");
    let usage = &body["usage"];
    for key in [
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cost",
        "is_byok",
        "cost_details",
    ] {
        assert!(usage.get(key).is_some(), "usage lacks {key}: {body}");
    }
    assert!(usage["cost_details"]["upstream_inference_prompt_cost"].is_number());
    assert!(usage["cost_details"]["upstream_inference_completions_cost"].is_number());
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn non_stream_through_each_protocol() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api).await;
    for (model, provider, upstream_path) in [
        ("openai/gpt-4o-mini", "OpenAI", "/v1/chat/completions"),
        ("anthropic/claude-sonnet-4.5", "Anthropic", "/v1/messages"),
        (
            "google/gemini-2.5-flash",
            "Google AI Studio",
            ":generateContent",
        ),
    ] {
        emulator.clear_requests();
        let reply = api
            .post(
                "/api/v1/chat/completions",
                Some(&key),
                ask(model, "Hello there"),
            )
            .await;
        let body = reply.expect(200).clone();
        assert_completion_shape(&body);
        assert_eq!(body["model"], model);
        assert_eq!(body["provider"], provider, "{body}");
        let id = body["id"].as_str().unwrap();
        assert!(id.starts_with("gen-"), "{id}");
        assert_eq!(reply.headers["x-generation-id"], id);
        assert_eq!(
            body["choices"][0]["message"]["content"],
            "You said: Hello there"
        );
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        assert!(body["usage"]["cost"].as_f64().unwrap() > 0.0, "{body}");
        let sent = emulator.requests();
        assert_eq!(sent.len(), 1, "one upstream request for {model}");
        assert!(
            sent[0].path.contains(upstream_path),
            "{} for {model}",
            sent[0].path
        );
        // The client's key never reaches the provider; the deployment's does.
        let headers = format!("{:?}", sent[0].headers);
        assert!(!headers.contains(&key[9..]), "our key leaked upstream");
    }
}

#[tokio::test]
async fn streams_follow_openrouters_chunk_contract() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api).await;
    for model in [
        "openai/gpt-4o-mini",
        "anthropic/claude-haiku-4.5",
        "google/gemini-2.5-flash",
    ] {
        let mut body = ask(model, "Stream me a reply please");
        body["stream"] = json!(true);
        let response = api
            .request(Method::POST, "/api/v1/chat/completions", Some(&key))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let generation = response.headers()["x-generation-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let sse = Sse::parse(&response.text().await.unwrap());
        assert!(
            sse.done,
            "{model}: stream must end with [DONE]: {}",
            sse.raw
        );
        assert!(sse.data.len() >= 3, "{model}: {}", sse.raw);
        for chunk in &sse.data {
            for key in ["id", "object", "created", "model", "provider", "choices"] {
                assert!(
                    chunk.get(key).is_some(),
                    "{model}: chunk lacks {key}: {chunk}"
                );
            }
            assert_eq!(chunk["id"], generation.as_str());
            assert_eq!(chunk["object"], "chat.completion.chunk");
            assert_eq!(chunk["model"], model);
            assert!(
                chunk.get("usage").is_none_or(|u| !u.is_null()),
                "usage must never be null: {chunk}"
            );
            for choice in chunk["choices"].as_array().unwrap() {
                assert!(
                    choice.get("index").is_some() && choice.get("finish_reason").is_some(),
                    "{chunk}"
                );
                assert!(choice["delta"].get("role").is_none_or(|r| !r.is_null()));
                assert!(
                    choice["delta"]
                        .get("tool_calls")
                        .is_none_or(|r| !r.is_null())
                );
            }
        }
        let usage_chunks: Vec<&Value> = sse
            .data
            .iter()
            .filter(|c| c.get("usage").is_some())
            .collect();
        assert_eq!(
            usage_chunks.len(),
            1,
            "{model}: exactly one usage chunk: {}",
            sse.raw
        );
        let last = sse.data.last().unwrap();
        assert!(
            last["choices"].as_array().unwrap().is_empty(),
            "the usage chunk is last and has no choices"
        );
        assert!(last["usage"]["cost"].as_f64().unwrap() > 0.0);
        assert_eq!(sse.text(), "You said: Stream me a reply please", "{model}");
        let finishes: Vec<&Value> = sse
            .data
            .iter()
            .flat_map(|c| c["choices"].as_array().unwrap())
            .map(|c| &c["finish_reason"])
            .filter(|f| !f.is_null())
            .collect();
        assert_eq!(finishes, vec![&json!("stop")], "{model}");
    }
    assert_eq!(emulator.stats().streams_aborted, 0);
}

#[tokio::test]
async fn errors_keep_openrouters_shape() {
    let (server, _emulator) = TestServer::with_emulator(|c| {
        c.provider_env
            .remove("XAI_API_KEY")
            .map(|_| ())
            .unwrap_or(())
    })
    .await;
    let api = server.api();
    let (user, key) = key_for(&api).await;

    // Unknown model, unconfigured provider: 404 naming why.
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("nobody/no-such-model", "hi"),
        )
        .await;
    let message = reply.expect_error(404);
    assert!(message.contains("nobody/no-such-model"), "{message}");
    assert_eq!(
        reply.body["error"]["metadata"]["reasons"][0]["reason"], "unknown model",
        "{}",
        reply.text
    );
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("x-ai/grok-4", "hi"),
        )
        .await;
    reply.expect_error(404);
    assert!(reply.text.contains("XAI_API_KEY"), "{}", reply.text);

    // The provider fails: 502 "Provider returned error" with the provider's raw error.
    let failing = ask("openai/gpt-4o-mini", "[[emulator: status=500]] hi");
    let reply = api
        .post("/api/v1/chat/completions", Some(&key), failing)
        .await;
    assert_eq!(reply.expect_error(502), "Provider returned error");
    assert_eq!(reply.body["error"]["metadata"]["provider_name"], "OpenAI");
    assert!(
        reply.body["error"]["metadata"]["raw"].is_object(),
        "{}",
        reply.text
    );
    // Rate limited upstream: 429 with Retry-After.
    let limited = ask(
        "openai/gpt-4o-mini",
        "[[emulator: status=429 retry-after=7]] hi",
    );
    let reply = api
        .post("/api/v1/chat/completions", Some(&key), limited)
        .await;
    reply.expect_error(429);
    assert_eq!(reply.headers["retry-after"], "7");

    // Bad requests name the field; wrong keys are refused.
    for (body, field) in [
        (json!({ "model": "openai/gpt-4o-mini" }), "messages"),
        (
            json!({ "model": "openai/gpt-4o-mini", "messages": [] }),
            "messages",
        ),
        (
            json!({ "messages": [{ "role": "user", "content": "hi" }] }),
            "model",
        ),
        (
            json!({ "model": "openai/gpt-4o-mini", "messages": "hi" }),
            "messages",
        ),
        (
            json!({ "model": "openai/gpt-4o-mini", "messages": [{ "role": "user", "content": "hi" }], "temperature": 9 }),
            "temperature",
        ),
        (
            json!({ "model": "openai/gpt-4o-mini", "messages": [{ "role": "wizard", "content": "hi" }] }),
            "role",
        ),
    ] {
        let message = api
            .post("/api/v1/chat/completions", Some(&key), body.clone())
            .await
            .expect_error(400);
        assert!(message.contains(field), "{body} -> {message}");
    }
    api.post(
        "/api/v1/chat/completions",
        None,
        ask("openai/gpt-4o-mini", "hi"),
    )
    .await
    .expect_error(401);
    api.post(
        "/api/v1/chat/completions",
        Some(&user.token),
        ask("openai/gpt-4o-mini", "hi"),
    )
    .await
    .expect_error(401);
    let management = api
        .post(
            "/api/v1/management-keys",
            Some(&user.token),
            json!({ "name": "m" }),
        )
        .await
        .expect(201)["key"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(
        "/api/v1/chat/completions",
        Some(&management),
        ask("openai/gpt-4o-mini", "hi"),
    )
    .await
    .expect_error(403);
    // Unknown fields are accepted (passed on where sensible), legacy ones are harmless.
    let lenient = json!({ "model": "openai/gpt-4o-mini", "messages": [{ "role": "user", "content": "hi" }],
        "transforms": [], "usage": { "include": true }, "include_reasoning": false, "route": "fallback", "my_custom_field": 1 });
    api.post("/api/v1/chat/completions", Some(&key), lenient)
        .await
        .expect(200);
}

#[tokio::test]
async fn mid_stream_failure_becomes_one_error_chunk() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api).await;
    let body = json!({ "model": "openai/gpt-4o-mini", "stream": true,
        "messages": [{ "role": "user", "content": "[[emulator: chunks=6 disconnect-after=2]] one two three four five six" }] });
    let response = api
        .request(Method::POST, "/api/v1/chat/completions", Some(&key))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let sse = Sse::parse(&response.text().await.unwrap());
    let last = sse.data.last().unwrap();
    assert!(last["error"]["message"].is_string(), "{}", sse.raw);
    assert_eq!(last["error"]["code"], json!(502), "{last}");
    assert_eq!(last["choices"][0]["finish_reason"], "error");
    assert_eq!(
        sse.data.iter().filter(|c| c.get("error").is_some()).count(),
        1
    );
}

#[tokio::test]
async fn keep_alive_comments_while_waiting_and_generation_record() {
    let (server, _emulator) = TestServer::with_emulator(|c| {
        c.stream_keep_alive_ms = 50;
        c.stream_commit_ms = 0;
    })
    .await;
    let api = server.api();
    let (user, key) = key_for(&api).await;
    let body = json!({ "model": "openai/gpt-4o-mini", "stream": true,
        "messages": [{ "role": "user", "content": "[[emulator: ttft-ms=400]] slow start" }] });
    let response = api
        .request(Method::POST, "/api/v1/chat/completions", Some(&key))
        .header("HTTP-Referer", "https://app.example")
        .header("X-Title", "Example App")
        .json(&body)
        .send()
        .await
        .unwrap();
    let generation = response.headers()["x-generation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let sse = Sse::parse(&response.text().await.unwrap());
    assert!(
        sse.comments
            .iter()
            .filter(|c| *c == "OPENROUTER PROCESSING")
            .count()
            >= 2,
        "{}",
        sse.raw
    );
    assert!(sse.done);

    let record = api
        .get(&format!("/api/v1/generation?id={generation}"), Some(&key))
        .await;
    let data = record.expect(200)["data"].clone();
    assert_eq!(data["id"], generation.as_str());
    assert_eq!(data["model"], "openai/gpt-4o-mini");
    assert_eq!(data["provider_name"], "OpenAI");
    assert_eq!(data["streamed"], true);
    assert_eq!(data["cancelled"], false);
    assert_eq!(data["finish_reason"], "stop");
    assert_eq!(data["http_referer"], "https://app.example");
    assert!(data["latency"].as_i64().unwrap() >= 400, "{data}");
    assert!(
        data["tokens_prompt"].as_i64().unwrap() > 0
            && data["tokens_completion"].as_i64().unwrap() > 0
    );
    assert!(data["total_cost"].as_f64().unwrap() > 0.0);
    assert_eq!(data["provider_responses"][0]["status"], 200);
    // The request's id (generated: the request sent none) and the status it was answered with.
    assert!(
        data["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_")),
        "{data}"
    );
    assert_eq!(data["status"], 200);
    assert_eq!(data["byok_fee"], 0.0);
    // Visible to the owning organization's session too, but to nobody else.
    api.get(
        &format!("/api/v1/generation?id={generation}"),
        Some(&user.token),
    )
    .await
    .expect(200);
    let stranger = api.signup(&email("stranger")).await;
    let (stranger_key, _) = api
        .create_key(&stranger, None, json!({ "name": "s" }))
        .await;
    api.get(
        &format!("/api/v1/generation?id={generation}"),
        Some(&stranger_key),
    )
    .await
    .expect_error(404);
    api.get(
        &format!("/api/v1/generation?id={generation}"),
        Some(&stranger.token),
    )
    .await
    .expect_error(404);
    api.get("/api/v1/generation", Some(&key))
        .await
        .expect_error(400);

    // The key's usage grew by the generation's cost.
    let current = api.get("/api/v1/key", Some(&key)).await;
    assert_eq!(current.expect(200)["data"]["usage"], data["total_cost"]);
}

#[tokio::test]
async fn client_disconnect_aborts_upstream_and_is_billed() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api).await;
    let body = json!({ "model": "openai/gpt-4o-mini", "stream": true,
        "messages": [{ "role": "user", "content": "[[emulator: chunks=200 chunk-delay-ms=20]] a long answer" }] });
    let response = api
        .request(Method::POST, "/api/v1/chat/completions", Some(&key))
        .json(&body)
        .send()
        .await
        .unwrap();
    let generation = response.headers()["x-generation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut stream = response.bytes_stream();
    let mut seen = 0;
    while let Some(chunk) = stream.next().await {
        seen += chunk.unwrap().len();
        if seen > 600 {
            break;
        }
    }
    drop(stream);
    let mut aborted = false;
    for _ in 0..100 {
        if emulator.stats().streams_aborted == 1 {
            aborted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        aborted,
        "the upstream stream was not aborted: {:?}",
        emulator.stats()
    );
    let record = api
        .get(&format!("/api/v1/generation?id={generation}"), Some(&key))
        .await;
    let data = record.expect(200)["data"].clone();
    assert_eq!(data["cancelled"], true, "{data}");
    assert!(
        data["tokens_completion"].as_i64().unwrap() > 0,
        "what was generated is billed: {data}"
    );
    assert!(data["total_cost"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn catalog_endpoints() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let models = api.get("/api/v1/models", None).await;
    let models = models.expect(200).clone();
    let list = models["data"].as_array().unwrap();
    assert!(list.len() >= 30, "{}", list.len());
    let mini = list
        .iter()
        .find(|m| m["id"] == "openai/gpt-4o-mini")
        .unwrap();
    assert_eq!(mini["pricing"]["prompt"], "0.00000015");
    for key in [
        "id",
        "canonical_slug",
        "name",
        "created",
        "context_length",
        "architecture",
        "pricing",
        "top_provider",
        "per_request_limits",
        "supported_parameters",
    ] {
        assert!(mini.get(key).is_some(), "model lacks {key}");
    }
    let endpoints = api
        .get(
            "/api/v1/models/meta-llama/llama-3.3-70b-instruct/endpoints",
            None,
        )
        .await;
    let endpoints = endpoints.expect(200).clone();
    assert!(endpoints["data"]["endpoints"].as_array().unwrap().len() >= 2);
    api.get("/api/v1/models/nobody/nothing/endpoints", None)
        .await
        .expect_error(404);
    let providers = api.get("/api/v1/providers", None).await;
    assert!(providers.expect(200)["data"].as_array().unwrap().len() >= 8);
}

#[tokio::test]
async fn legacy_completions_work_through_every_protocol() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api).await;
    for model in [
        "openai/gpt-4o-mini",
        "anthropic/claude-haiku-4.5",
        "google/gemini-2.5-flash",
    ] {
        let reply = api
            .post(
                "/api/v1/completions",
                Some(&key),
                json!({ "model": model, "prompt": "Once upon a time" }),
            )
            .await;
        let body = reply.expect(200).clone();
        assert_eq!(body["object"], "text_completion", "{body}");
        assert_eq!(body["choices"][0]["text"], "You said: Once upon a time");
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        assert!(body["usage"]["cost"].as_f64().unwrap() > 0.0);
        assert!(body["id"].as_str().unwrap().starts_with("gen-"));
    }
    let response = api
        .request(Method::POST, "/api/v1/completions", Some(&key))
        .json(&json!({ "model": "openai/gpt-4o-mini", "prompt": "Stream it", "stream": true }))
        .send()
        .await
        .unwrap();
    let sse = Sse::parse(&response.text().await.unwrap());
    assert!(sse.done);
    assert!(
        sse.data.iter().all(|c| c["object"] == "text_completion"),
        "{}",
        sse.raw
    );
    let text: String = sse
        .data
        .iter()
        .filter_map(|c| c["choices"][0]["text"].as_str())
        .collect();
    assert_eq!(text, "You said: Stream it");
    assert!(
        sse.data.last().unwrap()["usage"]["total_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    for (prompt, field) in [(json!([[1, 2, 3]]), "prompt"), (json!(42), "prompt")] {
        let message = api
            .post(
                "/api/v1/completions",
                Some(&key),
                json!({ "model": "openai/gpt-4o-mini", "prompt": prompt }),
            )
            .await
            .expect_error(400);
        assert!(message.contains(field), "{message}");
    }
}

#[tokio::test]
async fn embeddings_with_usage_and_cost() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api).await;
    let reply = api
        .post("/api/v1/embeddings", Some(&key), json!({ "model": "openai/text-embedding-3-small", "input": ["first text", "second text"] }))
        .await;
    let body = reply.expect(200).clone();
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "openai/text-embedding-3-small");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][1]["index"], 1);
    assert!(body["data"][0]["embedding"].as_array().unwrap().len() > 8);
    assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(body["usage"]["cost"].as_f64().unwrap() > 0.0);
    assert_eq!(
        emulator.requests().last().unwrap().body["model"],
        "text-embedding-3-small"
    );
    let b64 = api
        .post("/api/v1/embeddings", Some(&key), json!({ "model": "openai/text-embedding-3-small", "input": "x", "encoding_format": "base64" }))
        .await;
    assert!(b64.expect(200)["data"][0]["embedding"].is_string());
    // A chat-only provider protocol cannot embed: refused with the reason.
    api.post(
        "/api/v1/embeddings",
        Some(&key),
        json!({ "model": "anthropic/claude-haiku-4.5", "input": "x" }),
    )
    .await
    .expect_error(400);
    api.post(
        "/api/v1/embeddings",
        Some(&key),
        json!({ "model": "openai/text-embedding-3-small", "input": [] }),
    )
    .await
    .expect_error(400);
    api.post(
        "/api/v1/embeddings",
        Some(&key),
        json!({ "model": "openai/text-embedding-3-small" }),
    )
    .await
    .expect_error(400);
}
