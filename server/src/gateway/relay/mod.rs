//! Relaying one request to the providers: the ordered attempts, the non-stream exchange and
//! the chunk-by-chunk stream, and the outcome that billing and usage recording need. Knows
//! nothing of actix or the database: it takes plain values and returns values and channels.

mod complete;
mod embed;
mod streaming;
mod whole;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::error::{ErrorType, TranslateError, UpstreamError};
use super::health::{Admission, HealthBoard, Sample};
use super::providers::{CallContext, CompatQuirks, ProviderAdapter, UpstreamRequest};
use super::types::{ChatRequest, ChatResponse, EmbeddingRequest, Usage};
use super::upstream::{UpstreamClient, UpstreamResponse};
use crate::billing::cost::{GenerationUsage, Pricing};
use crate::billing::money::Nanos;

pub use streaming::{ChunkFormat, StreamHandle, StreamRenderer, StreamStart, open_streams};

/// One concrete place a request can be sent: an endpoint of a live provider. Cheap to clone:
/// the routing table builds each endpoint's target once and a plan shares them.
#[derive(Clone)]
pub struct Target(pub Arc<TargetSpec>);

// Hand-written: the spec holds the upstream key.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("model_id", &self.model_id)
            .field("provider_slug", &self.provider_slug)
            .field("endpoint_tag", &self.endpoint_tag)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Target {
    type Target = TargetSpec;
    fn deref(&self) -> &TargetSpec {
        &self.0
    }
}

pub struct TargetSpec {
    /// The catalog model id reported to the client (`openai/gpt-4o-mini`).
    pub model_id: String,
    pub provider_slug: String,
    /// The catalog endpoint's tag (unique per model; the provider slug by default): with
    /// `model_id`, the key of the endpoint's health.
    pub endpoint_tag: String,
    /// Display name reported as `provider`.
    pub provider_name: String,
    pub adapter: Arc<dyn ProviderAdapter>,
    pub base_url: String,
    pub api_key: String,
    pub upstream_model: String,
    pub quirks: Arc<CompatQuirks>,
    pub pricing: Pricing,
    /// Called with the caller's organization's own provider key (then `byok` says which).
    pub is_byok: bool,
    /// The endpoint's output limit, when the catalog states one (credit reservations).
    pub max_output_tokens: Option<u64>,
    /// The endpoint's context length (0: unknown).
    pub context_length: u64,
    pub byok: Option<ByokUse>,
}

/// What a BYOK request costs the caller, given what the platform's price for it would have
/// been (the billing layer's fee rule for the organization; see `billing::byok_fee`).
pub trait ByokFee: Send + Sync {
    /// The fee for one request served with the organization's own key (counted against the
    /// organization's free BYOK requests).
    fn fee(&self, platform_price: Nanos) -> Nanos;

    /// What to reserve for the fee on `platform_price` before the request, counting nothing.
    fn quote(&self, platform_price: Nanos) -> Nanos;
}

/// The organization's key a BYOK target calls with: which one (for reports; never the key
/// itself) and the fee rule.
pub struct ByokUse {
    pub key_id: String,
    /// `...` and the key's last four characters.
    pub label: String,
    pub fee: Arc<dyn ByokFee>,
}

/// A generation's price: what the caller is charged from credits, and for a BYOK request
/// what the provider charges the organization directly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Priced {
    /// The platform price; for BYOK the fee.
    pub cost: Nanos,
    /// BYOK only: the provider's price at the endpoint's catalog prices.
    pub upstream_cost: Option<Nanos>,
}

impl Target {
    fn context(&self, created: u64) -> CallContext {
        CallContext::new(self.upstream_model.clone(), self.api_key.clone(), created)
            .with_shared_quirks(Arc::clone(&self.quirks))
    }

