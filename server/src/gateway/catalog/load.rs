//! Validation: a [`CatalogSource`] in, a [`Catalog`] snapshot or the first
//! problem (naming its entry) out.

use std::collections::{BTreeMap, HashSet};

use super::snapshot::Catalog;
use super::spec::{CatalogSource, EndpointSpec, ModelSpec, PricingSpec, ProviderSpec};
use super::types::{Endpoint, Model, Protocol, Provider, Quantization};
use super::vocab;
use crate::billing::cost::Pricing;
use crate::billing::decimal::DecimalError;
use crate::billing::price::Price;
use crate::gateway::providers::CompatQuirks;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog is not valid TOML for its schema: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("duplicate provider `{0}`")]
    DuplicateProvider(String),
    #[error("duplicate model id `{0}`")]
    DuplicateModel(String),
    #[error("model `{model}`: canonical slug `{slug}` is already used by model `{other}`")]
    DuplicateCanonicalSlug {
        model: String,
        slug: String,
        other: String,
    },
    #[error("model `{model}`: two endpoints tagged `{tag}` (give one a distinct `tag`)")]
    DuplicateEndpoint { model: String, tag: String },
    #[error("model `{model}`: endpoint names unknown provider `{provider}`")]
    UnknownProvider { model: String, provider: String },
    #[error(
        "provider `{provider}`: unknown protocol `{protocol}` (expected openai, anthropic or gemini)"
    )]
    UnknownProtocol { provider: String, protocol: String },
    #[error("provider `{provider}`: unknown openai_compat quirks preset `{preset}`")]
    UnknownQuirks { provider: String, preset: String },
    #[error("{entry}: price `{field}` = \"{value}\" {source}")]
    BadPrice {
        entry: String,
        field: &'static str,
        value: String,
        source: DecimalError,
    },
    #[error("{entry}: no pricing (give the endpoint or its model a `pricing` table)")]
    MissingPricing { entry: String },
    #[error("model `{0}` declares no endpoints")]
    NoEndpoints(String),
    #[error("{entry}: {message}")]
    Invalid { entry: String, message: String },
}

/// Prices stay below 10^18 nano-dollars per million units: under a billion USD per million
/// tokens (9 integer digits) and under a thousand USD per image or request (3 digits).
const MAX_PRICE_EXCLUSIVE: i64 = 1_000_000_000_000_000_000;

/// `parameter_sets` of a source.
type ParameterSets = BTreeMap<String, Vec<String>>;

fn invalid(entry: &str, message: impl Into<String>) -> CatalogError {
    CatalogError::Invalid {
        entry: entry.to_owned(),
        message: message.into(),
    }
}

impl Catalog {
    /// Parses and validates a TOML catalog document.
    pub fn from_toml(text: &str) -> Result<Catalog, CatalogError> {
        Catalog::build(CatalogSource::from_toml(text)?)
    }

    /// The catalog shipped with the server.
    pub fn load_default() -> Result<Catalog, CatalogError> {
        Catalog::from_toml(super::default_toml())
    }

