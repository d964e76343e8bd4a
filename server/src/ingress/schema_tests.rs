//! The documented request schemas of `POST /responses` and `POST /messages` and the parsers
//! they describe agree: on each fixture, the schema accepts exactly when the server's checks
//! before routing (JSON parsing, translation, the gateway's own validation) accept. A rule the
//! parser gains without the schema saying so, or a schema that admits what the parser refuses,
//! fails here.

use serde_json::{Value, json};

use crate::api::json;
use crate::inference::admission::validate_chat;

fn schema_of(path: &str) -> jsonschema::Validator {
    let doc = crate::api::openapi::ApiSpec::new(
        &crate::api::document(),
        &crate::config::Config::default(),
    )
    .json;
    let mut root = json!({ "components": doc["components"].clone() });
    let schema =
        &doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{path}: no request schema");
    for (key, value) in schema.as_object().unwrap() {
        root[key] = value.clone();
    }
    jsonschema::draft202012::new(&root).expect("a valid schema")
}

fn responses_accepts(body: &Value) -> Result<(), String> {
    let request: super::responses::ResponsesRequest =
        json::parse(body.to_string().as_bytes()).map_err(|e| e.to_string())?;
    let chat = super::responses::to_chat(&request).map_err(|e| e.to_string())?;
    validate_chat(&chat).map_err(|e| format!("{e:?}"))
}

fn messages_accepts(body: &Value) -> Result<(), String> {
    let request: super::messages::MessagesRequest =
        json::parse(body.to_string().as_bytes()).map_err(|e| e.to_string())?;
    let chat = super::messages::to_chat(&request).map_err(|e| e.to_string())?;
    validate_chat(&chat).map_err(|e| format!("{e:?}"))
}

fn agree(path: &str, parser: fn(&Value) -> Result<(), String>, valid: &[Value], invalid: &[Value]) {
    let schema = schema_of(path);
    for body in valid {
        let errors: Vec<String> = schema.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{path}: the schema refuses {body}: {errors:?}"
        );
        if let Err(e) = parser(body) {
            panic!("{path}: the parser refuses {body}: {e}");
        }
    }
    for body in invalid {
        assert!(!schema.is_valid(body), "{path}: the schema admits {body}");
        assert!(parser(body).is_err(), "{path}: the parser admits {body}");
    }
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut body = base.clone();
    body[key] = value;
    body
}