    fn build(
        &self,
        request: &ChatRequest,
        created: u64,
    ) -> Result<(UpstreamRequest, CallContext), UpstreamError> {
        // Adapters take the upstream model name from the context, so the request is not copied.
        let ctx = self.context(created);
        let built = self
            .adapter
            .build_request(request, &ctx)
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

    /// Fills `usage.cost`, `cost_details` and `is_byok` from billing's cost of this usage at
    /// this endpoint's prices, with `images` input images (priced per image where the
    /// endpoint says so). Platform endpoint: `cost` is that price and
    /// `upstream_inference_cost` is null. BYOK: `cost` is the BYOK fee (charged from credits)
    /// and `upstream_inference_cost` the price, which the provider bills the organization
    /// directly. The prompt and completion parts always split the price.
    pub fn price(&self, usage: &mut Usage, images: u64) -> Priced {
        let counts = GenerationUsage {
            images,
            ..GenerationUsage::from(&*usage)
        };
        let price = self.pricing.cost_breakdown(&counts);
        let priced = match &self.byok {
            Some(byok) => Priced {
                cost: byok.fee.fee(price.total),
                upstream_cost: Some(price.total),
            },
            None => Priced {
                cost: price.total,
                upstream_cost: None,
            },
        };
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
        usage.cost = serde_json::to_value(priced.cost).ok();
        usage.is_byok = Some(self.is_byok);
        usage.cost_details = Some(serde_json::json!({
            "upstream_inference_cost": priced.upstream_cost,
            "upstream_inference_prompt_cost": price.prompt,
            "upstream_inference_completions_cost": price.completion,
        }));
        priced
    }

    /// What the caller is charged from credits for a generation whose price at this endpoint
    /// is `platform_price`, at most (nothing is counted): the price itself, or for a BYOK
    /// target the fee. For reserving credit before the request.
    pub fn quote(&self, platform_price: Nanos) -> Nanos {
        match &self.byok {
            Some(byok) => byok.fee.quote(platform_price),
            None => platform_price,
        }
    }

    /// A failure that says the organization's own key is unusable (401/403 from the
    /// provider): the key is skipped for the rest of the request, and the endpoint's health
    /// is not blamed.
    fn byok_rejected(&self, err: &UpstreamError) -> bool {
        self.is_byok
            && matches!(
                err.error_type,
                ErrorType::Authentication | ErrorType::PermissionDenied
            )
    }

    /// A failure of the organization's own key or account (rejected, out of quota, rate
    /// limited): the next target may serve, and the shared endpoint's health is untouched.
    fn byok_account_failure(&self, err: &UpstreamError) -> bool {
        self.byok_rejected(err)
            || (self.is_byok
                && matches!(
                    err.error_type,
                    ErrorType::PaymentRequired | ErrorType::RateLimitExceeded
                ))
    }
}

/// One try at one provider, as recorded on the generation.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptRecord {
    /// The provider's display name.
    pub provider: String,
    pub provider_slug: String,
    /// The endpoint's tag.
    pub endpoint: String,
    pub model: String,
    /// The upstream's HTTP status (`None`: no answer, or skipped).
    pub status: Option<u16>,
    /// Milliseconds from the request's start to this attempt's start.
    pub started_ms: u64,
    /// Milliseconds this attempt took (to the response headers, or to the failure).
    pub latency_ms: u64,
    pub error: Option<String>,
    /// OpenRouter's `error_type` of the failure.
    pub error_type: Option<&'static str>,
    /// Why the endpoint was not tried (circuit open, rate-limit cooling, retry budget spent).
    pub skipped: Option<String>,
    /// The organization's own key this attempt used (its id; never the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byok_key_id: Option<String>,
    /// The provider rejected that key (401/403): it was not tried again in this request.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub byok_key_rejected: bool,
}

/// What happened to a request, for the generation record and billing.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The endpoint that answered.
    pub served: Option<Target>,
    pub usage: Usage,
    /// What the caller is charged from credits: the platform price, or for BYOK the fee.
    pub cost: Nanos,
    pub is_byok: bool,
    /// BYOK only: the provider's price, billed to the organization by the provider.
    pub upstream_cost: Option<Nanos>,
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
    /// The token counts as the upstream reported them; `None` when it reported none (then
    /// `usage` holds the gateway's estimate).
    pub native_tokens: Option<NativeTokens>,
    /// The response, kept only for an organization that stores its completions (see
    /// `usage::content`): the whole response, or a stream's chunks folded into one.
    pub response: Option<Box<ChatResponse>>,
    /// The stream's response was cut at the storage cap while it was folded.
    pub response_cut: bool,
}

