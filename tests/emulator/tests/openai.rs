//! OpenAI protocol: shapes checked against tests/fixtures/openai.

mod common;

use base64::Engine;
use common::*;
use provider_emulator::tokens;
use serde_json::{Value, json};

async fn post(
    emu: &provider_emulator::RunningEmulator,
    path: &str,
    body: Value,
) -> reqwest::Response {
    client()
        .post(format!("{}{path}", emu.openai_base()))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .expect("request")
}

fn weather_tool() -> Value {
    fixture_json("openai/chat_tool_call_recorded.json")["request"]["body"]["tools"].clone()
}

#[tokio::test]
async fn nonstream_matches_spec_example() {
    let emu = start();
    let fixture = fixture_json("openai/chat_nonstream_basic.json");
    let response = post(
        &emu,
        "/chat/completions",
        fixture["request"]["body"].clone(),
    )
    .await;
    assert_eq!(response.status(), 200);
    for header in [
        "x-request-id",
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-requests",
        "openai-version",
    ] {
        assert!(
            response.headers().contains_key(header),
            "missing header {header}"
        );
    }
    let body: Value = response.json().await.unwrap();
    assert_keys(&fixture["response"]["body"], &body, &[]);
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "VAR_chat_model_id");
    let content = "[You are a helpful assistant.] You said: Hello!";
    assert_eq!(body["choices"][0]["message"]["content"], content);
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let prompt = tokens::count("You are a helpful assistant.") + tokens::count("Hello!");
    assert_eq!(body["usage"]["prompt_tokens"], prompt);
    assert_eq!(body["usage"]["completion_tokens"], tokens::count(content));
    assert_eq!(
        body["usage"]["total_tokens"],
        prompt + tokens::count(content)
    );
    assert!(body["system_fingerprint"].is_string());
}

#[tokio::test]
async fn stream_with_usage_follows_recorded_sequence() {
    let emu = start();
    let fixture = fixture_events("openai/chat_stream_text_with_usage.sse", "\n\n");
    let text = post(
        &emu,
        "/chat/completions",
        json!({"model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true},
               "messages": [{"role": "user", "content": "Is it raining in Paris?"}]}),
    )
    .await
    .text()
    .await
    .unwrap();
    let ours = events(&text, "\n\n");
    assert_eq!(ours.last().unwrap().data, "[DONE]");
    assert_eq!(fixture.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = ours[..ours.len() - 1].iter().map(Event::json).collect();
    let expected: Vec<Value> = fixture[..fixture.len() - 1]
        .iter()
        .map(Event::json)
        .collect();
    // role chunk, content chunks, finish chunk, usage chunk: same keys as the recording.
    assert_eq!(keys(&chunks[0]), keys(&expected[0]));
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "", "refusal": null})
    );
    let n = chunks.len();
    for chunk in &chunks[1..n - 2] {
        assert_eq!(keys(chunk), keys(&expected[1]));
        assert_eq!(keys(&chunk["choices"][0]["delta"]), vec!["content"]);
        assert_eq!(chunk["choices"][0]["finish_reason"], Value::Null);
    }
    assert_eq!(chunks[n - 2]["choices"][0]["delta"], json!({}));
    assert_eq!(chunks[n - 2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(keys(&chunks[n - 1]), keys(&expected[expected.len() - 1]));
    assert_eq!(chunks[n - 1]["choices"], json!([]));
    assert_keys(
        &expected[expected.len() - 1]["usage"],
        &chunks[n - 1]["usage"],
        &[],
    );
    let content: String = chunks[1..n - 2]
        .iter()
        .map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(content, "You said: Is it raining in Paris?");
    assert_eq!(
        chunks[n - 1]["usage"]["completion_tokens"],
        tokens::count(&content)
    );
    assert_eq!(
        n - 3,
        tokens::count(&content),
        "one content chunk per token"
    );
    let ids: std::collections::HashSet<&str> =
        chunks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1, "one id across the stream");
}