    /// Validates `source` into a snapshot. Disabled entries are left out;
    /// so are endpoints of disabled providers and models left with no
    /// endpoint by that (they could not be routed). A model that declares no
    /// endpoint at all is an error.
    pub fn build(source: CatalogSource) -> Result<Catalog, CatalogError> {
        let sets = &source.parameter_sets;
        for (name, list) in sets {
            let entry = format!("parameter set `{name}`");
            if let Some(nested) = list.iter().find(|p| p.starts_with('@')) {
                return Err(invalid(&entry, format!("cannot include `{nested}`")));
            }
            expand_parameters(&entry, list, sets)?;
        }

        let mut cat = Catalog {
            parameter_sets: sets.keys().cloned().collect(),
            ..Catalog::default()
        };
        let mut disabled = HashSet::new();
        for spec in &source.providers {
            if cat.provider_by_slug.contains_key(&spec.slug) || disabled.contains(&spec.slug) {
                return Err(CatalogError::DuplicateProvider(spec.slug.clone()));
            }
            // A disabled entry is validated too: what an admin stores must be right when it
            // is enabled again (and the API's document states one set of rules).
            let provider = build_provider(spec, sets)?;
            if !spec.enabled {
                disabled.insert(spec.slug.clone());
                continue;
            }
            cat.provider_by_slug
                .insert(provider.slug.clone(), cat.providers.len());
            cat.providers.push(provider);
        }

        let mut seen_ids = HashSet::new();
        for spec in &source.models {
            if !seen_ids.insert(spec.id.as_str()) {
                return Err(CatalogError::DuplicateModel(spec.id.clone()));
            }
            let model = build_model(spec, sets)?;
            if spec.endpoints.is_empty() {
                return Err(CatalogError::NoEndpoints(spec.id.clone()));
            }
            let slug_owner = cat
                .model_by_canonical
                .get(&model.canonical_slug)
                .or_else(|| cat.model_by_id.get(&model.canonical_slug))
                .map(|&i| cat.models[i].id.clone());
            if let Some(other) = slug_owner.filter(|_| spec.enabled) {
                return Err(CatalogError::DuplicateCanonicalSlug {
                    model: model.id.clone(),
                    slug: model.canonical_slug.clone(),
                    other,
                });
            }
            let model_index = cat.models.len();
            let mut tags = HashSet::new();
            let mut indices = Vec::new();
            for e in &spec.endpoints {
                let Some(&provider_index) = cat.provider_by_slug.get(&e.provider) else {
                    if disabled.contains(&e.provider) {
                        continue;
                    }
                    return Err(CatalogError::UnknownProvider {
                        model: spec.id.clone(),
                        provider: e.provider.clone(),
                    });
                };
                let tag = e.tag.clone().unwrap_or_else(|| e.provider.clone());
                if !tags.insert(tag.clone()) {
                    return Err(CatalogError::DuplicateEndpoint {
                        model: spec.id.clone(),
                        tag,
                    });
                }
                let provider = &cat.providers[provider_index];
                let mut endpoint = build_endpoint(e, tag, spec, &model, provider, sets)?;
                if !e.enabled || !spec.enabled {
                    continue;
                }
                endpoint.model_index = model_index;
                endpoint.provider_index = provider_index;
                indices.push(cat.endpoints.len());
                cat.endpoints.push(endpoint);
            }
            if indices.is_empty() {
                continue;
            }
            cat.model_by_id.insert(model.id.clone(), model_index);
            cat.model_by_canonical
                .insert(model.canonical_slug.clone(), model_index);
            cat.model_endpoints.push(indices);
            cat.models.push(model);
        }
        Ok(cat)
    }
}

