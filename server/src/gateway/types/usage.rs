//! Token usage. Counts are integers; cost fields are filled by billing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::billing::cost::GenerationUsage;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Usage {
    pub prompt_tokens: u64,
    /// Absent on embeddings responses.
    #[serde(default)]
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
    /// Set by billing only. Kept as a raw JSON value so the gateway never
    /// touches money arithmetic; billing renders its exact decimal here: the USD charged to
    /// credits, as a JSON number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub cost: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_byok: Option<bool>,
    /// `upstream_inference_cost` (the provider's price when an organization's own key
    /// served it, else null), `upstream_inference_prompt_cost`,
    /// `upstream_inference_completions_cost`: USD numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub cost_details: Option<Value>,
}

impl Usage {
    pub fn cached_tokens(&self) -> u64 {
        self.prompt_tokens_details
            .as_ref()
            .map_or(0, |d| d.cached_tokens)
    }

    pub fn cache_write_tokens(&self) -> u64 {
        self.prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cache_write_tokens)
            .unwrap_or(0)
    }

    pub fn reasoning_tokens(&self) -> u64 {
        self.completion_tokens_details
            .as_ref()
            .map_or(0, |d| d.reasoning_tokens)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PromptTokensDetails {
    #[serde(default)]
    pub cached_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompletionTokensDetails {
    #[serde(default)]
    pub reasoning_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_prediction_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_prediction_tokens: Option<u64>,
}

impl From<&Usage> for GenerationUsage {
    /// One request; images are counted by the caller, who saw the request.
    fn from(u: &Usage) -> Self {
        GenerationUsage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            cached_tokens: u.cached_tokens(),
            cache_write_tokens: u.cache_write_tokens(),
            reasoning_tokens: u.reasoning_tokens(),
            images: 0,
            requests: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::cost::fixtures::gpt4o_mini;

    #[test]
    fn from_canonical_usage() {
        let usage = Usage {
            prompt_tokens: 1_000,
            completion_tokens: 200,
            total_tokens: 1_200,
            prompt_tokens_details: Some(PromptTokensDetails {
                cached_tokens: 800,
                cache_write_tokens: Some(100),
                audio_tokens: None,
            }),
            completion_tokens_details: Some(CompletionTokensDetails {
                reasoning_tokens: 50,
                ..Default::default()
            }),
            ..Default::default()
        };
        let g = GenerationUsage::from(&usage);
        assert_eq!((g.cached_tokens, g.cache_write_tokens), (800, 100));
        assert_eq!((g.reasoning_tokens, g.requests), (50, 1));
        // 100 fresh × 0.15 + 800 × 0.075 + 100 × 0.15 + 200 × 0.60 = 210 µUSD.
        assert_eq!(gpt4o_mini().cost(&g).as_nanos(), 210_000);
    }
}
