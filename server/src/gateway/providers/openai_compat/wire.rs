//! The fast path for whole OpenAI-compatible responses: the body is read straight into these
//! lenient types (nulls and absent fields both accepted, unknown fields ignored) and
//! converted, with no intermediate JSON value. Anything they do not fit returns `None`, and
//! the value-based path in `response.rs` takes over; a test checks that both agree on every
//! recorded response.

use serde::Deserialize;
use serde_json::Value;

use crate::gateway::providers::CallContext;
use crate::gateway::types::{
    ChatResponse, Choice, CompletionTokensDetails, FinishReason, PromptTokensDetails,
    ReasoningDetail, ResponseMessage, ToolCall, Usage,
};

#[derive(Deserialize)]
struct WireResponse {
    /// Any in-band error sends the body down the general path, which reports it.
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    created: Option<u64>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    system_fingerprint: Option<String>,
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    index: u32,
    message: WireMessage,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    native_finish_reason: Option<String>,
    #[serde(default)]
    logprobs: Option<Value>,
}

#[derive(Deserialize)]
struct WireMessage {
    role: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
    #[serde(default)]
    reasoning: Option<String>,
    /// DeepSeek's and vLLM's name for `reasoning`.
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning_details: Option<Vec<ReasoningDetail>>,
}

#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: Option<u64>,
    total_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<WirePromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<WireCompletionDetails>,
    /// DeepSeek's cache hits.
    #[serde(default)]
    prompt_cache_hit_tokens: Option<u64>,
    #[serde(default)]
    cost: Option<Value>,
    #[serde(default)]
    is_byok: Option<bool>,
    #[serde(default)]
    cost_details: Option<Value>,
}

#[derive(Deserialize)]
struct WirePromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
    #[serde(default)]
    cache_write_tokens: Option<u64>,
    #[serde(default)]
    audio_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct WireCompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
    #[serde(default)]
    audio_tokens: Option<u64>,
    #[serde(default)]
    accepted_prediction_tokens: Option<u64>,
    #[serde(default)]
    rejected_prediction_tokens: Option<u64>,
}

/// The canonical response, or `None` when the body needs the general path.
pub(super) fn parse(body: &[u8], ctx: &CallContext) -> Option<ChatResponse> {
    let wire: WireResponse = serde_json::from_slice(body).ok()?;
    if wire.error.is_some() {
        return None;
    }
    Some(ChatResponse {
        id: wire.id.unwrap_or_default(),
        object: ChatResponse::OBJECT.to_owned(),
        created: wire.created.unwrap_or(ctx.created),
        model: wire.model.unwrap_or_else(|| ctx.model.clone()),
        provider: wire.provider,
        system_fingerprint: wire.system_fingerprint,
        choices: wire.choices.into_iter().map(choice).collect(),
        usage: wire.usage.map(usage),
    })
}

fn choice(c: WireChoice) -> Choice {
    let m = c.message;
    let native_finish_reason = c.native_finish_reason.or_else(|| c.finish_reason.clone());
    Choice {
        index: c.index,
        message: ResponseMessage {
            role: m.role,
            content: m.content,
            refusal: m.refusal,
            tool_calls: m.tool_calls,
            reasoning: m.reasoning.or(m.reasoning_content),
            reasoning_details: m.reasoning_details,
        },
        finish_reason: c.finish_reason.as_deref().map(FinishReason::from_openai),
        native_finish_reason,
        logprobs: c.logprobs,
    }
}

fn usage(u: WireUsage) -> Usage {
    let prompt_tokens_details = match (u.prompt_tokens_details, u.prompt_cache_hit_tokens) {
        (Some(d), _) => Some(PromptTokensDetails {
            cached_tokens: d.cached_tokens.unwrap_or(0),
            cache_write_tokens: d.cache_write_tokens,
            audio_tokens: d.audio_tokens,
        }),
        (None, Some(hit)) => Some(PromptTokensDetails {
            cached_tokens: hit,
            ..Default::default()
        }),
        (None, None) => None,
    };
    Usage {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens.unwrap_or(0),
        total_tokens: u.total_tokens,
        prompt_tokens_details,
        completion_tokens_details: u
            .completion_tokens_details
            .map(|d| CompletionTokensDetails {
                reasoning_tokens: d.reasoning_tokens.unwrap_or(0),
                audio_tokens: d.audio_tokens,
                accepted_prediction_tokens: d.accepted_prediction_tokens,
                rejected_prediction_tokens: d.rejected_prediction_tokens,
            }),
        cost: u.cost,
        is_byok: u.is_byok,
        cost_details: u.cost_details,
    }
}
