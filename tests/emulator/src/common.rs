//! What every protocol handler does the same way: record the request, resolve the knobs, wait
//! the latency, decide injected failures, and derive the deterministic reply.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::knobs::{self, Knobs};
use crate::state::{RecordedRequest, Shared};
use crate::tokens;

/// One request on its way through a handler.
pub struct Ctx {
    pub shared: Arc<Shared>,
    pub knobs: Knobs,
    pub body: Value,
}

/// Unix seconds, for `created` fields.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A random id of `len` alphanumeric characters (ids only need to be unique, not secret).
pub fn random_id(len: usize) -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Records the request, resolves its knobs and waits the latency. An unreadable knob is the
/// test author's bug, so it answers 400 with a plain explanation rather than a provider body.
pub async fn prepare(
    provider: &str,
    req: &HttpRequest,
    raw: &web::Bytes,
    shared: &web::Data<Shared>,
) -> Result<Ctx, HttpResponse> {
    let shared: Arc<Shared> = shared.clone().into_inner();
    shared.counters.requests.fetch_add(1, Ordering::Relaxed);
    let body: Value = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(raw).unwrap_or(Value::Null)
    };
    if shared.logging() {
        shared.record(record(provider, req, &body));
    }
    let mut knobs = (*shared.knobs()).clone();
    let applied = knobs
        .apply_headers(req.headers())
        .and_then(|_| knobs.apply_directive(raw));
    if let Err(e) = applied {
        return Err(HttpResponse::BadRequest().json(json!({ "emulator_error": e.to_string() })));
    }
    if knobs.latency_ms > 0 {
        tokio::time::sleep(knobs.latency()).await;
    }
    Ok(Ctx {
        shared,
        knobs,
        body,
    })
}

pub fn record(provider: &str, req: &HttpRequest, body: &Value) -> RecordedRequest {
    let mut headers = std::collections::HashMap::new();
    for (name, value) in req.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    RecordedRequest {
        provider: provider.to_owned(),
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        headers,
        body: body.clone(),
    }
}

impl Ctx {
    /// The injected failure status for this request, if any (`status`, `fail-first`).
    pub fn injected_status(&self) -> Option<u16> {
        match self.knobs.fail_first {
            Some(n) => {
                let scenario = self.knobs.scenario.as_deref().unwrap_or("");
                self.shared
                    .should_fail_first(scenario, n)
                    .then(|| self.knobs.status.unwrap_or(500))
            }
            None => self.knobs.status,
        }
    }

    /// Seconds for `Retry-After`: sent on 429, and on any status when the knob is set.
    pub fn retry_after(&self, status: u16) -> Option<u64> {
        self.knobs.retry_after.or((status == 429).then_some(1))
    }

    /// Whether the model id is unknown: ids containing `nonexistent` always are (so a test can
    /// get a 404 through a gateway without setup); with `strict_models`, so is any unlisted id.
    pub fn unknown_model(&self, model: &str) -> bool {
        model.contains("nonexistent")
            || (self.shared.config.strict_models
                && !self.shared.config.models.iter().any(|m| m == model))
    }

    /// The reply text before `max_tokens`: the `reply` knob, else `You said: <last user text>`
    /// prefixed by `[<system prompt>] ` when there is one; then resized by `reply-tokens`.
    pub fn reply_text(&self, system: &str, last_user: &str) -> String {
        let text = match &self.knobs.reply {
            Some(fixed) => fixed.clone(),
            None => {
                let user = knobs::strip_directive(last_user);
                let system = knobs::strip_directive(system);
                if system.trim().is_empty() {
                    format!("You said: {}", user.trim())
                } else {
                    format!("[{}] You said: {}", system.trim(), user.trim())
                }
            }
        };
        match self.knobs.reply_tokens {
            Some(n) => tokens::resize(&text, n),
            None => text,
        }
    }

    /// Splits output text into stream chunks: one per token, or `chunks` even groups.
    pub fn chunk(&self, text: &str) -> Vec<String> {
        split_chunks(text, self.knobs.chunks)
    }
}

/// Splits `text` into one chunk per token, or into `n` groups of whole tokens.
pub fn split_chunks(text: &str, n: Option<usize>) -> Vec<String> {
    let pieces = tokens::pieces(text);
    match n {
        Some(n) if n > 0 && !pieces.is_empty() => {
            let n = n.min(pieces.len());
            let per = pieces.len().div_ceil(n);
            pieces.chunks(per).map(|c| c.concat()).collect()
        }
        _ => pieces.into_iter().map(str::to_owned).collect(),
    }
}

/// Text of a content value: a string, or the `text` of every part of an array, joined.
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.clone()),
                _ => p
                    .get("text")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| p.get("content").map(content_text))
                    .or_else(|| p.get("functionResponse").map(function_response_text)),
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The text a Gemini `functionResponse` part carries: a lone string field (`{"content": "..."}`
/// as gateways send tool output), else the response as JSON.
fn function_response_text(part: &Value) -> String {
    let response = part.get("response").unwrap_or(&Value::Null);
    match response {
        Value::String(s) => s.clone(),
        Value::Object(fields) if fields.len() == 1 => match fields.values().next() {
            Some(Value::String(s)) => s.clone(),
            _ => response.to_string(),
        },
        _ => response.to_string(),
    }
}

/// A stable 64-bit hash (FNV-1a), for cache keys and signatures that must not vary per run.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A deterministic opaque signature for thinking blocks/parts.
pub fn signature(seed: &str) -> String {
    use base64::Engine;
    let text = format!(
        "emulator-signature-{:016x}-{:016x}",
        fnv(seed.as_bytes()),
        fnv(seed.as_bytes()).rotate_left(17)
    );
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The SSE `data:` frame used by OpenAI (`\n\n`).
pub fn data_frame(json: &str) -> bytes::Bytes {
    let mut s = String::with_capacity(json.len() + 8);
    s.push_str("data: ");
    s.push_str(json);
    s.push_str("\n\n");
    bytes::Bytes::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_group_tokens() {
        assert_eq!(
            split_chunks("You said: hi", None),
            vec!["You", " said", ":", " hi"]
        );
        assert_eq!(
            split_chunks("You said: hi", Some(2)),
            vec!["You said", ": hi"]
        );
        assert_eq!(split_chunks("a", Some(5)), vec!["a"]);
    }
}
