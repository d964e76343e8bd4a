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

/// A provider as `PUT /admin/catalog/providers/{slug}` takes it (a `[[providers]]` entry of
/// the catalog file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CatalogProviderSpec)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// Lower-case letters, digits, `-` and `_`; the same as the path's.
    #[schema(pattern = r"^[a-z0-9_-]+$")]
    pub slug: String,
    #[schema(schema_with = super::spec_doc::not_blank_string)]
    pub name: String,
    /// The wire protocol.
    #[schema(schema_with = super::spec_doc::protocol)]
    pub protocol: String,
    /// As the provider's own SDK takes it; trailing `/` are dropped.
    #[schema(schema_with = super::spec_doc::base_url)]
    pub base_url: String,
    /// Defaults to `<SLUG>_API_KEY` (slug upper-cased, `-` → `_`).
    #[serde(default)]
    #[schema(pattern = "^[A-Z0-9_]+$")]
    pub api_key_env: Option<String>,
    /// Defaults to `<SLUG>_BASE_URL`.
    #[serde(default)]
    #[schema(pattern = "^[A-Z0-9_]+$")]
    pub base_url_env: Option<String>,
    #[serde(default = "yes")]
    pub requires_api_key: bool,
    /// An `openai_compat` quirks preset name.
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::quirks)]
    pub quirks: Option<String>,
    #[serde(default)]
    pub privacy_policy_url: Option<String>,
    #[serde(default)]
    pub terms_of_service_url: Option<String>,
    #[serde(default)]
    pub status_page_url: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    #[schema(pattern = "^[A-Z]{2}$")]
    pub headquarters: Option<String>,
    /// ISO 3166-1 alpha-2 codes.
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::countries)]
    pub datacenters: Vec<String>,
    #[serde(default)]
    pub data_policy: DataPolicy,
    #[serde(default)]
    pub is_moderated: bool,
    #[serde(default)]
    pub implicit_caching: bool,
    /// What the host accepts at all (an endpoint keeps its model's list narrowed to it).
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::parameters)]
    pub supported_parameters: Vec<String>,
    #[serde(default)]
    pub self_hosted: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// Prices as decimal strings in USD: token prices **per million tokens**
/// (`prompt = "0.15"`), `image` and `request` **per unit**.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CatalogPricingSpec)]
#[serde(deny_unknown_fields)]
pub struct PricingSpec {
    /// USD per million tokens, e.g. `"0.15"` (below a billion, at most 9 decimals).
    #[schema(schema_with = super::spec_doc::price_per_million)]
    pub prompt: String,
    #[schema(schema_with = super::spec_doc::price_per_million)]
    pub completion: String,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::price_per_million_or_null)]
    pub cache_read: Option<String>,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::price_per_million_or_null)]
    pub cache_write: Option<String>,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::price_per_million_or_null)]
    pub reasoning: Option<String>,
    /// USD per image (below a thousand, at most 15 decimals).
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::price_per_unit_or_null)]
    pub image: Option<String>,
    /// USD per request (below a thousand, at most 15 decimals).
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::price_per_unit_or_null)]
    pub request: Option<String>,
}

/// A model with its endpoints as `PUT /admin/catalog/models/{author}/{slug}` takes it (a
/// `[[models]]` entry of the catalog file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CatalogModelSpec)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// `author/name` (printable ASCII, no spaces); the same as the path's.
    #[schema(pattern = r"^[!-.0-~]+/[!-.0-~]+$")]
    pub id: String,
    /// Defaults to `id`; unique among the models.
    #[serde(default)]
    #[schema(pattern = r"^[!-.0-~]+/[!-.0-~]+$")]
    pub canonical_slug: Option<String>,
    #[schema(schema_with = super::spec_doc::not_blank_string)]
    pub name: String,
    /// Unix seconds.
    pub created: i64,
    #[serde(default)]
    pub description: String,
    #[schema(minimum = 1, maximum = 9223372036854775807_u64)]
    pub context_length: u64,
    #[serde(default)]
    #[schema(maximum = 9223372036854775807_u64)]
    pub max_output_tokens: Option<u64>,
    #[serde(default = "text_only")]
    #[schema(schema_with = super::spec_doc::input_modalities)]
    pub input_modalities: Vec<String>,
    #[serde(default = "text_only")]
    #[schema(schema_with = super::spec_doc::output_modalities)]
    pub output_modalities: Vec<String>,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::tokenizer)]
    pub tokenizer: Option<String>,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::instruct_type)]
    pub instruct_type: Option<String>,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::parameters)]
    pub supported_parameters: Vec<String>,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::default_parameters)]
    pub default_parameters: Option<DefaultParameters>,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::reasoning)]
    pub reasoning: Option<ReasoningInfo>,
    #[serde(default)]
    pub hugging_face_id: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub knowledge_cutoff: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub expiration_date: Option<String>,
    /// Default prices for endpoints that give none.
    #[serde(default)]
    pub pricing: Option<PricingSpec>,
    /// Default quantization for endpoints that give none (else `unknown`).
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::quantization)]
    pub quantization: Option<String>,
    /// In preference order: the first is the "top provider". Each names a provider of the
    /// catalog and a tag (default: the provider) no other endpoint of the model has; an
    /// endpoint without `pricing` takes the model's, which must then be given.
    #[schema(min_items = 1)]
    pub endpoints: Vec<EndpointSpec>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A model on one provider; every optional field overrides the model's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CatalogEndpointSpec)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// A provider of the catalog.
    pub provider: String,
    /// The model's name at the provider.
    #[schema(schema_with = super::spec_doc::not_blank_string)]
    pub upstream_model: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 9223372036854775807_u64)]
    pub context_length: Option<u64>,
    #[serde(default)]
    #[schema(maximum = 9223372036854775807_u64)]
    pub max_output_tokens: Option<u64>,
    #[serde(default)]
    #[schema(maximum = 9223372036854775807_u64)]
    pub max_prompt_tokens: Option<u64>,
    #[serde(default)]
    pub pricing: Option<PricingSpec>,
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::quantization)]
    pub quantization: Option<String>,
    /// Replaces (rather than narrows) the computed parameter list.
    #[serde(default)]
    #[schema(schema_with = super::spec_doc::parameters_or_null)]
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
