//! Errors in Anthropic's envelope: `{"type":"error","error":{"type":"…_error","message"}}`,
//! the type chosen from the HTTP status as Anthropic does (see fixtures/anthropic/errors.json).

use serde_json::{Value, json};

pub fn type_for(status: u16) -> &'static str {
    match status {
        400 | 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        408 | 504 => "timeout_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        _ => "api_error",
    }
}

/// The error body for `status`; OpenRouter's `metadata` (the provider's raw error, the
/// routing attempts) rides along inside `error` when known.
pub fn body(status: u16, message: &str, metadata: Option<&Value>) -> Value {
    let mut error = json!({"type": type_for(status), "message": message});
    if let Some(metadata) = metadata {
        error["metadata"] = metadata.clone();
    }
    json!({"type": "error", "error": error})
}