#[test]
fn responses_schema_and_parser_agree() {
    let base = json!({ "model": "openai/gpt-4o", "input": "Hello" });
    let items = json!([
        { "role": "system", "content": "Be brief" },
        { "type": "message", "role": "developer", "content": null },
        { "role": "user", "content": [
            { "type": "input_text", "text": "What is this?", "cache_control": { "type": "ephemeral" } },
            { "type": "input_image", "image_url": "https://example.com/a.png", "detail": "low" },
            { "type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,AA==" },
        ] },
        { "type": "reasoning", "id": "rs_1", "summary": [{ "type": "summary_text", "text": "hm" }],
          "encrypted_content": "abc" },
        { "role": "assistant", "content": [
            { "type": "output_text", "text": "Let me look" }, { "type": "refusal", "refusal": "no" }] },
        { "type": "function_call", "call_id": "c1", "name": "look", "arguments": "{}" },
        { "type": "function_call_output", "call_id": "c1", "output": "sunny" },
        { "type": "function_call_output", "call_id": "c1",
          "output": [{ "type": "input_text", "text": "sunny" }] },
    ]);
    let valid = [
        base.clone(),
        json!({ "models": ["openai/gpt-4o"], "model": "x", "input": "" }),
        with(&base, "input", items.clone()),
        with(&base, "max_output_tokens", json!(1)),
        with(&base, "max_output_tokens", json!(4_294_967_295_u64)),
        with(&base, "temperature", json!(2)),
        with(&base, "top_p", json!(0)),
        with(&base, "store", json!(false)),
        with(&base, "store", Value::Null),
        with(&base, "previous_response_id", Value::Null),
        with(
            &base,
            "tools",
            json!([{ "type": "function", "name": "look", "parameters": { "type": "object" },
                "strict": true }, { "type": "web_search" }]),
        ),
        with(&base, "tool_choice", json!("required")),
        with(
            &base,
            "tool_choice",
            json!({ "type": "function", "name": "look" }),
        ),
        with(&base, "tool_choice", json!({ "type": "none" })),
        with(&base, "text", json!({ "format": { "type": "text" } })),
        with(
            &base,
            "text",
            json!({ "format": { "type": "json_object" } }),
        ),
        with(
            &base,
            "text",
            json!({ "format": { "type": "json_schema", "name": "x", "schema": { "type": "object" },
                "strict": true } }),
        ),
        with(&base, "text", json!({})),
        with(
            &base,
            "reasoning",
            json!({ "effort": "high", "summary": "auto", "max_tokens": 100, "exclude": false }),
        ),
        with(&base, "metadata", json!({ "a": "b" })),
        with(&base, "stream", json!(true)),
        with(&base, "include", json!(["reasoning.encrypted_content"])),
    ];
    let invalid = [
        json!({ "input": "Hello" }),
        json!({ "model": " ", "input": "Hello" }),
        json!({ "model": "m" }),
        json!({ "model": "m", "input": [] }),
        json!({ "model": "m", "input": [{ "type": "reasoning", "summary": [] }] }),
        json!("Hello"),
        with(&base, "max_output_tokens", json!(0)),
        with(&base, "max_output_tokens", json!(-1)),
        with(&base, "max_output_tokens", json!(4_294_967_296_u64)),
        with(&base, "temperature", json!(2.5)),
        with(&base, "top_p", json!(-0.1)),
        with(&base, "store", json!(true)),
        with(&base, "previous_response_id", json!("resp_1")),
        with(
            &base,
            "input",
            json!([{ "role": "robot", "content": "hi" }]),
        ),
        with(&base, "input", json!([{ "content": "hi" }])),
        with(
            &base,
            "input",
            json!([{ "type": "item_reference", "id": "x" }]),
        ),
        with(&base, "input", json!([{ "role": "user", "content": 3 }])),
        with(
            &base,
            "input",
            json!([{ "role": "user", "content": [{ "type": "input_audio" }] }]),
        ),
        with(
            &base,
            "input",
            json!([{ "role": "user", "content": [{ "type": "input_image", "file_id": "f" }] }]),
        ),
        with(
            &base,
            "input",
            json!([{ "type": "function_call", "name": "x" }]),
        ),
        with(&base, "input", json!([{ "type": "function_call_output" }])),
        with(&base, "tools", json!([{ "type": "function" }])),
        with(&base, "tool_choice", json!({ "type": "function" })),
        with(&base, "tool_choice", json!(3)),
        with(&base, "text", json!({ "format": { "type": "xml" } })),
        with(&base, "reasoning", json!({ "max_tokens": -1 })),
        with(&base, "stream", json!("yes")),
    ];
    agree("/api/v1/responses", responses_accepts, &valid, &invalid);
}

