//! Relaying one request to the providers: the ordered attempts, the non-stream exchange and
//! the chunk-by-chunk stream, and the outcome that billing and usage recording need. Knows
//! nothing of actix or the database: it takes plain values and returns values and channels.

mod complete;
mod embed;
mod streaming;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::catalog::{GenerationUsage, Pricing};
use super::error::{ErrorType, TranslateError, UpstreamError};
use super::providers::{CallContext, CompatQuirks, ProviderAdapter, UpstreamRequest};
use super::types::{ChatRequest, EmbeddingRequest, Usage};
use super::upstream::UpstreamClient;
use crate::billing::money::Nanos;

pub use streaming::{ChunkFormat, StreamHandle, StreamStart};

/// One concrete place a request can be sent: an endpoint of a live provider. Cheap to clone:
/// the routing table builds each endpoint's target once and a plan shares them.
#[derive(Clone)]
pub struct Target(pub Arc<TargetSpec>);

impl std::ops::Deref for Target {
    type Target = TargetSpec;
    fn deref(&self) -> &TargetSpec {
        &self.0
    }
}

pub struct TargetSpec {
    /// The catalog model id reported to the client (`openai/gpt-4o-mini`).
    pub model_id: String,
    /// The catalog endpoint's tag (unique per model, e.g. `deepinfra/fp8`).
    pub endpoint_tag: String,
    pub provider_slug: String,
    /// Display name reported as `provider`.
    pub provider_name: String,
    pub adapter: Arc<dyn ProviderAdapter>,
    pub base_url: String,
    pub api_key: String,
    pub upstream_model: String,
    pub quirks: CompatQuirks,
    pub pricing: Pricing,
    pub is_byok: bool,
}

impl Target {
    fn context(&self, created: u64) -> CallContext {
        CallContext::new(self.upstream_model.clone(), self.api_key.clone(), created)
            .with_quirks(self.quirks.clone())
    }

    fn build(
        &self,
        request: &ChatRequest,
        created: u64,
    ) -> Result<(UpstreamRequest, CallContext), UpstreamError> {
        let ctx = self.context(created);
        let mut upstream = request.clone();
        upstream.model.clone_from(&self.upstream_model);
        let built = self
            .adapter
            .build_request(&upstream, &ctx)
            .map_err(|e| self.refused(e))?;
        Ok((built, ctx))
    }

    fn build_embeddings(
        &self,
        request: &EmbeddingRequest,
        created: u64,
    ) -> Result<(UpstreamRequest, CallContext), UpstreamError> {
        let ctx = self.context(created);
        let built = self
            .adapter
            .build_embeddings(request, &ctx)
            .map_err(|e| self.refused(e))?;
        Ok((built, ctx))
    }

    /// A request this endpoint cannot take; an unsupported feature moves on to the next endpoint.
    fn refused(&self, e: TranslateError) -> UpstreamError {
        let mut err = UpstreamError::new(
            self.adapter.protocol(),
            ErrorType::InvalidRequest,
            e.to_string(),
        );
        err.retryable = matches!(e, TranslateError::Unsupported { .. });
        err
    }

    /// Fills `usage.cost`, `cost_details` and `is_byok` from this endpoint's prices.
    /// Returns the total in nano-dollars.
    pub fn price(&self, usage: &mut Usage) -> Nanos {
        let counts = GenerationUsage::from(&*usage);
        let total = self.pricing.cost(&counts);
        let prompt_only = self.pricing.cost(&GenerationUsage {
            completion_tokens: 0,
            reasoning_tokens: 0,
            ..counts
        });
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
        usage.cost = serde_json::to_value(Nanos(total)).ok();
        usage.is_byok = Some(self.is_byok);
        usage.cost_details = Some(serde_json::json!({
            "upstream_inference_cost": if self.is_byok { serde_json::to_value(Nanos(total)).ok() } else { None },
            "upstream_inference_prompt_cost": Nanos(prompt_only),
            "upstream_inference_completions_cost": Nanos(total - prompt_only),
        }));
        Nanos(total)
    }
}

/// One try at one provider, as recorded on the generation.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptRecord {
    pub provider: String,
    pub model: String,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

/// What happened to a request, for the generation record and billing.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// `(model id, provider name, provider slug)` of the endpoint that answered.
    pub served: Option<(String, String, String)>,
    pub usage: Usage,
    pub cost: Nanos,
    pub is_byok: bool,
    pub upstream_id: Option<String>,
    pub finish_reason: Option<String>,
    pub native_finish_reason: Option<String>,
    pub attempts: Vec<AttemptRecord>,
    /// From the start of the request to the first upstream byte.
    pub first_byte: Option<Duration>,
    /// From the first to the last upstream byte.
    pub generation_time: Option<Duration>,
    pub streamed: bool,
    pub cancelled: bool,
    pub error: Option<UpstreamError>,
}

impl Outcome {
    /// The provider that served, else the last one tried (for error metadata).
    pub fn provider_name(&self) -> Option<String> {
        self.served
            .as_ref()
            .map(|s| s.1.clone())
            .or_else(|| self.attempts.last().map(|a| a.provider.clone()))
    }
}

#[derive(Clone)]
pub struct Relay {
    pub client: UpstreamClient,
    /// Interval of `: OPENROUTER PROCESSING` comments while waiting.
    pub keep_alive: Duration,
}

impl Relay {
    /// Tries the targets in order until one answers 2xx. Retryable failures move on to the
    /// next target; a request the upstream rejects as invalid does not.
    async fn connect(
        &self,
        targets: &[Target],
        build: impl Fn(&Target) -> Result<(UpstreamRequest, CallContext), UpstreamError>,
        attempts: &mut Vec<AttemptRecord>,
    ) -> Result<(usize, reqwest::Response, CallContext), UpstreamError> {
        let mut last_error = None;
        for (index, target) in targets.iter().enumerate() {
            let started = Instant::now();
            let record = |status: Option<u16>, error: Option<String>| AttemptRecord {
                provider: target.provider_name.clone(),
                model: target.model_id.clone(),
                status,
                latency_ms: started.elapsed().as_millis() as u64,
                error,
            };
            let (upstream, ctx) = match build(target) {
                Ok(built) => built,
                Err(err) => {
                    attempts.push(record(None, Some(err.message.clone())));
                    let retry = err.retryable;
                    last_error = Some(err);
                    if retry {
                        continue;
                    }
                    break;
                }
            };
            match self
                .client
                .send(target.adapter.as_ref(), &target.base_url, upstream)
                .await
            {
                Ok(response) => {
                    attempts.push(record(Some(response.status().as_u16()), None));
                    return Ok((index, response, ctx));
                }
                Err(err) => {
                    attempts.push(record(err.upstream_status, Some(err.message.clone())));
                    tracing::warn!(provider = %target.provider_slug, status = err.status, error = %err.message, "upstream attempt failed");
                    let retry = err.retryable;
                    last_error = Some(err);
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(last_error.unwrap_or_else(|| {
            UpstreamError::new(
                "gateway",
                super::error::ErrorType::ProviderUnavailable,
                "no provider could be tried",
            )
        }))
    }
}

/// A rough token count for text (4 characters per token), for billing what a cancelled or
/// usage-less stream generated when the upstream gave no counts.
pub fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

/// Characters of text in a request's messages, for the prompt estimate.
pub fn prompt_chars(request: &ChatRequest) -> usize {
    request.messages.iter().map(|m| m.text().len()).sum()
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