fn build_provider(spec: &ProviderSpec, sets: &ParameterSets) -> Result<Provider, CatalogError> {
    let entry = format!("provider `{}`", spec.slug);
    let slug_ok = !spec.slug.is_empty()
        && spec
            .slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !slug_ok {
        return Err(invalid(
            &entry,
            "slug must be lower-case letters, digits, `-` or `_`",
        ));
    }
    if spec.name.trim().is_empty() {
        return Err(invalid(&entry, "name is empty"));
    }
    let protocol =
        Protocol::parse(&spec.protocol).ok_or_else(|| CatalogError::UnknownProtocol {
            provider: spec.slug.clone(),
            protocol: spec.protocol.clone(),
        })?;
    let quirks = match &spec.quirks {
        None => None,
        Some(_) if protocol != Protocol::OpenAi => {
            return Err(invalid(&entry, "quirks apply only to the openai protocol"));
        }
        Some(preset) => {
            Some(
                CompatQuirks::preset(preset).ok_or_else(|| CatalogError::UnknownQuirks {
                    provider: spec.slug.clone(),
                    preset: preset.clone(),
                })?,
            )
        }
    };
    let host_start = ["https://", "http://"]
        .iter()
        .find_map(|scheme| spec.base_url.strip_prefix(scheme));
    let plain = |c: char| !c.is_whitespace() && !c.is_control();
    let url_ok = host_start.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && spec.base_url.chars().all(plain);
    if !url_ok {
        return Err(invalid(
            &entry,
            format!(
                "base_url `{}` is not an http(s) URL (http:// or https://, a host, no spaces)",
                spec.base_url
            ),
        ));
    }
    let base_url = spec.base_url.trim_end_matches('/').to_owned();
    let env_prefix = spec.slug.to_ascii_uppercase().replace('-', "_");
    let api_key_env = spec
        .api_key_env
        .clone()
        .unwrap_or_else(|| format!("{env_prefix}_API_KEY"));
    let base_url_env = spec
        .base_url_env
        .clone()
        .unwrap_or_else(|| format!("{env_prefix}_BASE_URL"));
    for var in [&api_key_env, &base_url_env] {
        let ok = !var.is_empty()
            && var
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(invalid(
                &entry,
                format!("`{var}` is not an environment variable name"),
            ));
        }
    }
    let country = |c: &String| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase());
    if !spec
        .headquarters
        .iter()
        .chain(&spec.datacenters)
        .all(country)
    {
        return Err(invalid(
            &entry,
            "countries must be ISO 3166-1 alpha-2 codes such as `US`",
        ));
    }
    Ok(Provider {
        slug: spec.slug.clone(),
        name: spec.name.clone(),
        protocol,
        base_url,
        api_key_env,
        base_url_env,
        requires_api_key: spec.requires_api_key,
        quirks_preset: spec.quirks.clone(),
        quirks,
        privacy_policy_url: spec.privacy_policy_url.clone(),
        terms_of_service_url: spec.terms_of_service_url.clone(),
        status_page_url: spec.status_page_url.clone(),
        headquarters: spec.headquarters.clone(),
        datacenters: spec.datacenters.clone(),
        data_policy: spec.data_policy.clone(),
        is_moderated: spec.is_moderated,
        implicit_caching: spec.implicit_caching,
        supported_parameters: expand_parameters(&entry, &spec.supported_parameters, sets)?,
        self_hosted: spec.self_hosted,
    })
}

