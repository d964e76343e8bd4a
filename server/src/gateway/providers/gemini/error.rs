//! Google API error bodies: `{"error":{code,message,status,details[]}}`.

use serde_json::Value;

use crate::gateway::error::{ErrorType, UpstreamError, raw_body, retry_after};

use super::PROTOCOL;

pub(super) fn parse(status: u16, headers: &http::HeaderMap, body: &[u8]) -> UpstreamError {
    let mut e = from_body(raw_body(body), Some(status));
    e.retry_after = retry_after(headers);
    e
}

pub(super) fn from_body(raw: Value, status: Option<u16>) -> UpstreamError {
    let err = raw.get("error");
    let grpc = err.and_then(|e| e.get("status")).and_then(Value::as_str);
    let reason = err
        .and_then(|e| e.get("details"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|d| d.get("reason").and_then(Value::as_str));
    let status = status.or_else(|| {
        err.and_then(|e| e.get("code"))
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok())
    });
    let error_type = match (reason, grpc) {
        // Google answers a bad key with 400, not 401.
        (Some("API_KEY_INVALID"), _) | (_, Some("UNAUTHENTICATED")) => ErrorType::Authentication,
        (_, Some("RESOURCE_EXHAUSTED")) => ErrorType::RateLimitExceeded,
        (_, Some("UNAVAILABLE")) => ErrorType::ProviderOverloaded,
        (_, Some("DEADLINE_EXCEEDED")) => ErrorType::Timeout,
        (_, Some("PERMISSION_DENIED")) => ErrorType::PermissionDenied,
        (_, Some("NOT_FOUND")) => ErrorType::NotFound,
        _ => status
            .map(ErrorType::from_upstream_status)
            .unwrap_or(ErrorType::ProviderUnavailable),
    };
    let code = reason.or(grpc).map(str::to_string);
    UpstreamError::from_provider_body(PROTOCOL, error_type, raw, status, code)
}
