//! OpenRouter's response bodies for the catalog routes, built from a
//! snapshot: `GET /api/v1/models`, `GET /api/v1/models/{author}/{slug}/endpoints`
//! and `GET /api/v1/providers`.
//!
//! Key presence follows tests/fixtures/openrouter/CLIENT-REQUIREMENTS.md:
//! keys the SDKs require are always written (as `null` where allowed); keys
//! the TypeScript SDK rejects as `null` are omitted instead. Prices are USD
//! **per token** (per unit for `image`/`request`) as exact decimal strings.

use std::collections::BTreeMap;

// The bodies themselves are shared with the web app (api-types); this module builds them.
pub use api_types::catalog::{
    EndpointsArchitecture, ListEndpointsResponse, ListLinks, ListProvidersResponse,
    ModelArchitecture, ModelEndpoints, ModelLinks, ModelView, ModelsListResponse, PerRequestLimits,
    PercentileStats, ProviderView, PublicEndpoint, PublicPricing, ToolChoiceSupport, TopProvider,
};

use super::snapshot::Catalog;
use super::types::{Endpoint, Model, Provider};
use crate::billing::cost::Pricing;

/// Live measurements of one endpoint, supplied by routing's health
/// tracking; `Default` (all unknown) serializes as the spec's `null`s.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EndpointStats {
    pub status: i32,
    /// Percentages, 0–100.
    pub uptime_last_5m: Option<f64>,
    pub uptime_last_30m: Option<f64>,
    pub uptime_last_1d: Option<f64>,
    /// Time to first token, milliseconds.
    pub latency_last_30m: Option<PercentileStats>,
    /// Output tokens per second.
    pub throughput_last_30m: Option<PercentileStats>,
}

/// OpenRouter's `PublicPricing` of `p`.
pub fn public_pricing(p: &Pricing) -> PublicPricing {
    PublicPricing {
        prompt: p.prompt.usd_per_unit(),
        completion: p.completion.usd_per_unit(),
        request: p.request.usd_per_unit(),
        image: p.image.usd_per_unit(),
        input_cache_read: p.cache_read.map(|c| c.usd_per_unit()),
        input_cache_write: p.cache_write.map(|c| c.usd_per_unit()),
        internal_reasoning: p.reasoning.map(|c| c.usd_per_unit()),
    }
}

/// `GET /models`: `limit` models from `offset` (all when `None`), in catalog
/// order, with `links.next` pointing at the following page if any.
pub fn models_list(catalog: &Catalog, offset: usize, limit: Option<usize>) -> ModelsListResponse {
    let all = catalog.models();
    let start = offset.min(all.len());
    let end = limit.map_or(all.len(), |l| start.saturating_add(l).min(all.len()));
    let next = match limit {
        Some(l) if end < all.len() => Some(format!("/api/v1/models?offset={end}&limit={l}")),
        _ => None,
    };
    ModelsListResponse {
        data: all[start..end]
            .iter()
            .map(|m| model_view(catalog, m))
            .collect(),
        links: ListLinks { next },
        total_count: all.len(),
    }
}

/// One model as `GET /models` lists it. Pricing and `top_provider` are the
/// first (preferred) endpoint's; `supported_parameters` is the union over
/// endpoints.
pub fn model_view(catalog: &Catalog, model: &Model) -> ModelView {
    let endpoints = catalog.endpoints_of(&model.id);
    let top = endpoints.first();
    let mut supported: Vec<String> = Vec::new();
    for p in endpoints.iter().flat_map(|e| &e.supported_parameters) {
        if !supported.contains(p) {
            supported.push(p.clone());
        }
    }
    ModelView {
        id: model.id.clone(),
        canonical_slug: model.canonical_slug.clone(),
        hugging_face_id: model.hugging_face_id.clone(),
        name: model.name.clone(),
        created: model.created,
        description: model.description.clone(),
        context_length: Some(model.context_length),
        architecture: ModelArchitecture {
            modality: Some(model.modality()),
            input_modalities: model.input_modalities.clone(),
            output_modalities: model.output_modalities.clone(),
            tokenizer: model.tokenizer.clone(),
            instruct_type: model.instruct_type.clone(),
        },
        pricing: top.map_or_else(
            || public_pricing(&Pricing::default()),
            |e| public_pricing(&e.pricing),
        ),
        top_provider: TopProvider {
            context_length: top.map(|e| e.context_length),
            max_completion_tokens: top.and_then(|e| e.max_output_tokens),
            is_moderated: top.is_some_and(|e| e.is_moderated),
        },
        per_request_limits: None,
        supported_parameters: supported,
        default_parameters: model.default_parameters.clone(),
        supported_voices: None,
        knowledge_cutoff: model.knowledge_cutoff.clone(),
        expiration_date: model.expiration_date.clone(),
        reasoning: model.reasoning.clone(),
        links: ModelLinks {
            details: format!("/api/v1/models/{}/endpoints", model.id),
        },
    }
}

