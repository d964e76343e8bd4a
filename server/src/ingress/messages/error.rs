//! Errors in Anthropic's envelope: `{"type":"error","error":{"type":"…_error","message"}}`,
//! the type chosen from the HTTP status as Anthropic does (see fixtures/anthropic/errors.json).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// An error of `POST /messages`, and the data of a stream's `error` event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MessagesErrorBody)]
pub struct ErrorBody {
    /// Always `error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MessagesErrorDetail)]
pub struct ErrorDetail {
    /// `invalid_request_error`, `authentication_error`, `not_found_error`,
    /// `rate_limit_error`, `api_error`, `overloaded_error`...
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
    /// The provider's raw error and the routing attempts (OpenRouter's extra).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

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

/// The error body for `status`; OpenRouter's `metadata` rides along inside `error` when known.
pub fn body(status: u16, message: &str, metadata: Option<&Value>) -> Value {
    let body = ErrorBody {
        kind: "error",
        error: ErrorDetail {
            kind: type_for(status),
            message: message.to_owned(),
            metadata: metadata.cloned(),
        },
    };
    serde_json::to_value(body).expect("serializable error")
}
