//! Per-host differences between OpenAI-compatible APIs, as data. An endpoint
//! in the catalog names a preset or carries its own `CompatQuirks`.

use serde::{Deserialize, Serialize};

/// Which field carries the output cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    MaxTokens,
    MaxCompletionTokens,
}

/// How the host takes reasoning controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningParam {
    /// Flat `reasoning_effort` (OpenAI, Groq, xAI, vLLM...).
    Effort,
    /// OpenRouter's `reasoning` object, and reasoning history on messages.
    OpenRouter,
    /// Not configurable; reasoning fields are dropped.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatQuirks {
    pub max_tokens_field: MaxTokensField,
    /// Honours `stream_options.include_usage`. When false the option is not
    /// sent and usage is taken from wherever the host puts it.
    pub stream_usage: bool,
    pub reasoning: ReasoningParam,
    /// Request fields the host rejects; removed before sending.
    pub drop_fields: Vec<String>,
}

/// Sampling knobs only some open-model hosts accept.
const EXOTIC_SAMPLERS: &[&str] = &["top_k", "repetition_penalty", "min_p", "top_a"];

impl Default for CompatQuirks {
    /// Plain OpenAI.
    fn default() -> Self {
        CompatQuirks::preset("openai").expect("openai preset")
    }
}

impl CompatQuirks {
    /// The presets' names, in the order [`CompatQuirks::preset`] lists them.
    pub const PRESETS: &[&str] = &[
        "openai",
        "groq",
        "cerebras",
        "xai",
        "together",
        "deepinfra",
        "fireworks",
        "vllm",
        "ollama",
        "lmstudio",
        "mistral",
        "deepseek",
        "openrouter",
    ];

    /// Known hosts by slug; `None` for an unknown slug.
    pub fn preset(host: &str) -> Option<Self> {
        use MaxTokensField::*;
        use ReasoningParam as R;
        let (max_tokens_field, stream_usage, reasoning, drop): (_, _, _, &[&str]) = match host {
            "openai" => (MaxCompletionTokens, true, R::Effort, EXOTIC_SAMPLERS),
            "groq" => (
                MaxCompletionTokens,
                true,
                R::Effort,
                &[
                    "top_k",
                    "repetition_penalty",
                    "min_p",
                    "top_a",
                    "logit_bias",
                    "logprobs",
                    "top_logprobs",
                ],
            ),
            "cerebras" => (
                MaxCompletionTokens,
                true,
                R::Effort,
                &[
                    "top_k",
                    "repetition_penalty",
                    "min_p",
                    "top_a",
                    "logit_bias",
                ],
            ),
            "xai" => (MaxTokens, true, R::Effort, EXOTIC_SAMPLERS),
            "together" | "deepinfra" | "fireworks" | "vllm" => {
                (MaxTokens, true, R::Effort, &["top_a"])
            }
            "ollama" | "lmstudio" => (MaxTokens, true, R::None, &["top_a", "repetition_penalty"]),
            // Mistral answers 422 to unknown parameters and always sends
            // usage on the last chunk without being asked.
            "mistral" => (
                MaxTokens,
                false,
                R::None,
                &[
                    "top_k",
                    "repetition_penalty",
                    "min_p",
                    "top_a",
                    "logit_bias",
                    "logprobs",
                    "top_logprobs",
                    "user",
                ],
            ),
            // deepseek-reasoner always reasons and rejects reasoning history.
            "deepseek" => (
                MaxTokens,
                true,
                R::None,
                &[
                    "top_k",
                    "repetition_penalty",
                    "min_p",
                    "top_a",
                    "logit_bias",
                    "seed",
                ],
            ),
            "openrouter" => (MaxTokens, true, R::OpenRouter, &[]),
            _ => return None,
        };
        Some(CompatQuirks {
            max_tokens_field,
            stream_usage,
            reasoning,
            drop_fields: drop.iter().map(|s| (*s).to_string()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_host_has_a_preset() {
        for h in CompatQuirks::PRESETS {
            assert!(CompatQuirks::preset(h).is_some(), "{h}");
        }
        assert!(CompatQuirks::preset("nope").is_none());
    }

    #[test]
    fn quirks_are_plain_data() {
        let q = CompatQuirks::preset("mistral").unwrap();
        let back: CompatQuirks = serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
        assert_eq!(back, q);
        assert!(!q.stream_usage);
    }
}