/// An upstream's own token counts (OpenRouter's `native_tokens_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NativeTokens {
    pub prompt: u64,
    pub completion: u64,
    pub reasoning: u64,
    pub cached: u64,
}

impl NativeTokens {
    pub fn of(usage: &Usage) -> Self {
        NativeTokens {
            prompt: usage.prompt_tokens,
            completion: usage.completion_tokens,
            reasoning: usage.reasoning_tokens(),
            cached: usage.cached_tokens(),
        }
    }
}

impl Outcome {
    /// The provider that served, else the last one tried (for error metadata).
    pub fn provider_name(&self) -> Option<String> {
        self.served
            .as_ref()
            .map(|t| t.provider_name.clone())
            .or_else(|| {
                self.attempts
                    .iter()
                    .rev()
                    .find(|a| a.skipped.is_none())
                    .or(self.attempts.last())
                    .map(|a| a.provider.clone())
            })
    }
}

#[derive(Clone)]
pub struct Relay {
    pub client: UpstreamClient,
    /// Interval of `: OPENROUTER PROCESSING` comments while waiting.
    pub keep_alive: Duration,
    /// Endpoint health: breakers consulted before each attempt, statistics recorded after.
    pub health: Arc<HealthBoard>,
    /// Time from the request's start within which failed attempts move on to the next
    /// candidate; no new attempt starts after it.
    pub retry_budget: Duration,
}

/// An upstream that answered 2xx: which target, its response, and when the attempt began.
pub(crate) struct Connected {
    pub index: usize,
    pub response: UpstreamResponse,
    pub ctx: CallContext,
    pub attempt_started: Instant,
}

/// An exchange's timings for the health board, ending now: latency to the response headers,
/// time to the first token the client got (`ttft`; the whole body when not streamed), and
/// output speed.
pub(crate) fn sample(
    attempt_started: Instant,
    headers_at: Instant,
    ttft: Option<Instant>,
    tokens: u64,
) -> Sample {
    let end = Instant::now();
    let since_start = |t: Instant| t.saturating_duration_since(attempt_started);
    let first = ttft.unwrap_or(end);
    let generating = end.saturating_duration_since(first);
    // Streams: speed while generating. A whole body: over the whole exchange.
    let span = if ttft.is_some() && generating.as_millis() > 0 {
        generating
    } else {
        since_start(end)
    };
    Sample {
        latency_ms: since_start(headers_at).as_millis() as u64,
        ttft_ms: Some(since_start(first).as_millis() as u64),
        tokens_per_sec: (tokens > 0 && !span.is_zero()).then(|| tokens as f64 / span.as_secs_f64()),
    }
}

enum Tried {
    Connected(Connected),
    /// Failed; `true` when the next candidate may be tried.
    Failed(UpstreamError, bool),
}

