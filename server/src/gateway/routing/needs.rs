//! What a request needs from an endpoint, computed once per request without allocating.
//!
//! **Prompt estimate.** Routing cannot run a tokenizer per endpoint on the hot path, so the
//! prompt's size is estimated as (bytes of message text) / 4, rounded up, plus 85 tokens per
//! image part (OpenAI's low-detail image cost). It is an estimate: an endpoint is excluded only
//! when the estimate exceeds its context length, so a borderline prompt is left for the
//! provider to judge.

use crate::gateway::catalog::PARAMETERS;
use crate::gateway::types::{ChatRequest, ContentPart, MessageContent, ResponseFormat};

/// Tokens counted per image part in the prompt estimate.
const IMAGE_TOKENS: u64 = 85;

/// A set of [`PARAMETERS`] as bits (the vocabulary has fewer than 32 names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParamSet(pub u32);

impl ParamSet {
    pub fn bit(name: &str) -> u32 {
        PARAMETERS
            .iter()
            .position(|p| *p == name)
            .map_or(0, |i| 1 << i)
    }

    pub fn of<'a>(names: impl IntoIterator<Item = &'a String>) -> ParamSet {
        ParamSet(names.into_iter().fold(0, |acc, n| acc | Self::bit(n)))
    }

    pub fn insert(&mut self, name: &str) {
        self.0 |= Self::bit(name);
    }

    pub fn contains_all(self, other: ParamSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn names(self) -> Vec<&'static str> {
        let missing = self.0;
        PARAMETERS
            .iter()
            .enumerate()
            .filter(|(i, _)| missing & (1 << i) != 0)
            .map(|(_, p)| *p)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestNeeds {
    /// Parameters the request uses (for `require_parameters`).
    pub params: ParamSet,
    pub tools: bool,
    pub response_format: bool,
    pub images: bool,
    pub reasoning: bool,
    /// See the module documentation.
    pub prompt_tokens: u64,
    pub max_output: Option<u64>,
    /// Bytes of message text (for the auto router's thresholds).
    pub text_bytes: usize,
}

impl RequestNeeds {
    pub fn of(request: &ChatRequest) -> RequestNeeds {
        let mut n = RequestNeeds::default();
        let mut images = 0u64;
        for m in &request.messages {
            match &m.content {
                Some(MessageContent::Text(t)) => n.text_bytes += t.len(),
                Some(MessageContent::Parts(parts)) => {
                    for part in parts {
                        match part {
                            ContentPart::Text { text, .. } => n.text_bytes += text.len(),
                            ContentPart::ImageUrl { .. } => images += 1,
                            _ => {}
                        }
                    }
                }
                None => {}
            }
        }
        n.images = images > 0;
        n.prompt_tokens = (n.text_bytes as u64).div_ceil(4) + images * IMAGE_TOKENS;
        n.max_output = request.max_output_tokens().map(u64::from);
        n.tools = request.tools.as_ref().is_some_and(|t| !t.is_empty());
        n.response_format = matches!(
            request.response_format,
            Some(ResponseFormat::JsonObject | ResponseFormat::JsonSchema { .. })
        );
        n.reasoning = request.wants_reasoning();

        let p = &mut n.params;
        let mut set = |on: bool, name: &str| {
            if on {
                p.insert(name);
            }
        };
        set(n.tools, "tools");
        set(request.tool_choice.is_some(), "tool_choice");
        set(request.parallel_tool_calls.is_some(), "parallel_tool_calls");
        set(n.response_format, "response_format");
        set(
            matches!(
                request.response_format,
                Some(ResponseFormat::JsonSchema { .. })
            ),
            "structured_outputs",
        );
        set(
            request.reasoning.is_some() || request.reasoning_effort.is_some(),
            "reasoning",
        );
        set(request.include_reasoning.is_some(), "include_reasoning");
        set(request.stop.is_some(), "stop");
        set(request.seed.is_some(), "seed");
        set(request.temperature.is_some(), "temperature");
        set(request.top_p.is_some(), "top_p");
        set(request.top_k.is_some(), "top_k");
        set(n.max_output.is_some(), "max_tokens");
        set(request.frequency_penalty.is_some(), "frequency_penalty");
        set(request.presence_penalty.is_some(), "presence_penalty");
        set(request.repetition_penalty.is_some(), "repetition_penalty");
        set(request.min_p.is_some(), "min_p");
        set(request.top_a.is_some(), "top_a");
        set(request.logit_bias.is_some(), "logit_bias");
        set(request.logprobs == Some(true), "logprobs");
        set(request.top_logprobs.is_some(), "top_logprobs");
        for key in ["prediction", "verbosity", "web_search_options"] {
            set(request.extra.contains_key(key), key);
        }
        n
    }
}