#[tokio::test]
async fn stream_without_include_usage_has_no_usage() {
    let emu = start();
    let text = post(
        &emu,
        "/chat/completions",
        json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
    .text()
    .await
    .unwrap();
    let evs = events(&text, "\n\n");
    assert_eq!(evs.last().unwrap().data, "[DONE]");
    for e in &evs[..evs.len() - 1] {
        let chunk = e.json();
        assert!(chunk.get("usage").is_none(), "{chunk}");
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn tool_call_nonstream_and_stream() {
    let emu = start();
    let fixture = fixture_json("openai/chat_tool_call_recorded.json");
    let mut request = fixture["request"]["body"].clone();
    let body: Value = post(&emu, "/chat/completions", request.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_keys(&fixture["response"]["body"], &body, &[]);
    let message = &body["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        message["tool_calls"][0]["function"]["name"],
        "GetWeatherArgs"
    );
    assert!(
        message["tool_calls"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("call_")
    );
    let args: Value = serde_json::from_str(
        message["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        args,
        json!({"city": "example", "country": "example", "units": "c"})
    );

    request["stream"] = json!(true);
    let text = post(&emu, "/chat/completions", request)
        .await
        .text()
        .await
        .unwrap();
    let recorded: Vec<Value> = fixture_events("openai/chat_stream_tool_call.sse", "\n\n")
        .iter()
        .filter(|e| e.data != "[DONE]")
        .map(Event::json)
        .collect();
    let evs = events(&text, "\n\n");
    let chunks: Vec<Value> = evs[..evs.len() - 1].iter().map(Event::json).collect();
    let first = &chunks[0]["choices"][0]["delta"];
    assert_eq!(keys(first), keys(&recorded[0]["choices"][0]["delta"]));
    assert_eq!(first["content"], Value::Null);
    assert_eq!(
        keys(&first["tool_calls"][0]),
        vec!["function", "id", "index", "type"]
    );
    assert_eq!(first["tool_calls"][0]["function"]["arguments"], "");
    let n = chunks.len();
    let mut arguments = String::new();
    for chunk in &chunks[1..n - 1] {
        let call = &chunk["choices"][0]["delta"]["tool_calls"][0];
        assert_eq!(
            keys(call),
            keys(&recorded[1]["choices"][0]["delta"]["tool_calls"][0])
        );
        arguments.push_str(call["function"]["arguments"].as_str().unwrap());
    }
    assert_eq!(serde_json::from_str::<Value>(&arguments).unwrap(), args);
    assert_eq!(chunks[n - 1]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(chunks[n - 1]["choices"][0]["delta"], json!({}));
}

#[tokio::test]
async fn tool_result_turn_and_tool_choice_none_answer_in_text() {
    let emu = start();
    let messages = json!([
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "GetWeatherArgs", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
    ]);
    let body: Value = post(
        &emu,
        "/chat/completions",
        json!({"model": "gpt-4o", "messages": messages, "tools": weather_tool()}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "You said: sunny");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let body: Value = post(
        &emu,
        "/chat/completions",
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "tools": weather_tool(), "tool_choice": "none"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(body["choices"][0]["message"].get("tool_calls").is_none());
}

#[tokio::test]
async fn structured_outputs() {
    let emu = start();
    let fixture = fixture_json("openai/chat_json_schema_request_response.json");
    let body: Value = post(
        &emu,
        "/chat/completions",
        fixture["request"]["body"].clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_keys(&fixture["response"]["body"], &body, &[]);
    let parsed: Value =
        serde_json::from_str(body["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(keys(&parsed), vec!["city", "temperature", "units"]);
    assert!(parsed["temperature"].is_number());
    let body: Value = post(
        &emu,
        "/chat/completions",
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let parsed: Value =
        serde_json::from_str(body["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert!(parsed.is_object());
}

#[tokio::test]
async fn max_tokens_truncates_with_length() {
    let emu = start();
    let msgs = json!([{"role": "user", "content": "one two three four five"}]);
    for field in ["max_tokens", "max_completion_tokens"] {
        let body: Value = post(
            &emu,
            "/chat/completions",
            json!({"model": "gpt-4o", "messages": msgs, field: 3}),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(body["choices"][0]["message"]["content"], "You said:");
        assert_eq!(body["choices"][0]["finish_reason"], "length");
        assert_eq!(body["usage"]["completion_tokens"], 3);
    }
    let text = post(
        &emu,
        "/chat/completions",
        json!({"model": "gpt-4o", "messages": msgs, "max_tokens": 1, "stream": true}),
    )
    .await
    .text()
    .await
    .unwrap();
    let evs = events(&text, "\n\n");
    assert_eq!(
        evs[evs.len() - 2].json()["choices"][0]["finish_reason"],
        "length"
    );
    let recorded = fixture_events("openai/chat_stream_finish_length.sse", "\n\n");
    assert_eq!(
        evs.len(),
        recorded.len() - 1,
        "role, 1 content, finish, [DONE] (the recording adds usage)"
    );
}

#[tokio::test]
async fn n_choices() {
    let emu = start();
    let body: Value = post(
        &emu,
        "/chat/completions",
        json!({"model": "gpt-4o", "n": 3, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let choices = body["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 3);
    for (i, c) in choices.iter().enumerate() {
        assert_eq!(c["index"], i);
    }
    assert_eq!(
        body["usage"]["completion_tokens"],
        3 * tokens::count("You said: hi")
    );
}

#[tokio::test]
async fn auth_errors_have_all_four_keys() {
    let emu = start();
    let url = format!("{}/chat/completions", emu.openai_base());
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
    let expected = fixture_json("openai/errors.json")["examples"]["401_invalid_api_key"].clone();
    let missing = client().post(&url).json(&body).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(missing.headers().contains_key("x-request-id"));
    let missing: Value = missing.json().await.unwrap();
    assert_eq!(
        keys(&missing["error"]),
        vec!["code", "message", "param", "type"]
    );
    assert_eq!(missing["error"]["code"], Value::Null);
    let wrong = client()
        .post(&url)
        .bearer_auth("sk-wrong-key-123456")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(keys(&wrong["error"]), keys(&expected["body"]["error"]));
    assert_eq!(wrong["error"]["code"], "invalid_api_key");
    assert_eq!(wrong["error"]["type"], "invalid_request_error");
    assert_eq!(wrong["error"]["param"], Value::Null);
    assert!(
        !wrong["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sk-wrong-key-123456"),
        "key is masked"
    );
}

#[tokio::test]
async fn unknown_model_is_404() {
    let emu = start();
    let response = post(
        &emu,
        "/chat/completions",
        json!({"model": "gpt-nonexistent", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    let expected = &fixture_json("openai/errors.json")["examples"]["404_model_not_found"]["body"];
    assert_eq!(&body, expected);
}

#[tokio::test]
async fn legacy_completions() {
    let emu = start();
    let body: Value = post(
        &emu,
        "/completions",
        json!({"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["choices"][0]["text"], "You said: Say this is a test");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        keys(&body["choices"][0]),
        vec!["finish_reason", "index", "logprobs", "text"]
    );
    assert_eq!(body["usage"]["prompt_tokens"], 5);
    let text = post(&emu, "/completions", json!({"model": "gpt-3.5-turbo-instruct", "prompt": "a b c", "max_tokens": 2, "stream": true}))
        .await
        .text()
        .await
        .unwrap();
    let evs = events(&text, "\n\n");
    assert_eq!(evs.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = evs[..evs.len() - 1].iter().map(Event::json).collect();
    let joined: String = chunks
        .iter()
        .map(|c| c["choices"][0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(joined, "You said");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "length"
    );
}

#[tokio::test]
async fn embeddings_float_and_base64() {
    let emu = start();
    let float: Value = post(
        &emu,
        "/embeddings",
        json!({"model": "text-embedding-3-small", "input": ["hello world", "bye"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(float["object"], "list");
    assert_eq!(float["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        keys(&float["data"][0]),
        vec!["embedding", "index", "object"]
    );
    let v: Vec<f64> = float["data"][0]["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(v.len(), 1536);
    let norm: f64 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "unit vector, got {norm}");
    assert_eq!(float["usage"]["prompt_tokens"], 3);
    let b64: Value = post(&emu, "/embeddings", json!({"model": "text-embedding-3-small", "input": "hello world", "encoding_format": "base64", "dimensions": 8}))
        .await
        .json()
        .await
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> = bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(decoded.len(), 8);
    let again: Value = post(
        &emu,
        "/embeddings",
        json!({"model": "text-embedding-3-small", "input": "hello world", "dimensions": 8}),
    )
    .await
    .json()
    .await
    .unwrap();
    let floats: Vec<f32> = again["data"][0]["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(
        decoded, floats,
        "deterministic, and base64 carries the same little-endian f32s"
    );
}

#[tokio::test]
async fn models_list() {
    let emu = start();
    let body: Value = client()
        .get(format!("{}/models", emu.openai_base()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["object"], "list");
    assert!(
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "gpt-4o")
    );
    assert_eq!(
        keys(&body["data"][0]),
        vec!["created", "id", "object", "owned_by"]
    );
}
