//! Before anything is routed: the checks the gateway itself relies on (the rest of a request
//! is the provider's to judge) and the rate limits. In memory only: no database round trip.

use chrono::Utc;

use super::response::InferenceError;
use crate::accounts::key_cache::AuthKey;
use crate::billing::credit::CreditView;
use crate::gateway::types::{ChatRequest, EmbeddingRequest};
use crate::limits::{Admission, Caller, RateLimits, is_free_request};
use crate::usage::writer::UsageWriter;

/// Checks the parts of a chat request the gateway relies on.
pub fn validate_chat(request: &ChatRequest) -> Result<(), InferenceError> {
    let invalid = |message: &str| Err(InferenceError::Invalid(message.to_owned()));
    if request.messages.is_empty() {
        return invalid("messages: must contain at least one message");
    }
    if request.model.trim().is_empty() && request.models.as_ref().is_none_or(Vec::is_empty) {
        return invalid("model: required (or give `models`)");
    }
    let range = |name: &str, value: Option<f64>, low: f64, high: f64| match value {
        Some(v) if !(low..=high).contains(&v) => Err(InferenceError::Invalid(format!(
            "{name}: must be between {low} and {high}"
        ))),
        _ => Ok(()),
    };
    range("temperature", request.temperature, 0.0, 2.0)?;
    range("top_p", request.top_p, 0.0, 1.0)?;
    range("frequency_penalty", request.frequency_penalty, -2.0, 2.0)?;
    range("presence_penalty", request.presence_penalty, -2.0, 2.0)?;
    if request.max_tokens == Some(0) || request.max_completion_tokens == Some(0) {
        return invalid("max_tokens: must be at least 1");
    }
    Ok(())
}

/// Checks the parts of an embeddings request the gateway relies on.
pub fn validate_embeddings(request: &EmbeddingRequest) -> Result<(), InferenceError> {
    let invalid = |message: &str| Err(InferenceError::Invalid(message.to_owned()));
    if request.model.trim().is_empty() {
        return invalid("model: required");
    }
    if request.input.is_empty() {
        return invalid("input: must not be empty");
    }
    if request
        .encoding_format
        .as_deref()
        .is_some_and(|f| f != "float" && f != "base64")
    {
        return invalid("encoding_format: must be float or base64");
    }
    Ok(())
}

/// Refuses a new request while the usage writer cannot keep up (see `usage::writer`).
pub fn recording_admits(usage: &UsageWriter) -> Result<(), InferenceError> {
    if usage.refusing() {
        Err(InferenceError::RecordingBacklogged)
    } else {
        Ok(())
    }
}

/// Whether a chat request counts against the `:free` limits: free if any requested model is
/// (a paid fallback must not dodge the free caps).
pub fn is_free_chat(request: &ChatRequest) -> bool {
    is_free_request(std::slice::from_ref(&request.model))
        || request.models.as_deref().is_some_and(is_free_request)
}

/// Admits a request for `key` (`is_free`: it asks for a free variant), or refuses it.
pub fn admit(
    limits: &RateLimits,
    credit: &CreditView,
    key: &AuthKey,
    is_free: bool,
) -> Result<Admission, InferenceError> {
    let org_id = key.key.org_id.as_str();
    let caller = Caller {
        key: &key.key.hash,
        org_id,
        purchased: credit.lifetime_purchased(org_id),
    };
    Ok(limits.admit(&caller, is_free, Utc::now())?)
}