impl Relay {
    /// Tries the targets in order until one answers 2xx. Retryable failures move on to the next
    /// target while the retry budget lasts; a request the upstream rejects as invalid does not.
    /// Endpoints whose breaker is open or that cool after a rate limit are skipped — unless no
    /// attempt succeeded otherwise, then the one free soonest is tried all the same: health
    /// statistics alone never fail a request a provider might answer.
    /// `stream` chooses the (shorter) wait for a stream's response headers.
    pub(crate) async fn connect(
        &self,
        targets: &[Target],
        build: impl Fn(&Target) -> Result<(UpstreamRequest, CallContext), UpstreamError>,
        attempts: &mut Vec<AttemptRecord>,
        started: Instant,
        stream: bool,
    ) -> Result<Connected, UpstreamError> {
        let first_byte = self.client.timeouts.first_byte(stream);
        let deadline = started + self.retry_budget;
        let mut last_error = None;
        let mut tried = false;
        // Skipped for their health: (index, board time they are free again).
        let mut skipped: Vec<(usize, u64)> = Vec::new();
        for (index, target) in targets.iter().enumerate() {
            if tried && Instant::now() >= deadline {
                attempts.push(skip(target, started, "retry budget exhausted"));
                continue;
            }
            if let Some(byok) = &target.byok
                && attempts
                    .iter()
                    .any(|a| a.byok_key_rejected && a.byok_key_id.as_deref() == Some(&byok.key_id))
            {
                attempts.push(skip(target, started, "BYOK key rejected by the provider"));
                continue;
            }
            let probe = match self.health.admit(&target.model_id, &target.endpoint_tag) {
                Admission::Unavailable { until_ms, reason } => {
                    attempts.push(skip(target, started, reason.as_str()));
                    skipped.push((index, until_ms));
                    continue;
                }
                Admission::Probe => true,
                Admission::Available => false,
            };
            tried = true;
            match self
                .attempt(
                    index, target, &build, attempts, started, deadline, first_byte, probe,
                )
                .await
            {
                Tried::Connected(connected) => return Ok(connected),
                Tried::Failed(err, go_on) => {
                    last_error = Some(err);
                    if !go_on {
                        return Err(last_error.unwrap_or_else(nothing_tried));
                    }
                }
            }
        }
        // Last resort: the skipped endpoint that is free soonest.
        if let Some(&(index, _)) = skipped.iter().min_by_key(|(_, until)| *until)
            && (!tried || Instant::now() < deadline)
        {
            let target = &targets[index];
            tracing::info!(provider = %target.provider_slug, endpoint = %target.endpoint_tag, "every candidate unavailable or failed; trying the one free soonest");
            match self
                .attempt(
                    index, target, &build, attempts, started, deadline, first_byte, false,
                )
                .await
            {
                Tried::Connected(connected) => return Ok(connected),
                Tried::Failed(err, _) => last_error = Some(err),
            }
        }
        Err(last_error.unwrap_or_else(nothing_tried))
    }

    /// One attempt at one target, in a span of its own (provider, model, attempt number and
    /// the upstream's status; never the request's content).
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        index: usize,
        target: &Target,
        build: &impl Fn(&Target) -> Result<(UpstreamRequest, CallContext), UpstreamError>,
        attempts: &mut Vec<AttemptRecord>,
        started: Instant,
        deadline: Instant,
        first_byte: Duration,
        probe: bool,
    ) -> Tried {
        let number = attempts.iter().filter(|a| a.skipped.is_none()).count() + 1;
        // At error level, like the request's span: present on every line whatever `LOG` is.
        let span = tracing::error_span!(
            "upstream",
            provider = %target.provider_slug,
            model = %target.model_id,
            attempt = number,
            status = tracing::field::Empty,
        );
        tracing::Instrument::instrument(
            self.attempt_in_span(
                index, target, build, attempts, started, deadline, first_byte, probe,
            ),
            span,
        )
        .await
    }

    /// One attempt at one target; failures are recorded on the request and the health board.
    #[allow(clippy::too_many_arguments)]
    async fn attempt_in_span(
        &self,
        index: usize,
        target: &Target,
        build: &impl Fn(&Target) -> Result<(UpstreamRequest, CallContext), UpstreamError>,
        attempts: &mut Vec<AttemptRecord>,
        started: Instant,
        deadline: Instant,
        first_byte: Duration,
        probe: bool,
    ) -> Tried {
        let attempt_started = Instant::now();
        let record = |status: Option<u16>, err: Option<&UpstreamError>| AttemptRecord {
            status,
            latency_ms: attempt_started.elapsed().as_millis() as u64,
            error: err.map(|e| e.message.clone()),
            error_type: err.map(|e| e.error_type.as_str()),
            started_ms: attempt_started
                .saturating_duration_since(started)
                .as_millis() as u64,
            ..skip(target, started, "")
        };
        let (upstream, ctx) = match build(target) {
            Ok(built) => built,
            Err(err) => {
                // Never sent: says nothing about the endpoint's health.
                if probe {
                    self.health.release(&target.model_id, &target.endpoint_tag);
                }
                attempts.push(record(None, Some(&err)));
                let go_on = err.retryable;
                return Tried::Failed(err, go_on);
            }
        };
        // The first byte must come within its timeout and within what is left of the budget
        // (the first attempt is made even when routing used the budget up).
        let left = deadline.saturating_duration_since(attempt_started);
        let first_byte = first_byte.min(left.max(Duration::from_millis(1)));
        match self
            .client
            .send(
                &target.provider_slug,
                target.adapter.as_ref(),
                &target.base_url,
                upstream,
                first_byte,
            )
            .await
        {
            Ok(response) => {
                tracing::Span::current().record("status", response.status.as_u16());
                attempts.push(record(Some(response.status.as_u16()), None));
                // It answered: a half-open breaker closes now, not when a long stream ends.
                self.health
                    .record_answered(&target.model_id, &target.endpoint_tag);
                Tried::Connected(Connected {
                    index,
                    response,
                    ctx,
                    attempt_started,
                })
            }
            Err(err) => {
                tracing::Span::current()
                    .record("status", err.upstream_status.unwrap_or(err.status));
                let mut attempt = record(err.upstream_status, Some(&err));
                attempt.byok_key_rejected = target.byok_rejected(&err);
                attempts.push(attempt);
                let byok_failure = target.byok_account_failure(&err);
                if byok_failure {
                    // The organization's key or account, not the endpoint; a probe's slot is
                    // given back.
                    if probe {
                        self.health.release(&target.model_id, &target.endpoint_tag);
                    }
                } else {
                    self.health
                        .record_error(&target.model_id, &target.endpoint_tag, &err);
                }
                tracing::warn!(provider = %target.provider_slug, status = err.status, byok = target.is_byok, error = %err.message, "upstream attempt failed");
                let go_on = err.retryable || byok_failure;
                Tried::Failed(err, go_on)
            }
        }
    }
}

