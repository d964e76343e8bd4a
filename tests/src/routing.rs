//! Helpers shared by the routing end-to-end tests (tests/tests/routing*.rs): requests with
//! a `provider` object and the `X-OpenRouter-Metadata` view of the decision.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{Api, Reply, User, email};

pub const LLAMA: &str = "meta-llama/llama-3.3-70b-instruct";

pub fn ask(model: &str, text: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": text }] })
}

pub fn with_provider(model: &str, provider: Value) -> Value {
    let mut body = ask(model, "Hello");
    body["provider"] = provider;
    body
}

pub async fn key_for(api: &Api, name: &str) -> (User, String) {
    let user = api.signup(&email(name)).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": name })).await;
    (user, key)
}

/// A chat completion with the routing metadata turned on.
pub async fn routed(api: &Api, key: &str, body: Value) -> Reply {
    let request = api
        .request(Method::POST, "/api/v1/chat/completions", Some(key))
        .header("X-OpenRouter-Metadata", "enabled")
        .json(&body);
    api.send(request).await
}

pub fn available(body: &Value) -> Vec<String> {
    body["openrouter_metadata"]["endpoints"]["available"]
        .as_array()
        .unwrap_or_else(|| panic!("no metadata: {body}"))
        .iter()
        .map(|e| e["provider"].as_str().unwrap().to_owned())
        .collect()
}

pub fn filtered_reason(body: &Value, provider: &str) -> Option<String> {
    body["openrouter_metadata"]["filtered"]
        .as_array()?
        .iter()
        .find(|f| f["provider"] == provider)
        .map(|f| f["reason"].as_str().unwrap().to_owned())
}
