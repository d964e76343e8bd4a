//! The upstream request body, serialized straight from the canonical request: a borrowed view
//! with the host's edits applied field by field (the upstream's model name, one output-cap
//! field, reasoning in the host's form, usage asked for on streams, dropped fields), so no
//! JSON value is built in between. OpenRouter-only fields are simply not part of the view.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value};

use super::quirks::{CompatQuirks, MaxTokensField, ReasoningParam};
use crate::gateway::providers::CallContext;
use crate::gateway::types::{
    ChatRequest, Message, ReasoningConfig, ResponseFormat, Stop, StreamOptions, Tool, ToolChoice,
};

/// What an OpenAI-compatible host receives.
#[derive(Serialize)]
struct UpstreamChatBody<'a> {
    model: &'a str,
    messages: Cow<'a, [Message]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a [Tool]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'a ToolChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'a ResponseFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<&'a ReasoningConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<&'a Stop>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repetition_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_a: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logit_bias: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logprobs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_logprobs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u32>,
    /// Fields we do not model, passed through (less the host's dropped ones).
    #[serde(flatten)]
    extra: Extra<'a>,
}

/// The client's unmodelled fields, less those the host rejects.
struct Extra<'a> {
    fields: &'a Map<String, Value>,
    quirks: &'a CompatQuirks,
}

impl Serialize for Extra<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.fields.iter().filter(|(k, _)| !dropped(self.quirks, k)))
    }
}

fn dropped(quirks: &CompatQuirks, field: &str) -> bool {
    quirks.drop_fields.iter().any(|d| d == field)
}

/// The request as the host takes it, as JSON bytes.
pub(super) fn build(req: &ChatRequest, ctx: &CallContext) -> Result<Vec<u8>, serde_json::Error> {
    let q: &CompatQuirks = &ctx.quirks;
    let keep = |field: &str| !dropped(q, field);
    let cap = req.max_output_tokens();
    let (max_tokens, max_completion_tokens) = match q.max_tokens_field {
        MaxTokensField::MaxTokens => (cap, None),
        MaxTokensField::MaxCompletionTokens => (None, cap),
    };
    let (reasoning, reasoning_effort) = match q.reasoning {
        // The upstream understands our format natively (history on messages included).
        ReasoningParam::OpenRouter => (req.reasoning.as_ref(), req.reasoning_effort.as_deref()),
        ReasoningParam::Effort => (None, req.effort()),
        ReasoningParam::None => (None, None),
    };
    // Always ask for usage on streams: they are billed from it. The per-chunk `usage: null`
    // this causes is stripped by the decoder.
    let stream_options = (req.is_stream() && q.stream_usage).then(|| StreamOptions {
        include_usage: Some(true),
        extra: req
            .stream_options
            .as_ref()
            .map(|o| o.extra.clone())
            .unwrap_or_default(),
    });
    let body = UpstreamChatBody {
        model: &ctx.model,
        messages: messages(req, q.reasoning),
        tools: req.tools.as_deref().filter(|_| keep("tools")),
        tool_choice: req.tool_choice.as_ref().filter(|_| keep("tool_choice")),
        parallel_tool_calls: req
            .parallel_tool_calls
            .filter(|_| keep("parallel_tool_calls")),
        response_format: req
            .response_format
            .as_ref()
            .filter(|_| keep("response_format")),
        reasoning: reasoning.filter(|_| keep("reasoning")),
        reasoning_effort: reasoning_effort.filter(|_| keep("reasoning_effort")),
        stop: req.stop.as_ref().filter(|_| keep("stop")),
        seed: req.seed.filter(|_| keep("seed")),
        temperature: req.temperature.filter(|_| keep("temperature")),
        top_p: req.top_p.filter(|_| keep("top_p")),
        top_k: req.top_k.filter(|_| keep("top_k")),
        max_tokens: max_tokens.filter(|_| keep("max_tokens")),
        max_completion_tokens: max_completion_tokens.filter(|_| keep("max_completion_tokens")),
        frequency_penalty: req.frequency_penalty.filter(|_| keep("frequency_penalty")),
        presence_penalty: req.presence_penalty.filter(|_| keep("presence_penalty")),
        repetition_penalty: req
            .repetition_penalty
            .filter(|_| keep("repetition_penalty")),
        min_p: req.min_p.filter(|_| keep("min_p")),
        top_a: req.top_a.filter(|_| keep("top_a")),
        logit_bias: req.logit_bias.as_ref().filter(|_| keep("logit_bias")),
        logprobs: req.logprobs.filter(|_| keep("logprobs")),
        top_logprobs: req.top_logprobs.filter(|_| keep("top_logprobs")),
        user: req.user.as_deref().filter(|_| keep("user")),
        stream: req.stream.filter(|_| keep("stream")),
        stream_options: stream_options.filter(|_| keep("stream_options")),
        n: req.n.filter(|_| keep("n")),
        extra: Extra {
            fields: &req.extra,
            quirks: q,
        },
    };
    serde_json::to_vec(&body)
}

/// The messages as sent: hosts other than OpenRouter reject (DeepSeek) or ignore reasoning
/// history on messages, so it is not sent back to them. Copied only when there is some.
fn messages(req: &ChatRequest, style: ReasoningParam) -> Cow<'_, [Message]> {
    let has_history = |m: &Message| m.reasoning.is_some() || m.reasoning_details.is_some();
    if style == ReasoningParam::OpenRouter || !req.messages.iter().any(has_history) {
        return Cow::Borrowed(&req.messages);
    }
    Cow::Owned(
        req.messages
            .iter()
            .map(|m| Message {
                reasoning: None,
                reasoning_details: None,
                ..m.clone()
            })
            .collect(),
    )
}
