//! Errors in the Responses API's shape: `{"error":{"message","type","param","code"}}`, as the
//! OpenAI SDKs read them, with OpenRouter's `metadata` (the provider's raw error) when known.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// An error of `POST /responses`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResponsesErrorBody)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResponsesErrorDetail)]
pub struct ErrorDetail {
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`...
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The request field at fault, when known.
    pub param: Option<String>,
    /// `invalid_api_key`, `model_not_found`, `rate_limit_exceeded`, `server_error`...
    pub code: &'static str,
    /// The provider's raw error and the routing attempts (OpenRouter's extra).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

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
    let body = ErrorBody {
        error: ErrorDetail {
            message: message.to_owned(),
            kind: type_for(status),
            param: param.map(str::to_owned),
            code: code_for(status),
            metadata: metadata.cloned(),
        },
    };
    serde_json::to_value(body).expect("serializable error")
}