#[test]
fn messages_schema_and_parser_agree() {
    let base = json!({ "model": "anthropic/claude-sonnet-4.5", "max_tokens": 100,
        "messages": [{ "role": "user", "content": "Hello" }] });
    let image = json!({ "type": "image", "source": { "type": "base64", "media_type": "image/png",
        "data": "AA==" } });
    let document = json!({ "type": "document", "title": "t",
        "source": { "type": "text", "data": "plain" } });
    let turns = json!([
        { "role": "user", "content": [
            { "type": "text", "text": "Look", "cache_control": { "type": "ephemeral" } },
            image, document,
            { "type": "image", "source": { "type": "url", "url": "https://example.com/a.png" } }] },
        { "role": "assistant", "content": [
            { "type": "thinking", "thinking": "hm", "signature": "sig" },
            { "type": "redacted_thinking", "data": "xyz" },
            { "type": "text", "text": "Calling" },
            { "type": "tool_use", "id": "t1", "name": "look", "input": { "a": 1 } }] },
        { "role": "user", "content": [
            { "type": "tool_result", "tool_use_id": "t1", "content": "sunny", "is_error": false },
            { "type": "tool_result", "tool_use_id": "t1", "content": [{ "type": "text", "text": "x" }] }] },
        { "role": "system", "content": "Be brief" },
        { "role": "assistant", "content": [] },
    ]);
    let valid = [
        base.clone(),
        json!({ "models": ["a/b"], "model": "x", "messages": [{ "role": "user", "content": "" }] }),
        with(&base, "messages", turns.clone()),
        with(&base, "max_tokens", Value::Null),
        with(&base, "system", json!("Be brief")),
        with(
            &base,
            "system",
            json!([{ "type": "text", "text": "Be brief" }]),
        ),
        with(
            &base,
            "tools",
            json!([{ "name": "look", "description": "d", "input_schema": { "type": "object" } },
                { "type": "custom", "name": "other" },
                { "type": "web_search_20250305", "name": "web_search" }]),
        ),
        with(&base, "tool_choice", json!({ "type": "auto" })),
        with(
            &base,
            "tool_choice",
            json!({ "type": "any", "disable_parallel_tool_use": true }),
        ),
        with(
            &base,
            "tool_choice",
            json!({ "type": "tool", "name": "look" }),
        ),
        with(&base, "tool_choice", json!({ "type": "none" })),
        with(
            &base,
            "thinking",
            json!({ "type": "enabled", "budget_tokens": 1024 }),
        ),
        with(&base, "thinking", json!({ "type": "adaptive" })),
        with(&base, "thinking", json!({ "type": "disabled" })),
        with(&base, "stop_sequences", json!(["END"])),
        with(&base, "metadata", json!({ "user_id": "u1" })),
        with(&base, "temperature", json!(1)),
        with(&base, "top_p", json!(1)),
        with(&base, "top_k", json!(5)),
        with(
            &base,
            "output_format",
            json!({ "type": "json_schema", "schema": { "type": "object" } }),
        ),
        with(&base, "stream", json!(true)),
        with(&base, "service_tier", json!("auto")),
    ];
    let invalid = [
        json!({ "messages": [{ "role": "user", "content": "Hello" }] }),
        json!({ "model": "m", "messages": [] }),
        json!({ "model": "m" }),
        json!({ "model": "m", "messages": [{ "role": "user", "content": [] }] }),
        json!([]),
        with(&base, "max_tokens", json!(0)),
        with(&base, "max_tokens", json!(-5)),
        with(&base, "max_tokens", json!(4_294_967_296_u64)),
        with(&base, "top_k", json!(-1)),
        with(&base, "temperature", json!(3)),
        with(&base, "top_p", json!(1.5)),
        with(
            &base,
            "messages",
            json!([{ "role": "tool", "content": "x" }]),
        ),
        with(&base, "messages", json!([{ "role": "user" }])),
        with(&base, "messages", json!([{ "role": "user", "content": 3 }])),
        with(
            &base,
            "messages",
            json!([{ "role": "user", "content": [{ "type": "tool_use", "id": "t", "name": "n" }] }]),
        ),
        with(
            &base,
            "messages",
            json!([{ "role": "assistant", "content": [{ "type": "tool_result", "tool_use_id": "t" }] }]),
        ),
        with(
            &base,
            "messages",
            json!([{ "role": "user", "content": [{ "type": "tool_result" }] }]),
        ),
        with(
            &base,
            "messages",
            json!([{ "role": "user", "content": [{ "type": "image" }] }]),
        ),
        with(
            &base,
            "messages",
            json!([{ "role": "user", "content": [{ "type": "image", "source": { "type": "file" } }] }]),
        ),
        with(
            &base,
            "messages",
            json!([{ "role": "system", "content": [{ "type": "thinking", "thinking": "x" }] }]),
        ),
        with(&base, "system", json!(3)),
        with(
            &base,
            "system",
            json!([{ "type": "tool_use", "id": "t", "name": "n" }]),
        ),
        with(&base, "tools", json!([{ "description": "no name" }])),
        with(&base, "tools", json!([{ "type": "custom" }])),
        with(&base, "tool_choice", json!("auto")),
        with(&base, "tool_choice", json!({ "type": "tool" })),
        with(&base, "tool_choice", json!({ "type": "some" })),
        with(&base, "thinking", json!({ "budget_tokens": 10 })),
        with(&base, "thinking", json!({ "type": "on" })),
        with(&base, "stop_sequences", json!("END")),
    ];
    agree("/api/v1/messages", messages_accepts, &valid, &invalid);
}
