//! Errors in the Responses API's shape: `{"error":{"message","type","param","code"}}`, as the
//! OpenAI SDKs read them, with OpenRouter's `metadata` (the provider's raw error) when known.

use serde_json::{Value, json};

/// OpenAI's string code for an HTTP status.
pub fn code_for(status: u16) -> &'static str {
    match status {
        400 | 413 | 422 => "invalid_request_error",
        401 => "invalid_api_key",
        402 => "insufficient_quota",
        403 => "permission_denied",
        404 => "model_not_found",
        408 => "timeout",
        429 => "rate_limit_exceeded",
        _ => "server_error",
    }
}

/// OpenAI's error `type` for an HTTP status.
fn type_for(status: u16) -> &'static str {
    match status {
        400 | 404 | 413 | 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "insufficient_quota",
        403 => "permission_error",
        429 => "rate_limit_error",
        _ => "server_error",
    }
}

/// The error body for `status`. `param` names the field at fault when the message starts
/// with it (`store: ...`, `input[2].role: ...`).
pub fn body(status: u16, message: &str, metadata: Option<&Value>) -> Value {
    let param = message
        .split_once(':')
        .map(|(head, _)| head)
        .filter(|head| {
            !head.is_empty()
                && head
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
        });
    let mut error = json!({
        "message": message,
        "type": type_for(status),
        "param": param,
        "code": code_for(status),
    });
    if let Some(metadata) = metadata {
        error["metadata"] = metadata.clone();
    }
    json!({ "error": error })
}