impl Relay {
    /// An endpoint answered 2xx but its body failed (unreadable, stalled, malformed): counted
    /// against it, and noted on its attempt.
    fn body_failed(&self, target: &Target, err: &UpstreamError, attempts: &mut [AttemptRecord]) {
        self.health
            .record_error(&target.model_id, &target.endpoint_tag, err);
        if let Some(attempt) = attempts.last_mut() {
            attempt.error = Some(err.message.clone());
            attempt.error_type = Some(err.error_type.as_str());
        }
        tracing::warn!(provider = %target.provider_slug, error = %err.message, "upstream body failed");
    }

    /// Whether a failure before anything reached the client may move on to the next target.
    fn may_move_on(&self, err: &UpstreamError, index: usize, len: usize, started: Instant) -> bool {
        err.retryable && index + 1 < len && started.elapsed() < self.retry_budget
    }
}

/// An attempt that was not made.
fn skip(target: &Target, started: Instant, reason: &str) -> AttemptRecord {
    AttemptRecord {
        provider: target.provider_name.clone(),
        provider_slug: target.provider_slug.clone(),
        endpoint: target.endpoint_tag.clone(),
        model: target.model_id.clone(),
        status: None,
        started_ms: started.elapsed().as_millis() as u64,
        latency_ms: 0,
        error: None,
        error_type: None,
        skipped: (!reason.is_empty()).then(|| reason.to_owned()),
        byok_key_id: target.byok.as_ref().map(|b| b.key_id.clone()),
        byok_key_rejected: false,
    }
}

fn nothing_tried() -> UpstreamError {
    UpstreamError::new(
        "gateway",
        ErrorType::ProviderOverloaded,
        "no provider could be tried",
    )
}

/// A rough token count for text (4 characters per token), for billing what a cancelled or
/// usage-less stream generated when the upstream gave no counts.
pub fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

/// Input images in a request's messages, for per-image prices.
pub fn request_images(request: &ChatRequest) -> u64 {
    request.messages.iter().map(|m| m.image_count()).sum()
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