fn build_model(spec: &ModelSpec, sets: &ParameterSets) -> Result<Model, CatalogError> {
    let entry = format!("model `{}`", spec.id);
    let author = check_model_id(&spec.id).map_err(|m| invalid(&entry, m))?;
    let canonical_slug = spec
        .canonical_slug
        .clone()
        .unwrap_or_else(|| spec.id.clone());
    check_model_id(&canonical_slug).map_err(|m| invalid(&entry, format!("canonical_slug: {m}")))?;
    if spec.name.trim().is_empty() {
        return Err(invalid(&entry, "name is empty"));
    }
    if spec.context_length == 0 {
        return Err(invalid(&entry, "context_length must be positive"));
    }
    check_token_count(&entry, "context_length", Some(spec.context_length))?;
    check_token_count(&entry, "max_output_tokens", spec.max_output_tokens)?;
    check_vocab(
        &entry,
        "input modality",
        &spec.input_modalities,
        vocab::INPUT_MODALITIES,
    )?;
    check_vocab(
        &entry,
        "output modality",
        &spec.output_modalities,
        vocab::OUTPUT_MODALITIES,
    )?;
    check_vocab(
        &entry,
        "tokenizer",
        spec.tokenizer.as_slice(),
        vocab::TOKENIZERS,
    )?;
    check_vocab(
        &entry,
        "instruct_type",
        spec.instruct_type.as_slice(),
        vocab::INSTRUCT_TYPES,
    )?;
    if let Some(r) = &spec.reasoning {
        let efforts = r
            .supported_efforts
            .iter()
            .flatten()
            .chain(&r.default_effort);
        let efforts: Vec<String> = efforts.cloned().collect();
        check_vocab(
            &entry,
            "reasoning effort",
            &efforts,
            vocab::REASONING_EFFORTS,
        )?;
    }
    for date in [&spec.knowledge_cutoff, &spec.expiration_date]
        .into_iter()
        .flatten()
    {
        let b = date.as_bytes();
        let ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !ok {
            return Err(invalid(
                &entry,
                format!("`{date}` is not a YYYY-MM-DD date"),
            ));
        }
    }
    Ok(Model {
        id: spec.id.clone(),
        canonical_slug,
        author: author.to_owned(),
        name: spec.name.clone(),
        created: spec.created,
        description: spec.description.clone(),
        context_length: spec.context_length,
        max_output_tokens: spec.max_output_tokens,
        input_modalities: spec.input_modalities.clone(),
        output_modalities: spec.output_modalities.clone(),
        tokenizer: spec.tokenizer.clone(),
        instruct_type: spec.instruct_type.clone(),
        supported_parameters: expand_parameters(&entry, &spec.supported_parameters, sets)?,
        default_parameters: spec.default_parameters.clone(),
        reasoning: spec.reasoning.clone(),
        hugging_face_id: spec.hugging_face_id.clone(),
        knowledge_cutoff: spec.knowledge_cutoff.clone(),
        expiration_date: spec.expiration_date.clone(),
    })
}

fn build_endpoint(
    spec: &EndpointSpec,
    tag: String,
    model_spec: &ModelSpec,
    model: &Model,
    provider: &Provider,
    sets: &ParameterSets,
) -> Result<Endpoint, CatalogError> {
    let entry = format!("model `{}` endpoint `{tag}`", model.id);
    if spec.upstream_model.trim().is_empty() {
        return Err(invalid(&entry, "upstream_model is empty"));
    }
    let pricing = spec
        .pricing
        .as_ref()
        .or(model_spec.pricing.as_ref())
        .ok_or_else(|| CatalogError::MissingPricing {
            entry: entry.clone(),
        })?;
    let pricing = parse_pricing(&entry, pricing)?;
    let quantization = match spec
        .quantization
        .as_ref()
        .or(model_spec.quantization.as_ref())
    {
        None => Quantization::Unknown,
        Some(q) => Quantization::parse(q)
            .ok_or_else(|| invalid(&entry, format!("unknown quantization `{q}`")))?,
    };
    let supported_parameters = match &spec.supported_parameters {
        Some(list) => expand_parameters(&entry, list, sets)?,
        // The model's abilities, narrowed to what the host accepts.
        None if provider.supported_parameters.is_empty() => model.supported_parameters.clone(),
        None => model
            .supported_parameters
            .iter()
            .filter(|p| provider.supported_parameters.contains(p))
            .cloned()
            .collect(),
    };
    let context_length = spec.context_length.unwrap_or(model.context_length);
    if context_length == 0 {
        return Err(invalid(&entry, "context_length must be positive"));
    }
    check_token_count(&entry, "context_length", spec.context_length)?;
    check_token_count(&entry, "max_output_tokens", spec.max_output_tokens)?;
    check_token_count(&entry, "max_prompt_tokens", spec.max_prompt_tokens)?;
    Ok(Endpoint {
        model_id: model.id.clone(),
        provider: provider.slug.clone(),
        tag,
        upstream_model: spec.upstream_model.clone(),
        context_length,
        max_output_tokens: spec.max_output_tokens.or(model.max_output_tokens),
        max_prompt_tokens: spec.max_prompt_tokens,
        pricing,
        quantization,
        supported_parameters,
        implicit_caching: spec.implicit_caching.unwrap_or(provider.implicit_caching),
        is_moderated: spec.is_moderated.unwrap_or(provider.is_moderated),
        model_index: 0,
        provider_index: 0,
    })
}