/// `GET /models/{author}/{slug}/endpoints` for `model`, with each endpoint's
/// live numbers from `stats`.
pub fn model_endpoints(
    catalog: &Catalog,
    model: &Model,
    stats: impl Fn(&Endpoint) -> EndpointStats,
) -> ListEndpointsResponse {
    let endpoints = catalog
        .endpoints_of(&model.id)
        .into_iter()
        .map(|e| public_endpoint(catalog.provider_of(e), model, e, stats(e)))
        .collect();
    ListEndpointsResponse {
        data: ModelEndpoints {
            id: model.id.clone(),
            name: model.name.clone(),
            created: model.created,
            description: model.description.clone(),
            architecture: EndpointsArchitecture {
                modality: Some(model.modality()),
                input_modalities: model.input_modalities.clone(),
                output_modalities: model.output_modalities.clone(),
                tokenizer: model.tokenizer.clone(),
                instruct_type: model.instruct_type.clone(),
            },
            endpoints,
        },
    }
}

fn public_endpoint(
    provider: &Provider,
    model: &Model,
    e: &Endpoint,
    stats: EndpointStats,
) -> PublicEndpoint {
    PublicEndpoint {
        name: format!("{} | {}", provider.name, model.canonical_slug),
        model_id: model.canonical_slug.clone(),
        model_name: model.name.clone(),
        context_length: e.context_length,
        pricing: public_pricing(&e.pricing),
        provider_name: provider.name.clone(),
        tag: e.tag.clone(),
        quantization: Some(e.quantization),
        max_completion_tokens: e.max_output_tokens,
        max_prompt_tokens: e.max_prompt_tokens,
        supported_parameters: e.supported_parameters.clone(),
        status: stats.status,
        uptime_last_30m: stats.uptime_last_30m,
        uptime_last_5m: stats.uptime_last_5m,
        uptime_last_1d: stats.uptime_last_1d,
        latency_last_30m: stats.latency_last_30m,
        throughput_last_30m: stats.throughput_last_30m,
        supports_implicit_caching: e.implicit_caching,
        // `tools` alone means "auto"; the other choices need `tool_choice`.
        supports_tool_choice: ToolChoiceSupport {
            auto: e.supports("tools"),
            function: e.supports("tool_choice"),
            none: e.supports("tool_choice"),
            required: e.supports("tool_choice"),
        },
        native_tools: BTreeMap::new(),
        service_tier: None,
        supports_diarization: false,
    }
}

/// `GET /providers`: every provider in the catalog.
pub fn providers_list(catalog: &Catalog) -> ListProvidersResponse {
    ListProvidersResponse {
        data: catalog
            .providers()
            .iter()
            .map(|p| ProviderView {
                name: p.name.clone(),
                slug: p.slug.clone(),
                privacy_policy_url: p.privacy_policy_url.clone(),
                terms_of_service_url: p.terms_of_service_url.clone(),
                status_page_url: p.status_page_url.clone(),
                headquarters: p.headquarters.clone(),
                datacenters: (!p.datacenters.is_empty()).then(|| p.datacenters.clone()),
            })
            .collect(),
    }
}
