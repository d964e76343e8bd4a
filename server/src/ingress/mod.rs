//! Ingress protocols other than chat completions: the OpenAI Responses API
//! (`POST /api/v1/responses`) and the Anthropic Messages API (`POST /api/v1/messages`).
//!
//! Each is a thin translation, data-driven and network-free: the ingress body becomes the
//! canonical [`ChatRequest`](crate::gateway::types::ChatRequest), the inference service serves
//! it like any chat request, and the canonical whole response or chunk stream is rendered back
//! in the ingress protocol (a [`StreamRenderer`](crate::gateway::relay::StreamRenderer) per
//! stream). Errors leave in each protocol's own envelope.

pub mod messages;
pub mod responses;
#[cfg(test)]
mod schema_tests;

use bytes::Bytes;
use serde::Serialize;

/// A request the ingress cannot translate; answered with 400 naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRequest(pub String);

impl InvalidRequest {
    pub fn new(message: impl Into<String>) -> Self {
        InvalidRequest(message.into())
    }
}

/// `event: <name>\ndata: <json>\n\n`: both protocols name every event.
pub(crate) fn event<T: Serialize>(name: &str, data: &T) -> Bytes {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(b"event: ");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\ndata: ");
    // Our own values: string keys, no NaN, so serialization cannot fail.
    serde_json::to_writer(&mut buf, data).expect("serializable event");
    buf.extend_from_slice(b"\n\n");
    Bytes::from(buf)
}

/// The message of a canonical error chunk's `error` object, and its numeric code.
pub(crate) fn chunk_error(error: Option<&serde_json::Value>) -> (u16, String) {
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(serde_json::Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(502);
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("Provider returned error")
        .to_owned();
    (code, message)
}

/// What the ingress request schemas state that utoipa's derive cannot: a Responses `input`
/// list must hold an item that becomes a message (reasoning items alone leave the
/// conversation empty, which is refused), and a Messages user turn's blocks cannot be empty
/// (nothing would remain of the turn).
pub(crate) fn document_rules(doc: &mut serde_json::Value) {
    use serde_json::json;
    let schemas = &mut doc["components"]["schemas"];
    fn forms(schema: &mut serde_json::Value) -> impl Iterator<Item = &mut serde_json::Value> {
        schema["oneOf"]
            .as_array_mut()
            .into_iter()
            .flatten()
            .filter(|f| f["type"] == "array")
    }
    for list in forms(&mut schemas["ResponsesInput"]) {
        list["minItems"] = json!(1);
        list["contains"] = json!({ "anyOf": [
            { "$ref": "#/components/schemas/ResponsesInputMessage" },
            { "$ref": "#/components/schemas/ResponsesFunctionCallInput" },
            { "$ref": "#/components/schemas/ResponsesFunctionCallOutput" },
        ] });
    }
    for list in forms(&mut schemas["MessagesUserContent"]) {
        list["minItems"] = json!(1);
    }
}
