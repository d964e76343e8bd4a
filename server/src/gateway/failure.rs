//! The one error table: how an upstream failure is reported to our client, as the HTTP
//! response (before a stream began) and as the in-band error chunk (after it began). Both
//! read the same row and build the same `{"code","message","metadata"}` object.

use serde_json::{Map, Value};

use super::error::{ErrorType, UpstreamError};
use super::relay::AttemptRecord;

/// Where a failure is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reported {
    /// As the HTTP response: nothing was sent yet.
    AsResponse,
    /// Inside a stream that already answered 200 (the chunk's envelope names the provider).
    InBand,
}

/// One row of the table.
struct Row {
    /// The status of the HTTP response.
    response: u16,
    /// The `code` of an in-band error chunk: OpenRouter's `error_type_to_http`
    /// (fixtures/openrouter/errors.json).
    in_band: u16,
    /// The deployment's business rather than the caller's (its provider key rejected, the
    /// provider down or confused): the response says "Provider returned error" and keeps the
    /// provider's message in `metadata.upstream_message`.
    generic: bool,
}

const fn row(error_type: ErrorType) -> Row {
    use ErrorType as T;
    let (response, in_band, generic) = match error_type {
        T::ContextLengthExceeded => (400, 400, false),
        T::InvalidRequest => (400, 400, false),
        T::ContentPolicyViolation => (400, 400, false),
        T::Authentication => (502, 401, true),
        T::PaymentRequired => (502, 402, true),
        T::PermissionDenied => (502, 403, true),
        T::NotFound => (502, 404, true),
        T::PayloadTooLarge => (413, 413, false),
        T::Unprocessable => (422, 422, false),
        T::RateLimitExceeded => (429, 429, false),
        T::Server => (502, 500, true),
        T::ProviderUnavailable => (502, 502, true),
        T::ProviderOverloaded => (503, 503, false),
        T::Timeout => (408, 504, false),
    };
    Row {
        response,
        in_band,
        generic,
    }
}

impl ErrorType {
    /// The status OpenRouter reports for this type in band (and as an error's `code`).
    pub const fn http_status(self) -> u16 {
        row(self).in_band
    }
}

/// An upstream failure as our client sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub message: String,
    /// `error_type`, the provider's `raw` error and `provider_code` where it gave them, and
    /// for a response `provider_name` and (when the message is generic) `upstream_message`;
    /// `attempts` when given, and `byok_keys_rejected` (`[{id, provider, status, message}]`)
    /// when a provider refused one of the organization's own keys.
    pub metadata: Map<String, Value>,
    /// `Retry-After` for a response, where the provider asked for one.
    pub retry_after_secs: Option<u64>,
}

impl Failure {
    /// The table's answer for `err`, from `provider` (the one that served, else the last one
    /// tried), with every attempt (and every endpoint skipped, with why) where given.
    pub fn of(
        err: &UpstreamError,
        provider: Option<&str>,
        attempts: Option<&[AttemptRecord]>,
        reported: Reported,
    ) -> Failure {
        let row = row(err.error_type);
        let response = reported == Reported::AsResponse;
        let generic = response && row.generic;
        let mut metadata = Map::new();
        metadata.insert("error_type".into(), err.error_type.as_str().into());
        if response {
            metadata.insert("provider_name".into(), provider.into());
        }
        if let Some(code) = &err.provider_code {
            metadata.insert("provider_code".into(), code.as_str().into());
        }
        if let Some(raw) = &err.raw {
            metadata.insert("raw".into(), raw.clone());
        }
        if generic {
            metadata.insert("upstream_message".into(), err.message.as_str().into());
        }
        if let Some(attempts) = attempts {
            // The organization's own provider keys the providers refused: named (by id, never
            // the key) so that the caller can fix them; each was tried once.
            let rejected: Vec<Value> = attempts
                .iter()
                .filter(|a| a.byok_key_rejected)
                .map(|a| {
                    serde_json::json!({
                        "id": a.byok_key_id, "provider": a.provider_slug, "status": a.status,
                        "message": a.error,
                    })
                })
                .collect();
            if !rejected.is_empty() {
                metadata.insert("byok_keys_rejected".into(), Value::Array(rejected));
            }
            metadata.insert(
                "attempts".into(),
                serde_json::to_value(attempts).unwrap_or(Value::Null),
            );
        }
        Failure {
            status: if response { row.response } else { row.in_band },
            message: if generic {
                "Provider returned error".to_owned()
            } else {
                err.message.clone()
            },
            metadata,
            retry_after_secs: response
                .then(|| err.retry_after.map(|d| d.as_secs().max(1)))
                .flatten(),
        }
    }

    /// `{"code":<status>,"message":...,"metadata":{...}}`: the `error` of a body or a chunk.
    pub fn error_object(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), self.status.into());
        error.insert("message".into(), self.message.as_str().into());
        error.insert("metadata".into(), Value::Object(self.metadata.clone()));
        Value::Object(error)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    #[test]
    fn a_provider_fault_is_generic_in_the_response_and_typed_in_band() {
        let mut err = UpstreamError::new("openai", ErrorType::Server, "boom");
        err.raw = Some(json!({"error": {"message": "boom"}}));
        let response = Failure::of(&err, Some("OpenAI"), Some(&[]), Reported::AsResponse);
        assert_eq!(response.status, 502);
        assert_eq!(
            response.error_object(),
            json!({"code": 502, "message": "Provider returned error", "metadata": {
                "error_type": "server", "provider_name": "OpenAI", "upstream_message": "boom",
                "raw": {"error": {"message": "boom"}}, "attempts": []}})
        );
        let in_band = Failure::of(&err, Some("OpenAI"), None, Reported::InBand);
        assert_eq!(
            in_band.error_object(),
            json!({"code": 500, "message": "boom", "metadata": {
                "error_type": "server", "raw": {"error": {"message": "boom"}}}})
        );
    }

    #[test]
    fn the_callers_faults_keep_their_status_and_message() {
        let mut err = UpstreamError::new("openai", ErrorType::RateLimitExceeded, "slow down");
        err.retry_after = Some(Duration::from_millis(300));
        let response = Failure::of(&err, None, None, Reported::AsResponse);
        assert_eq!(
            (response.status, response.message.as_str()),
            (429, "slow down")
        );
        assert_eq!(response.retry_after_secs, Some(1));
        assert_eq!(response.metadata["provider_name"], Value::Null);
        assert_eq!(
            Failure::of(&err, None, None, Reported::InBand).retry_after_secs,
            None
        );
        let timeout = UpstreamError::new("openai", ErrorType::Timeout, "slow");
        assert_eq!(
            Failure::of(&timeout, None, None, Reported::AsResponse).status,
            408
        );
        assert_eq!(
            Failure::of(&timeout, None, None, Reported::InBand).status,
            504
        );
    }
}
