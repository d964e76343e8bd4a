//! Legacy text completions (`POST /completions`, object `text_completion`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::request::{Stop, StreamOptions};
use super::response::FinishReason;
use super::usage::Usage;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompletionRequest {
    #[serde(default)]
    #[schema(required = true, min_length = 1, pattern = r"\S")]
    pub model: String,
    /// A string, an array of strings, or token arrays; passed through as is.
    #[schema(value_type = String)]
    pub prompt: Value,
    /// Not supported: must be left out (or null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 2)]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1)]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -2, maximum = 2)]
    pub presence_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -2, maximum = 2)]
    pub frequency_penalty: Option<f64>,
    /// Only 1 (one completion per prompt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 1)]
    pub best_of: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    // OpenRouter extras, consumed by the gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::gateway::routing::preferences_doc::ProviderPreferencesDoc>)]
    pub provider: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transforms: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompletionResponse {
    pub id: String,
    /// `text_completion`, for both whole responses and stream chunks.
    #[schema(pattern = r"^text_completion$")]
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    pub choices: Vec<CompletionChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl CompletionResponse {
    pub const OBJECT: &'static str = "text_completion";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompletionChoice {
    pub text: String,
    pub index: u32,
    #[serde(default)]
    #[schema(value_type = Option<Object>, required = true)]
    pub logprobs: Option<Value>,
    #[serde(default)]
    #[schema(required = true)]
    pub finish_reason: Option<FinishReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_finish_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn completion_roundtrip_keeps_unknown_fields() {
        let body = json!({"model": "gpt-3.5-turbo-instruct", "prompt": ["a", "b"], "max_tokens": 7,
                          "stop": ["\n"], "echo": true, "provider": {"sort": "price"}, "x": 1});
        let req: CompletionRequest = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(req.prompt, json!(["a", "b"]));
        assert_eq!(req.extra["x"], 1);
        assert_eq!(serde_json::to_value(&req).unwrap(), body);
    }

    #[test]
    fn completion_response_shape() {
        let raw = json!({"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
            "choices": [{"text": "hi", "index": 0, "logprobs": null, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}});
        let resp: CompletionResponse = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(resp.choices[0].finish_reason, Some(FinishReason::Length));
        let out = serde_json::to_value(&resp).unwrap();
        assert_eq!(out, raw);
    }
}
