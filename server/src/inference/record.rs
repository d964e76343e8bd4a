//! The generation record: what the request brought (taken when it arrives) and what the
//! relay's outcome adds (when the completion hook runs). Assembled on the usage writer's
//! thread, so that building it (and serializing the attempts) costs the request nothing.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use entity::json_text::JsonText;

use super::response::InferenceError;
use crate::accounts::key_cache::AuthKey;
use crate::gateway::relay::Outcome;
use crate::gateway::types::ChatResponse;
use crate::usage::content;
use crate::usage::record::{Content, KeyUsage, UsageRecord};

/// `gen-<unix seconds>-<20 characters>`, as OpenRouter's ids look. The first four characters
/// are the microsecond within the second, in an alphabet that sorts like its values; the other
/// sixteen are random (95 bits). Ids made close in time therefore sort close together, so the
/// generations table's primary-key index grows at its right edge: random ids dirtied one index
/// page per row, which made SQLite write about 4 KiB of WAL per recorded request.
pub fn new_generation_id() -> String {
    // ASCII order, so that fixed-width strings sort as the numbers they encode.
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let now = Utc::now();
    let mut id = format!("gen-{}-", now.timestamp());
    let mut micros = u64::from(now.timestamp_subsec_micros().min(999_999));
    let mut prefix = [0u8; 4]; // 62^4 > 10^6
    for slot in prefix.iter_mut().rev() {
        *slot = ALPHABET[(micros % 62) as usize];
        micros /= 62;
    }
    id.extend(prefix.iter().map(|&b| b as char));
    id.extend((0..16).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char));
    id
}

/// Who called, from which app (`HTTP-Referer`, `X-Title`, `User-Agent`): kept on the record.
#[derive(Clone, Debug, Default)]
pub struct Attribution {
    pub http_referer: Option<String>,
    pub app_title: Option<String>,
    pub user_agent: Option<String>,
}

/// The request's part of its generation record.
pub(super) struct Recording {
    pub generation_id: String,
    pub key: Arc<AuthKey>,
    pub requested_model: String,
    pub external_user: Option<String>,
    pub attribution: Attribution,
    /// When the request arrived (the record itself is assembled later).
    pub created_at: DateTime<Utc>,
    /// The output cap its funding set (the balance could afford no more).
    pub capped_max_tokens: Option<u64>,
    /// The API it came through (see [`super::Caller::api_type`]).
    pub api_type: &'static str,
    /// `X-Request-Id`.
    pub request_id: Option<Arc<str>>,
    /// The request body, only for an organization that stores prompts and completions.
    pub request_body: Option<Bytes>,
    /// Bytes kept of each stored body.
    pub content_cap: usize,
}

/// A request refused before any upstream was tried (402, 403, 429): its record, with no
/// cost.
pub(super) struct Refusal {
    pub recording: Recording,
    pub streamed: bool,
    pub status: u16,
    pub message: String,
}

impl Refusal {
    pub fn into_records(self, records: &mut Vec<UsageRecord>) {
        let Refusal {
            recording,
            streamed,
            status,
            message,
        } = self;
        crate::metrics::generation::refused(recording.api_type, status);
        let content = recording.content(None);
        let mut generation = recording.into_generation(Outcome {
            streamed,
            ..Outcome::default()
        });
        generation.status = i32::from(status);
        generation.error = Some(message);
        records.push(UsageRecord::Generation(Box::new(generation)));
        records.extend(content.map(|c| UsageRecord::Content(Box::new(c))));
    }
}

impl Recording {
    /// What `caller`'s request for `requested_model` (on behalf of `external_user`) brings
    /// to its record, taken now.
    pub fn of(
        generation_id: &str,
        caller: super::Caller,
        requested_model: &str,
        external_user: Option<&String>,
        content_cap: usize,
    ) -> Self {
        Recording {
            generation_id: generation_id.to_owned(),
            key: caller.key,
            requested_model: requested_model.to_owned(),
            external_user: external_user.cloned(),
            attribution: caller.attribution,
            created_at: Utc::now(),
            capped_max_tokens: None,
            api_type: caller.api_type,
            request_id: caller.request_id,
            request_body: caller.request_body,
            content_cap,
        }
    }

    /// [`Self::of`] for a request that is being refused (the caller is still needed).
    pub fn refused(
        caller: &super::Caller,
        requested_model: &str,
        external_user: Option<&String>,
        content_cap: usize,
    ) -> Self {
        Recording {
            generation_id: new_generation_id(),
            key: caller.key.clone(),
            requested_model: requested_model.to_owned(),
            external_user: external_user.cloned(),
            attribution: caller.attribution.clone(),
            created_at: Utc::now(),
            capped_max_tokens: None,
            api_type: caller.api_type,
            request_id: caller.request_id.clone(),
            request_body: caller.request_body.clone(),
            content_cap,
        }
    }

    /// The stored bodies, for an organization that stores them (else `None`, at the cost of
    /// one branch). Runs on the usage writer's thread, where serializing and cutting the
    /// bodies costs the request nothing.
    fn content(&self, response: Option<(&ChatResponse, bool)>) -> Option<Content> {
        let request = self.request_body.as_deref()?;
        let response =
            response.and_then(|(r, cut)| serde_json::to_vec(r).ok().map(|body| (body, cut)));
        Some(content::record(
            &self.generation_id,
            &self.key.key.org_id,
            self.created_at,
            Some(request),
            response.as_ref().map(|(body, cut)| (body.as_slice(), *cut)),
            self.content_cap,
        ))
    }

