//! The public catalog's response bodies (OpenRouter's shapes): `GET /models`,
//! `GET /models/{author}/{slug}/endpoints` and `GET /providers`.
//!
//! Key presence follows tests/fixtures/openrouter/CLIENT-REQUIREMENTS.md: keys the SDKs
//! require are always written (as `null` where allowed); keys the TypeScript SDK rejects as
//! `null` are omitted instead. Prices are USD **per token** (per unit for `image`/`request`)
//! as exact decimal strings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Weight precision an endpoint serves (OpenRouter's `Quantization`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Quantization {
    Int4,
    Int8,
    Fp4,
    Mxfp4,
    Nvfp4,
    Fp6,
    Fp8,
    Mxfp8,
    Fp16,
    Bf16,
    Fp32,
    Unknown,
}

impl Quantization {
    pub const ALL: [Quantization; 12] = [
        Quantization::Int4,
        Quantization::Int8,
        Quantization::Fp4,
        Quantization::Mxfp4,
        Quantization::Nvfp4,
        Quantization::Fp6,
        Quantization::Fp8,
        Quantization::Mxfp8,
        Quantization::Fp16,
        Quantization::Bf16,
        Quantization::Fp32,
        Quantization::Unknown,
    ];

    pub fn parse(name: &str) -> Option<Quantization> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }

    /// The name as written in JSON (`fp8`).
    pub fn as_str(self) -> &'static str {
        match self {
            Quantization::Int4 => "int4",
            Quantization::Int8 => "int8",
            Quantization::Fp4 => "fp4",
            Quantization::Mxfp4 => "mxfp4",
            Quantization::Nvfp4 => "nvfp4",
            Quantization::Fp6 => "fp6",
            Quantization::Fp8 => "fp8",
            Quantization::Mxfp8 => "mxfp8",
            Quantization::Fp16 => "fp16",
            Quantization::Bf16 => "bf16",
            Quantization::Fp32 => "fp32",
            Quantization::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod quantization_tests {
    use super::Quantization;

    #[test]
    fn names_read_back() {
        for q in Quantization::ALL {
            assert_eq!(Quantization::parse(q.as_str()), Some(q));
            assert_eq!(serde_json::to_value(q).unwrap(), q.as_str());
        }
    }
}

/// Reasoning controls of a model (OpenRouter's `ModelReasoning`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasoningInfo {
    /// Reasoning cannot be turned off.
    #[serde(default)]
    pub mandatory: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_efforts: Option<Vec<String>>,
    /// Accepts `reasoning.max_tokens` (Anthropic/Gemini style budgets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_max_tokens: Option<bool>,
}

/// Sampling defaults a model recommends (OpenRouter's `DefaultParameters`).
/// Not money, so plain floats are right here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultParameters {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<i64>,
    pub frequency_penalty: Option<f64>,
    pub presence_penalty: Option<f64>,
    pub repetition_penalty: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelsListResponse {
    pub data: Vec<ModelView>,
    pub links: ListLinks,
    pub total_count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListLinks {
    /// The next page, or `null` on the last.
    pub next: Option<String>,
}

/// One entry of `GET /models` (OpenRouter's `Model`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelView {
    pub id: String,
    pub canonical_slug: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hugging_face_id: Option<String>,
    pub name: String,
    pub created: i64,
    pub description: String,
    pub context_length: Option<u64>,
    pub architecture: ModelArchitecture,
    pub pricing: PublicPricing,
    pub top_provider: TopProvider,
    pub per_request_limits: Option<PerRequestLimits>,
    pub supported_parameters: Vec<String>,
    pub default_parameters: Option<DefaultParameters>,
    pub supported_voices: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knowledge_cutoff: Option<String>,
    pub expiration_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningInfo>,
    pub links: ModelLinks,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelArchitecture {
    /// `text+image->text`.
    pub modality: Option<String>,
    pub input_modalities: Vec<String>,
    pub output_modalities: Vec<String>,
    // Optional but not nullable in the TS client's `Model` schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<String>,
    pub instruct_type: Option<String>,
}

/// OpenRouter's `PublicPricing`: USD per token as decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicPricing {
    pub prompt: String,
    pub completion: String,
    /// Per request.
    pub request: String,
    /// Per input image.
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_cache_read: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_cache_write: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_reasoning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopProvider {
    pub context_length: Option<u64>,
    pub max_completion_tokens: Option<u64>,
    pub is_moderated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerRequestLimits {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelLinks {
    /// `/api/v1/models/{id}/endpoints`.
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListEndpointsResponse {
    pub data: ModelEndpoints,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEndpoints {
    pub id: String,
    pub name: String,
    pub created: i64,
    pub description: String,
    pub architecture: EndpointsArchitecture,
    pub endpoints: Vec<PublicEndpoint>,
}

/// As [`ModelArchitecture`], but here `tokenizer` is required (nullable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointsArchitecture {
    pub modality: Option<String>,
    pub input_modalities: Vec<String>,
    pub output_modalities: Vec<String>,
    pub tokenizer: Option<String>,
    pub instruct_type: Option<String>,
}

/// OpenRouter's `PublicEndpoint`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicEndpoint {
    pub name: String,
    /// The model's canonical slug (permaslug).
    pub model_id: String,
    pub model_name: String,
    pub context_length: u64,
    pub pricing: PublicPricing,
    pub provider_name: String,
    pub tag: String,
    pub quantization: Option<Quantization>,
    pub max_completion_tokens: Option<u64>,
    pub max_prompt_tokens: Option<u64>,
    pub supported_parameters: Vec<String>,
    /// 0 = OK; negative values are OpenRouter's degraded states.
    pub status: i32,
    pub uptime_last_30m: Option<f64>,
    pub uptime_last_5m: Option<f64>,
    pub uptime_last_1d: Option<f64>,
    pub latency_last_30m: Option<PercentileStats>,
    pub throughput_last_30m: Option<PercentileStats>,
    pub supports_implicit_caching: bool,
    pub supports_tool_choice: ToolChoiceSupport,
    /// Provider built-in tools keyed by `openrouter:*` name; none yet.
    pub native_tools: BTreeMap<String, NativeTool>,
    /// `flex`, `priority`...; `null` for a standard endpoint.
    pub service_tier: Option<String>,
    pub supports_diarization: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PercentileStats {
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
    pub p99: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolChoiceSupport {
    pub auto: bool,
    pub function: bool,
    pub none: bool,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeTool {
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListProvidersResponse {
    pub data: Vec<ProviderView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    pub name: String,
    pub slug: String,
    pub privacy_policy_url: Option<String>,
    pub terms_of_service_url: Option<String>,
    pub status_page_url: Option<String>,
    pub headquarters: Option<String>,
    pub datacenters: Option<Vec<String>>,
}
