//! Typed gateway errors: request translation failures and upstream errors (reported to
//! clients through the table in [`super::failure`]).

use std::time::Duration;

use serde_json::{Value, json};

use super::failure::{Failure, Reported};

/// A canonical request an adapter cannot express for its upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("{provider} does not support {feature}")]
    Unsupported {
        provider: &'static str,
        feature: String,
    },
}

impl TranslateError {
    /// Both are the client's fault.
    pub fn status(&self) -> u16 {
        400
    }
}

/// OpenRouter's `error.metadata.error_type` values that upstream failures map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    ContextLengthExceeded,
    Authentication,
    PermissionDenied,
    PaymentRequired,
    RateLimitExceeded,
    ProviderOverloaded,
    ProviderUnavailable,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    ContentPolicyViolation,
    Server,
    Timeout,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::ContextLengthExceeded => "context_length_exceeded",
            ErrorType::Authentication => "authentication",
            ErrorType::PermissionDenied => "permission_denied",
            ErrorType::PaymentRequired => "payment_required",
            ErrorType::RateLimitExceeded => "rate_limit_exceeded",
            ErrorType::ProviderOverloaded => "provider_overloaded",
            ErrorType::ProviderUnavailable => "provider_unavailable",
            ErrorType::InvalidRequest => "invalid_request",
            ErrorType::NotFound => "not_found",
            ErrorType::PayloadTooLarge => "payload_too_large",
            ErrorType::Unprocessable => "unprocessable",
            ErrorType::ContentPolicyViolation => "content_policy_violation",
            ErrorType::Server => "server",
            ErrorType::Timeout => "timeout",
        }
    }

    /// The type implied by an upstream HTTP status alone.
    pub fn from_upstream_status(status: u16) -> Self {
        match status {
            401 => ErrorType::Authentication,
            402 => ErrorType::PaymentRequired,
            403 => ErrorType::PermissionDenied,
            404 => ErrorType::NotFound,
            408 | 504 | 524 => ErrorType::Timeout,
            413 => ErrorType::PayloadTooLarge,
            422 => ErrorType::Unprocessable,
            429 => ErrorType::RateLimitExceeded,
            503 | 529 => ErrorType::ProviderOverloaded,
            400..=499 => ErrorType::InvalidRequest,
            _ => ErrorType::ProviderUnavailable,
        }
    }
}

/// An error reported by (or about) an upstream provider.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{protocol} upstream error ({status}): {message}")]
pub struct UpstreamError {
    /// Wire protocol of the adapter that produced it (`openai`, ...).
    pub protocol: &'static str,
    /// The upstream's HTTP status; `None` for in-band stream errors and for
    /// bodies we could not understand.
    pub upstream_status: Option<u16>,
    /// The status our client sees.
    pub status: u16,
    pub error_type: ErrorType,
    pub message: String,
    /// The provider's own code or type string, e.g. `overloaded_error`.
    pub provider_code: Option<String>,
    /// Worth trying again (same or another endpoint).
    pub retryable: bool,
    pub retry_after: Option<Duration>,
    /// The provider's raw error body (parsed JSON, or a string if not JSON).
    pub raw: Option<Value>,
}

impl UpstreamError {
    /// An error classified by type; status and retryability follow from it.
    pub fn new(protocol: &'static str, error_type: ErrorType, message: impl Into<String>) -> Self {
        UpstreamError {
            protocol,
            upstream_status: None,
            status: error_type.http_status(),
            error_type,
            message: message.into(),
            provider_code: None,
            retryable: matches!(
                error_type,
                ErrorType::RateLimitExceeded
                    | ErrorType::ProviderOverloaded
                    | ErrorType::ProviderUnavailable
                    | ErrorType::Server
                    | ErrorType::Timeout
            ),
            retry_after: None,
            raw: None,
        }
    }

    /// A provider's error body, classified by its adapter: the message is the body's
    /// `error.message` (else the HTTP status is named), and the raw body is kept for metadata.
    pub fn from_provider_body(
        protocol: &'static str,
        error_type: ErrorType,
        raw: Value,
        status: Option<u16>,
        provider_code: Option<String>,
    ) -> Self {
        let message = raw
            .get("error")
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("upstream returned HTTP {}", status.unwrap_or(0)));
        let mut e = UpstreamError::new(protocol, error_type, message);
        e.upstream_status = status;
        e.provider_code = provider_code;
        e.raw = Some(raw);
        e
    }

    /// An upstream body that is not what the protocol promises.
    pub fn malformed(protocol: &'static str, what: impl std::fmt::Display) -> Self {
        UpstreamError::new(
            protocol,
            ErrorType::ProviderUnavailable,
            format!("invalid upstream response: {what}"),
        )
    }

    /// The body of an in-band error: `{"error":{"code":<status>,"message":...,"metadata":{...}}}`.
    pub fn to_body(&self) -> Value {
        json!({ "error": self.error_object() })
    }

    /// The inner `error` object of an in-band error chunk (see [`super::failure`]).
    pub fn error_object(&self) -> Value {
        Failure::of(self, None, None, Reported::InBand).error_object()
    }
}

/// Parses a raw body as JSON, keeping it as a string when it is not.
pub(crate) fn raw_body(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// `Retry-After` (delta-seconds) or the non-standard `retry-after-ms`.
/// HTTP-date values are ignored: no provider in our fixtures sends them.
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_millis(ms));
    }
    get("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping_follows_openrouter_table() {
        assert_eq!(ErrorType::from_upstream_status(529).http_status(), 503);
        assert_eq!(ErrorType::from_upstream_status(500).http_status(), 502);
        assert_eq!(ErrorType::from_upstream_status(418).http_status(), 400);
        assert_eq!(ErrorType::from_upstream_status(524).http_status(), 504);
    }

    #[test]
    fn body_shape() {
        let mut e = UpstreamError::new("openai", ErrorType::RateLimitExceeded, "slow down");
        e.provider_code = Some("rate_limit_exceeded".into());
        e.raw = Some(json!({"error": {"message": "x"}}));
        let b = e.to_body();
        assert_eq!(b["error"]["code"], 429);
        assert_eq!(b["error"]["message"], "slow down");
        assert_eq!(b["error"]["metadata"]["error_type"], "rate_limit_exceeded");
        assert_eq!(b["error"]["metadata"]["raw"]["error"]["message"], "x");
        assert!(e.retryable);
    }

    #[test]
    fn retry_after_headers() {
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "20".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(20)));
        h.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
    }
}