    /// The request's usage records, committed together: its generation and its key's spend.
    /// Its metrics too: this runs on the usage writer's thread.
    pub fn into_records(self, mut outcome: Outcome, records: &mut Vec<UsageRecord>) {
        crate::metrics::generation::relayed(&outcome, self.api_type, answered(&outcome));
        let spent = KeyUsage::spent(
            self.key.key.hash.clone(),
            outcome.cost,
            outcome.upstream_cost,
        );
        let response = outcome.response.take();
        let content = self.content(response.as_deref().map(|r| (r, outcome.response_cut)));
        records.push(UsageRecord::Generation(Box::new(
            self.into_generation(outcome),
        )));
        records.extend(content.map(|c| UsageRecord::Content(Box::new(c))));
        records.push(UsageRecord::KeyUsage(spent));
    }

    fn into_generation(self, outcome: Outcome) -> entity::generation::Model {
        let (model, provider) = match &outcome.served {
            Some(target) => (target.model_id.clone(), Some(target.provider_name.clone())),
            None => (self.requested_model.clone(), None),
        };
        let usage = &outcome.usage;
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let status = i32::from(answered(&outcome));
        let native = outcome.native_tokens;
        entity::generation::Model {
            id: self.generation_id,
            org_id: self.key.key.org_id.clone(),
            api_key_hash: self.key.key.hash.clone(),
            requested_model: self.requested_model,
            model,
            provider,
            upstream_id: outcome.upstream_id,
            streamed: outcome.streamed,
            cancelled: outcome.cancelled,
            finish_reason: outcome.finish_reason,
            native_finish_reason: outcome.native_finish_reason,
            tokens_prompt: count(usage.prompt_tokens),
            tokens_completion: count(usage.completion_tokens),
            tokens_reasoning: count(usage.reasoning_tokens()),
            tokens_cached: count(usage.cached_tokens()),
            tokens_cache_write: count(usage.cache_write_tokens()),
            cost_nanos: outcome.cost.as_nanos(),
            is_byok: outcome.is_byok,
            upstream_cost_nanos: outcome.upstream_cost.map(|c| c.as_nanos()),
            latency_ms: outcome.first_byte.map(|d| d.as_millis() as i64),
            generation_time_ms: outcome.generation_time.map(|d| d.as_millis() as i64),
            http_referer: self.attribution.http_referer,
            app_title: self.attribution.app_title,
            user_agent: self.attribution.user_agent,
            external_user: self.external_user,
            attempts: JsonText::of(&outcome.attempts).unwrap_or_else(|_| JsonText::null()),
            error: outcome.error.map(|e| e.message),
            created_at: self.created_at,
            capped_max_tokens: self.capped_max_tokens.map(count),
            api_type: self.api_type.to_owned(),
            request_id: self.request_id.map(|id| id.to_string()),
            status,
            byok_fee_nanos: if outcome.is_byok {
                outcome.cost.as_nanos()
            } else {
                0
            },
            native_tokens_prompt: native.map(|n| count(n.prompt)),
            native_tokens_completion: native.map(|n| count(n.completion)),
            native_tokens_reasoning: native.map(|n| count(n.reasoning)),
            native_tokens_cached: native.map(|n| count(n.cached)),
        }
    }
}

/// What the client was answered: an upstream failure's status, 499 (nginx's "client closed
/// request") when it left first, else 200.
fn answered(outcome: &Outcome) -> u16 {
    match (&outcome.error, outcome.cancelled) {
        (Some(err), _) => err.status,
        (None, true) => 499,
        (None, false) => 200,
    }
}

impl super::Inference {
    /// Records a refusal — 429 (rate limit), 402 (credit), 403 (budget) — as a generation
    /// with no cost, and hands the error back. Other errors are not generations.
    pub(super) async fn refused(
        &self,
        caller: &super::Caller,
        requested_model: &str,
        external_user: Option<&String>,
        streamed: bool,
        err: InferenceError,
    ) -> InferenceError {
        let status = match &err {
            InferenceError::RateLimited(_) => 429,
            InferenceError::InsufficientCredit(_) => 402,
            InferenceError::OverBudget(_) => 403,
            _ => return err,
        };
        let refusal = Refusal {
            recording: Recording::refused(
                caller,
                requested_model,
                external_user,
                self.0.content_cap,
            ),
            streamed,
            status,
            message: err.to_string(),
        };
        self.0
            .usage
            .record_with(move |records| refusal.into_records(records))
            .await;
        err
    }
}

#[cfg(test)]
mod tests {
    use super::new_generation_id;

    #[test]
    fn generation_ids_look_like_openrouters_and_sort_by_time() {
        let ids: Vec<String> = (0..200)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_micros(50));
                new_generation_id()
            })
            .collect();
        for id in &ids {
            let mut parts = id.splitn(3, '-');
            assert_eq!(parts.next(), Some("gen"));
            assert!(parts.next().unwrap().parse::<i64>().is_ok(), "{id}");
            let tail = parts.next().unwrap();
            assert_eq!(tail.len(), 20, "{id}");
            assert!(tail.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
        // Made at least 50 µs apart, so each id's time prefix is later than the one before.
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids);
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }
}
