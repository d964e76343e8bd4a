//! OpenAI error bodies: `{"error":{message,type,param,code}}`.

use crate::gateway::error::{ErrorType, UpstreamError, raw_body, retry_after};

use super::PROTOCOL;

pub(super) fn parse(status: u16, headers: &http::HeaderMap, body: &[u8]) -> UpstreamError {
    let raw = raw_body(body);
    let err = raw.get("error");
    let text = |k: &str| err.and_then(|e| e.get(k)).and_then(|v| v.as_str());
    let code = text("code").or(text("type")).map(str::to_string);
    let error_type = match code.as_deref() {
        Some("context_length_exceeded") => ErrorType::ContextLengthExceeded,
        // Out of quota on our provider account is not the client's 429.
        Some("insufficient_quota") => ErrorType::ProviderUnavailable,
        Some("content_filter" | "content_policy_violation") => ErrorType::ContentPolicyViolation,
        _ => ErrorType::from_upstream_status(status),
    };
    let mut e = UpstreamError::from_provider_body(PROTOCOL, error_type, raw, Some(status), code);
    e.retry_after = retry_after(headers);
    e
}

/// An error object sent inside a 200 stream.
pub(super) fn in_stream(error: &serde_json::Value) -> UpstreamError {
    let text = |k: &str| error.get(k).and_then(|v| v.as_str());
    let code = text("code").or(text("type")).map(str::to_string);
    let error_type = match code.as_deref() {
        Some("rate_limit_exceeded") => ErrorType::RateLimitExceeded,
        Some("context_length_exceeded") => ErrorType::ContextLengthExceeded,
        _ => ErrorType::ProviderUnavailable,
    };
    let mut e = UpstreamError::new(
        PROTOCOL,
        error_type,
        text("message").unwrap_or("upstream stream error"),
    );
    e.provider_code = code;
    e.raw = Some(serde_json::json!({ "error": error }));
    e
}
