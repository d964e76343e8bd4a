//! The validated catalog entries. Built only by [`super::Catalog::build`], so
//! every value here has passed validation (known provider, protocol, quirks,
//! vocabulary; exact prices).

use serde::{Deserialize, Serialize};

pub use api_types::catalog::{DefaultParameters, Quantization, ReasoningInfo};

use crate::billing::cost::Pricing;
use crate::gateway::providers::CompatQuirks;

/// The wire protocol of a provider: the adapter names in
/// [`crate::gateway::providers::ProviderRegistry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[serde(rename = "openai")]
    OpenAi,
    Anthropic,
    Gemini,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::OpenAi, Protocol::Anthropic, Protocol::Gemini];

    /// The adapter's registry name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::OpenAi => "openai",
            Protocol::Anthropic => "anthropic",
            Protocol::Gemini => "gemini",
        }
    }

    pub fn parse(name: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// What a provider does with prompts, as its published terms state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ProviderDataPolicy)]
#[serde(deny_unknown_fields)]
pub struct DataPolicy {
    /// May train on API prompts and completions (by default).
    #[serde(default)]
    pub trains_on_prompts: bool,
    /// Keeps prompts after the response (e.g. for abuse monitoring).
    #[serde(default)]
    pub retains_prompts: bool,
    /// How long retained prompts are kept, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub retention_days: Option<u32>,
    /// Zero data retention can be arranged (per account or by default).
    #[serde(default)]
    pub zdr_available: bool,
}

/// A host that serves models over one wire protocol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provider {
    /// URL-safe id, e.g. `together`, `google-ai-studio`.
    pub slug: String,
    /// Display name (OpenRouter's `ProviderName` spelling where it has one).
    pub name: String,
    pub protocol: Protocol,
    /// Default base URL, in the form the provider's own SDK takes it; no
    /// trailing slash.
    pub base_url: String,
    /// Environment variable holding the API key, e.g. `OPENAI_API_KEY`.
    pub api_key_env: String,
    /// Environment variable overriding the base URL, e.g. `OPENAI_BASE_URL`.
    pub base_url_env: String,
    /// False for local servers (Ollama, vLLM) that accept any key.
    pub requires_api_key: bool,
    /// Name of the `CompatQuirks` preset (openai protocol only).
    pub quirks_preset: Option<String>,
    /// The preset, resolved once at load.
    #[serde(skip)]
    pub quirks: Option<CompatQuirks>,
    pub privacy_policy_url: Option<String>,
    pub terms_of_service_url: Option<String>,
    pub status_page_url: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub headquarters: Option<String>,
    /// ISO 3166-1 alpha-2 codes.
    pub datacenters: Vec<String>,
    pub data_policy: DataPolicy,
    /// Applies its own moderation to inputs.
    pub is_moderated: bool,
    /// Caches prompt prefixes without being asked (default for its endpoints).
    pub implicit_caching: bool,
    /// Parameters the host accepts at all; endpoints keep the intersection
    /// with their model's. Empty means no restriction.
    pub supported_parameters: Vec<String>,
    /// A local server the operator runs (shown, never counted as hosted).
    pub self_hosted: bool,
}

/// A model, independent of who serves it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// `author/slug`, possibly with a `:variant` suffix.
    pub id: String,
    /// Permanent slug (often dated); defaults to `id`.
    pub canonical_slug: String,
    /// The part of `id` before `/`.
    pub author: String,
    pub name: String,
    /// Unix seconds of the model's release.
    pub created: i64,
    pub description: String,
    /// Native context window in tokens.
    pub context_length: u64,
    /// Native output cap, where the model has one.
    pub max_output_tokens: Option<u64>,
    pub input_modalities: Vec<String>,
    pub output_modalities: Vec<String>,
    pub tokenizer: Option<String>,
    pub instruct_type: Option<String>,
    /// What the model itself can do; endpoints narrow it.
    pub supported_parameters: Vec<String>,
    pub default_parameters: Option<DefaultParameters>,
    pub reasoning: Option<ReasoningInfo>,
    pub hugging_face_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub knowledge_cutoff: Option<String>,
    /// `YYYY-MM-DD` after which the model may be removed.
    pub expiration_date: Option<String>,
}

impl Model {
    /// OpenRouter's `modality`: `text+image->text`.
    pub fn modality(&self) -> String {
        format!(
            "{}->{}",
            self.input_modalities.join("+"),
            self.output_modalities.join("+")
        )
    }

    /// The slug after `author/` (used in `/models/{author}/{slug}/endpoints`).
    pub fn slug(&self) -> &str {
        self.id.split_once('/').map_or(&self.id, |(_, s)| s)
    }
}

/// A model as served by one provider, with that provider's limits and prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    pub model_id: String,
    pub provider: String,
    /// Unique per model; defaults to the provider slug (`deepinfra/fp8` when
    /// one provider serves a model twice).
    pub tag: String,
    /// The model name the provider expects, e.g. `llama-3.3-70b-versatile`.
    pub upstream_model: String,
    pub context_length: u64,
    pub max_output_tokens: Option<u64>,
    pub max_prompt_tokens: Option<u64>,
    pub pricing: Pricing,
    pub quantization: Quantization,
    pub supported_parameters: Vec<String>,
    pub implicit_caching: bool,
    pub is_moderated: bool,
    // Positions in the snapshot's tables, so lookups never hash.
    #[serde(skip)]
    pub(super) model_index: usize,
    #[serde(skip)]
    pub(super) provider_index: usize,
}

impl Endpoint {
    pub fn supports(&self, parameter: &str) -> bool {
        self.supported_parameters.iter().any(|p| p == parameter)
    }
}
