//! The catalog as written: the TOML data file's shape, and the shape admin
//! overrides from the database take. Everything stays a string or a plain
//! number until [`super::Catalog::build`] validates it, so errors can name
//! the entry they belong to.
//!
//! A snapshot is built from one [`CatalogSource`]: the shipped file, then
//! overrides merged over it with [`CatalogSource::merge`] (later wins, by
//! provider slug and model id; `enabled = false` hides an entry).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::types::{DataPolicy, DefaultParameters, ReasoningInfo};

/// One catalog document (or one batch of overrides).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSource {
    /// Named lists of parameters; `"@name"` in any `supported_parameters`
    /// list expands to the list.
    #[serde(default)]
    pub parameter_sets: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub providers: Vec<ProviderSpec>,
    #[serde(default)]
    pub models: Vec<ModelSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    pub slug: String,
    pub name: String,
    /// `openai`, `anthropic` or `gemini`.
    pub protocol: String,
    pub base_url: String,
    /// Defaults to `<SLUG>_API_KEY` (slug upper-cased, `-` → `_`).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Defaults to `<SLUG>_BASE_URL`.
    #[serde(default)]
    pub base_url_env: Option<String>,
    #[serde(default = "yes")]
    pub requires_api_key: bool,
    /// An `openai_compat` quirks preset name.
    #[serde(default)]
    pub quirks: Option<String>,
    #[serde(default)]
    pub privacy_policy_url: Option<String>,
    #[serde(default)]
    pub terms_of_service_url: Option<String>,
    #[serde(default)]
    pub status_page_url: Option<String>,
    #[serde(default)]
    pub headquarters: Option<String>,
    #[serde(default)]
    pub datacenters: Vec<String>,
    #[serde(default)]
    pub data_policy: DataPolicy,
    #[serde(default)]
    pub is_moderated: bool,
    #[serde(default)]
    pub implicit_caching: bool,
    #[serde(default)]
    pub supported_parameters: Vec<String>,
    #[serde(default)]
    pub self_hosted: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// Prices as decimal strings in USD: token prices **per million tokens**
/// (`prompt = "0.15"`), `image` and `request` **per unit**.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingSpec {
    pub prompt: String,
    pub completion: String,
    #[serde(default)]
    pub cache_read: Option<String>,
    #[serde(default)]
    pub cache_write: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub request: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub id: String,
    #[serde(default)]
    pub canonical_slug: Option<String>,
    pub name: String,
    pub created: i64,
    #[serde(default)]
    pub description: String,
    pub context_length: u64,
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    #[serde(default = "text_only")]
    pub input_modalities: Vec<String>,
    #[serde(default = "text_only")]
    pub output_modalities: Vec<String>,
    #[serde(default)]
    pub tokenizer: Option<String>,
    #[serde(default)]
    pub instruct_type: Option<String>,
    #[serde(default)]
    pub supported_parameters: Vec<String>,
    #[serde(default)]
    pub default_parameters: Option<DefaultParameters>,
    #[serde(default)]
    pub reasoning: Option<ReasoningInfo>,
    #[serde(default)]
    pub hugging_face_id: Option<String>,
    #[serde(default)]
    pub knowledge_cutoff: Option<String>,
    #[serde(default)]
    pub expiration_date: Option<String>,
    /// Default prices for endpoints that give none.
    #[serde(default)]
    pub pricing: Option<PricingSpec>,
    /// Default quantization for endpoints that give none (else `unknown`).
    #[serde(default)]
    pub quantization: Option<String>,
    /// In preference order: the first is the "top provider".
    #[serde(default)]
    pub endpoints: Vec<EndpointSpec>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A model on one provider; every optional field overrides the model's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    pub provider: String,
    pub upstream_model: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub context_length: Option<u64>,
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    #[serde(default)]
    pub max_prompt_tokens: Option<u64>,
    #[serde(default)]
    pub pricing: Option<PricingSpec>,
    #[serde(default)]
    pub quantization: Option<String>,
    /// Replaces (rather than narrows) the computed parameter list.
    #[serde(default)]
    pub supported_parameters: Option<Vec<String>>,
    #[serde(default)]
    pub implicit_caching: Option<bool>,
    #[serde(default)]
    pub is_moderated: Option<bool>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn text_only() -> Vec<String> {
    vec!["text".to_owned()]
}

impl CatalogSource {
    /// Parses a TOML document; unknown keys are errors (typo guard).
    pub fn from_toml(text: &str) -> Result<CatalogSource, toml::de::Error> {
        toml::from_str(text)
    }

    /// Lays `overlay` over `self`: a provider or model with the same slug/id
    /// replaces the existing entry in place (keeping its position), new ones
    /// are appended; parameter sets merge by name.
    pub fn merge(&mut self, overlay: CatalogSource) {
        self.parameter_sets.extend(overlay.parameter_sets);
        for p in overlay.providers {
            match self.providers.iter_mut().find(|q| q.slug == p.slug) {
                Some(slot) => *slot = p,
                None => self.providers.push(p),
            }
        }
        for m in overlay.models {
            match self.models.iter_mut().find(|q| q.id == m.id) {
                Some(slot) => *slot = m,
                None => self.models.push(m),
            }
        }
    }
}
