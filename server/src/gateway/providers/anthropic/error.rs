//! Anthropic error bodies: `{"type":"error","error":{type,message},"request_id"}`,
//! also sent in-band as `event: error` in streams.

use serde_json::Value;

use crate::gateway::error::{ErrorType, UpstreamError, raw_body, retry_after};

use super::PROTOCOL;

fn error_type(kind: &str) -> Option<ErrorType> {
    Some(match kind {
        "invalid_request_error" => ErrorType::InvalidRequest,
        "authentication_error" => ErrorType::Authentication,
        "billing_error" => ErrorType::PaymentRequired,
        "permission_error" => ErrorType::PermissionDenied,
        "not_found_error" => ErrorType::NotFound,
        "request_too_large" => ErrorType::PayloadTooLarge,
        "rate_limit_error" => ErrorType::RateLimitExceeded,
        "api_error" => ErrorType::ProviderUnavailable,
        "timeout_error" => ErrorType::Timeout,
        "overloaded_error" => ErrorType::ProviderOverloaded,
        _ => return None,
    })
}

fn from_body(raw: Value, status: Option<u16>) -> UpstreamError {
    let err = raw.get("error");
    let kind = err
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let ty = kind
        .as_deref()
        .and_then(error_type)
        .or(status.map(ErrorType::from_upstream_status))
        .unwrap_or(ErrorType::ProviderUnavailable);
    let ty = match err.and_then(|e| e.get("message")).and_then(Value::as_str) {
        Some(m) if ty == ErrorType::InvalidRequest && m.contains("prompt is too long") => {
            ErrorType::ContextLengthExceeded
        }
        _ => ty,
    };
    UpstreamError::from_provider_body(PROTOCOL, ty, raw, status, kind)
}

pub(super) fn parse(status: u16, headers: &http::HeaderMap, body: &[u8]) -> UpstreamError {
    let mut e = from_body(raw_body(body), Some(status));
    e.retry_after = retry_after(headers);
    // Anthropic tells its SDKs explicitly whether a retry can help.
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => e.retryable = true,
        Some("false") => e.retryable = false,
        _ => {}
    }
    e
}

pub(super) fn in_stream(data: Value) -> UpstreamError {
    from_body(data, None)
}