/// Token counts are stored as signed 64-bit integers.
fn check_token_count(entry: &str, field: &str, value: Option<u64>) -> Result<(), CatalogError> {
    match value {
        Some(n) if i64::try_from(n).is_err() => Err(invalid(
            entry,
            format!("{field} must be at most {}", i64::MAX),
        )),
        _ => Ok(()),
    }
}

/// The author (`openai` in `openai/gpt-4o`). Ids are `author/name`, printable
/// ASCII without spaces; `:` is allowed for variants.
fn check_model_id(id: &str) -> Result<&str, String> {
    let Some((author, name)) = id.split_once('/') else {
        return Err(format!("id `{id}` is not of the form author/name"));
    };
    let printable = id.bytes().all(|b| b.is_ascii_graphic());
    if author.is_empty() || name.is_empty() || name.contains('/') || !printable {
        return Err(format!("id `{id}` is not of the form author/name"));
    }
    Ok(author)
}

fn check_vocab(
    entry: &str,
    what: &str,
    values: &[String],
    known: &[&str],
) -> Result<(), CatalogError> {
    match values.iter().find(|v| !known.contains(&v.as_str())) {
        Some(bad) => Err(invalid(entry, format!("unknown {what} `{bad}`"))),
        None => Ok(()),
    }
}

/// Expands `@set` references, checks every name, drops duplicates (first
/// wins, order kept).
fn expand_parameters(
    entry: &str,
    list: &[String],
    sets: &ParameterSets,
) -> Result<Vec<String>, CatalogError> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        let names = match item.strip_prefix('@') {
            Some(set) => sets
                .get(set)
                .ok_or_else(|| invalid(entry, format!("unknown parameter set `{item}`")))?
                .as_slice(),
            None => std::slice::from_ref(item),
        };
        for name in names {
            if !vocab::PARAMETERS.contains(&name.as_str()) {
                return Err(invalid(entry, format!("unknown parameter `{name}`")));
            }
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
    }
    Ok(out)
}

/// A catalog price: written exactly (no spaces around), and below a billion USD per million
/// tokens or a thousand USD per unit — the bounds the API document states as a pattern
/// (`spec_doc::PRICE_PER_MILLION`, `PRICE_PER_UNIT`).
pub(super) fn parse_price(value: &str, per_unit: bool) -> Result<Price, DecimalError> {
    if value.trim() != value {
        return Err(DecimalError::Malformed);
    }
    let price = if per_unit {
        Price::parse_usd_per_unit(value)?
    } else {
        Price::parse_usd_per_million(value)?
    };
    if price.nanos_per_million() >= MAX_PRICE_EXCLUSIVE {
        return Err(DecimalError::TooLarge);
    }
    Ok(price)
}

fn parse_pricing(entry: &str, spec: &PricingSpec) -> Result<Pricing, CatalogError> {
    let parse = |field: &'static str, value: &str, per_unit: bool| {
        parse_price(value, per_unit).map_err(|source| CatalogError::BadPrice {
            entry: entry.to_owned(),
            field,
            value: value.to_owned(),
            source,
        })
    };
    let opt = |field, value: &Option<String>, per_unit| {
        value
            .as_deref()
            .map(|v| parse(field, v, per_unit))
            .transpose()
    };
    Ok(Pricing {
        prompt: parse("prompt", &spec.prompt, false)?,
        completion: parse("completion", &spec.completion, false)?,
        cache_read: opt("cache_read", &spec.cache_read, false)?,
        cache_write: opt("cache_write", &spec.cache_write, false)?,
        reasoning: opt("reasoning", &spec.reasoning, false)?,
        image: opt("image", &spec.image, true)?.unwrap_or_default(),
        request: opt("request", &spec.request, true)?.unwrap_or_default(),
    })
}
