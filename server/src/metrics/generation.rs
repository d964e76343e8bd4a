//! A generation's series, recorded on the usage writer's thread while it assembles the
//! request's records (`inference::record`): the request has been answered by then, so
//! nothing here adds to its latency, and the label strings are built off the hot path.

use ::metrics::{counter, histogram};

use super::{COST, REFUSALS, REQUEST_DURATION, REQUESTS, TOKENS, TTFT, UPSTREAM_ERRORS};
use crate::gateway::relay::Outcome;

/// The label of a model or provider a request never reached (refused, or no endpoint
/// answered and none was tried): the requested model is free text, so it is not a label.
pub const NONE: &str = "none";

/// Records a relayed request: `status` is what its client was answered, `api_type` the
/// API it came through.
pub fn relayed(outcome: &Outcome, api_type: &'static str, status: u16) {
    let (model, provider) = endpoint(outcome);
    counter!(
        REQUESTS,
        "model" => model.clone(),
        "provider" => provider.clone(),
        "api_type" => api_type,
        "status" => status_label(status),
    )
    .increment(1);
    for attempt in &outcome.attempts {
        if let Some(kind) = attempt.error_type {
            counter!(UPSTREAM_ERRORS, "provider" => attempt.provider_slug.clone(), "kind" => kind)
                .increment(1);
        }
    }
    if let Some(first_byte) = outcome.first_byte {
        let total = first_byte + outcome.generation_time.unwrap_or_default();
        histogram!(REQUEST_DURATION, "model" => model.clone(), "provider" => provider.clone())
            .record(total.as_secs_f64());
        if outcome.streamed {
            histogram!(TTFT, "model" => model.clone(), "provider" => provider.clone())
                .record(first_byte.as_secs_f64());
        }
    }
    let usage = &outcome.usage;
    for (kind, tokens) in [
        ("prompt", usage.prompt_tokens),
        ("completion", usage.completion_tokens),
        ("reasoning", usage.reasoning_tokens()),
    ] {
        if tokens > 0 {
            counter!(TOKENS, "model" => model.clone(), "provider" => provider.clone(), "type" => kind)
                .increment(tokens);
        }
    }
    if let Ok(nanos) = u64::try_from(outcome.cost.as_nanos())
        && nanos > 0
    {
        counter!(COST, "model" => model, "provider" => provider).increment(nanos);
    }
}

/// Records a request refused before any upstream was tried (429, 402, 403).
pub fn refused(api_type: &'static str, status: u16) {
    counter!(
        REQUESTS,
        "model" => NONE,
        "provider" => NONE,
        "api_type" => api_type,
        "status" => status_label(status),
    )
    .increment(1);
    let reason = match status {
        429 => "rate_limit",
        402 => "credit",
        403 => "budget",
        _ => "other",
    };
    counter!(REFUSALS, "reason" => reason).increment(1);
}

/// The catalog endpoint that served, else the last one tried; else [`NONE`].
fn endpoint(outcome: &Outcome) -> (String, String) {
    if let Some(target) = &outcome.served {
        return (target.model_id.clone(), target.provider_slug.clone());
    }
    outcome
        .attempts
        .iter()
        .rev()
        .find(|a| a.skipped.is_none())
        .or(outcome.attempts.last())
        .map_or_else(
            || (NONE.to_owned(), NONE.to_owned()),
            |a| (a.model.clone(), a.provider_slug.clone()),
        )
}

/// Statuses as labels; the common ones without an allocation.
fn status_label(status: u16) -> ::metrics::SharedString {
    let common = match status {
        200 => "200",
        400 => "400",
        401 => "401",
        402 => "402",
        403 => "403",
        404 => "404",
        408 => "408",
        413 => "413",
        429 => "429",
        499 => "499",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        _ => return status.to_string().into(),
    };
    common.into()
}
