//! The playground's streaming chat: `POST /api/v1/chat/completions` with `stream: true`,
//! authorized by an API key (the inference API takes keys, not sessions), read chunk by chunk
//! as server-sent events.

use serde_json::{Value, json};

use super::ApiFailure;

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

/// What a finished reply reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplyStats {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// USD as the API wrote it (`usage.cost`).
    pub cost: Option<api_types::Usd>,
    /// Milliseconds from sending to the first content, and to the end.
    pub first_token_ms: Option<f64>,
    pub total_ms: f64,
}

/// The request body.
pub fn request_body(model: &str, messages: &[Message]) -> Value {
    json!({
        "model": model,
        "stream": true,
        "usage": { "include": true },
        "messages": messages
            .iter()
            .map(|m| json!({ "role": m.role, "content": m.content }))
            .collect::<Vec<_>>(),
    })
}

/// Reads the `data:` lines of complete SSE events in `buffer` (consuming them); the rest
/// stays for the next read.
pub fn take_events(buffer: &mut String) -> Vec<String> {
    let mut events = Vec::new();
    while let Some(end) = buffer.find("\n\n") {
        let event: String = buffer.drain(..end + 2).collect();
        let data: Vec<&str> = event
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim_start)
            .collect();
        if !data.is_empty() {
            events.push(data.join("\n"));
        }
    }
    events
}

/// Applies one chunk: the text it adds, and the usage it reports.
pub fn apply_chunk(data: &str, stats: &mut ReplyStats) -> Result<Option<String>, ApiFailure> {
    if data == "[DONE]" {
        return Ok(None);
    }
    let chunk: Value = serde_json::from_str(data).map_err(|err| ApiFailure {
        status: 0,
        message: format!("Unreadable chunk: {err}"),
    })?;
    if let Some(error) = chunk.get("error") {
        return Err(ApiFailure {
            status: error["code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(0),
            message: error["message"]
                .as_str()
                .unwrap_or("The stream failed")
                .to_owned(),
        });
    }
    if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
        stats.prompt_tokens = usage["prompt_tokens"].as_u64().unwrap_or(0);
        stats.completion_tokens = usage["completion_tokens"].as_u64().unwrap_or(0);
        stats.cost = usage["cost"]
            .as_f64()
            .or_else(|| usage["cost"].as_str().and_then(|c| c.parse().ok()))
            .map(api_types::Usd::from_f64);
    }
    Ok(chunk["choices"][0]["delta"]["content"]
        .as_str()
        .filter(|text| !text.is_empty())
        .map(str::to_owned))
}

/// Streams a reply, calling `on_text` with each piece as it arrives.
pub async fn stream(
    api_key: &str,
    model: &str,
    messages: &[Message],
    on_text: impl Fn(&str),
) -> Result<ReplyStats, ApiFailure> {
    #[cfg(feature = "hydrate")]
    {
        browser::stream(api_key, model, messages, on_text).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (api_key, model, messages, on_text);
        Err(ApiFailure::not_in_browser())
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use gloo_net::http::Request;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    use super::{ApiFailure, Message, ReplyStats, apply_chunk, request_body, take_events};
    use crate::api::{API_BASE, now_ms};

    fn failed(err: impl std::fmt::Debug) -> ApiFailure {
        ApiFailure {
            status: 0,
            message: format!("The stream broke off: {err:?}"),
        }
    }

    pub async fn stream(
        api_key: &str,
        model: &str,
        messages: &[Message],
        on_text: impl Fn(&str),
    ) -> Result<ReplyStats, ApiFailure> {
        let started = now_ms();
        let response = Request::post(&format!("{API_BASE}/chat/completions"))
            .header("Authorization", &format!("Bearer {api_key}"))
            .header("X-Title", "Switchboard playground")
            .json(&request_body(model, messages))
            .map_err(failed)?
            .send()
            .await
            .map_err(failed)?;
        if !response.ok() {
            return Err(crate::api::browser::failure(response).await);
        }
        let body = response.body().ok_or_else(|| failed("no body"))?;
        let reader: web_sys::ReadableStreamDefaultReader =
            body.get_reader().dyn_into().map_err(failed)?;
        let mut stats = ReplyStats::default();
        let mut buffer = String::new();
        let mut bytes = Vec::new();
        loop {
            let step = JsFuture::from(reader.read()).await.map_err(failed)?;
            let done = js_sys::Reflect::get(&step, &"done".into())
                .map_err(failed)?
                .is_truthy();
            if done {
                break;
            }
            let value = js_sys::Reflect::get(&step, &"value".into()).map_err(failed)?;
            bytes.extend(js_sys::Uint8Array::new(&value).to_vec());
            // Keep an incomplete UTF-8 sequence for the next read.
            let valid = match std::str::from_utf8(&bytes) {
                Ok(text) => text.len(),
                Err(err) => err.valid_up_to(),
            };
            buffer.push_str(std::str::from_utf8(&bytes[..valid]).unwrap_or_default());
            bytes.drain(..valid);
            for data in take_events(&mut buffer) {
                if let Some(text) = apply_chunk(&data, &mut stats)? {
                    if stats.first_token_ms.is_none() {
                        stats.first_token_ms = Some(now_ms() - started);
                    }
                    on_text(&text);
                }
            }
        }
        stats.total_ms = now_ms() - started;
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_and_partial_ones_kept() {
        let mut buffer = String::from(": keep-alive\n\ndata: {\"a\":1}\n\ndata: [DO");
        assert_eq!(take_events(&mut buffer), vec!["{\"a\":1}".to_owned()]);
        assert_eq!(buffer, "data: [DO");
        buffer.push_str("NE]\n\n");
        assert_eq!(take_events(&mut buffer), vec!["[DONE]".to_owned()]);
    }

    #[test]
    fn chunks_give_text_and_usage() {
        let mut stats = ReplyStats::default();
        let text = apply_chunk(r#"{"choices":[{"delta":{"content":"Hi"}}]}"#, &mut stats).unwrap();
        assert_eq!(text.as_deref(), Some("Hi"));
        let usage =
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"cost":0.000012}}"#;
        assert_eq!(apply_chunk(usage, &mut stats).unwrap(), None);
        assert_eq!((stats.prompt_tokens, stats.completion_tokens), (3, 5));
        assert_eq!(stats.cost.map(api_types::Usd::to_nanos), Some(12_000));
        let error = r#"{"error":{"code":402,"message":"Insufficient credit"}}"#;
        assert_eq!(apply_chunk(error, &mut stats).unwrap_err().status, 402);
    }
}
