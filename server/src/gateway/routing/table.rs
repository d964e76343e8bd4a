//! The routing table: the catalog, the live providers, and per model its endpoints prepared
//! for routing (a ready [`Target`] each, lowercased names, price keys, parameter bits), built
//! once per catalog snapshot so that a plan only compares integers and clones `Arc`s.

use std::collections::HashMap;
use std::sync::Arc;

use super::auto::AutoRouter;
use super::needs::ParamSet;
use crate::billing::price::Price;
use crate::gateway::catalog::{Catalog, Endpoint, LiveProvider, Quantization};
use crate::gateway::providers::ProviderRegistry;
use crate::gateway::relay::{Target, TargetSpec};

/// One endpoint of a live provider, ready to route to.
pub struct Route {
    pub target: Target,
    /// Lowercased slug, display name and endpoint tag, for `order`/`only`/`ignore`.
    pub slug: String,
    pub name_lc: String,
    pub tag_lc: String,
    pub prompt: Price,
    pub completion: Price,
    pub request: Price,
    pub image: Price,
    /// Prompt + completion price per million tokens (nano-dollars): the price order's key.
    pub price_key: i64,
    pub free: bool,
    pub context_length: u64,
    pub max_prompt_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    pub quantization: Quantization,
    pub params: ParamSet,
    /// Parameters not restricted at all (an empty list in the catalog).
    pub any_params: bool,
    pub trains_on_prompts: bool,
    pub retains_prompts: bool,
    pub zdr_available: bool,
    /// The platform can call it (its provider is live). A route of a provider the
    /// deployment has no key for serves only organizations with their own key (BYOK).
    pub platform: bool,
}

impl Route {
    /// Whether a lowercased provider reference names this endpoint.
    pub fn matches(&self, name: &str) -> bool {
        name == self.slug || name == self.name_lc || name == self.tag_lc
    }

    pub fn supports(&self, param: &str) -> bool {
        self.any_params || self.params.contains_all(ParamSet(ParamSet::bit(param)))
    }

    fn new(target: Target, endpoint: &Endpoint, catalog: &Catalog) -> Route {
        let provider = catalog.provider_of(endpoint);
        let p = &endpoint.pricing;
        Route {
            slug: provider.slug.to_ascii_lowercase(),
            name_lc: provider.name.to_ascii_lowercase(),
            tag_lc: endpoint.tag.to_ascii_lowercase(),
            prompt: p.prompt,
            completion: p.completion,
            request: p.request,
            image: p.image,
            price_key: p.list_price().nanos_per_million(),
            free: p.prompt.is_zero()
                && p.completion.is_zero()
                && p.request.is_zero()
                && p.image.is_zero(),
            context_length: endpoint.context_length,
            max_prompt_tokens: endpoint.max_prompt_tokens,
            max_output_tokens: endpoint.max_output_tokens,
            quantization: endpoint.quantization,
            params: ParamSet::of(&endpoint.supported_parameters),
            any_params: endpoint.supported_parameters.is_empty(),
            trains_on_prompts: provider.data_policy.trains_on_prompts,
            retains_prompts: provider.data_policy.retains_prompts,
            zdr_available: provider.data_policy.zdr_available,
            platform: true,
            target,
        }
    }
}

/// An endpoint whose provider this deployment cannot call (reported; routed to only with an
/// organization's own key).
#[derive(Clone)]
pub struct Unconfigured {
    pub provider: String,
    pub provider_slug: String,
    pub endpoint: String,
    pub api_key_env: String,
}

/// A model's routable endpoints, in catalog order.
pub struct ModelRoutes {
    pub routes: Vec<Route>,
    pub unconfigured: Arc<[Unconfigured]>,
    /// The unconfigured endpoints the gateway has an adapter for, ready for organizations
    /// that bring their own key for the provider (no platform key in their targets).
    pub byok_only: Vec<Route>,
    /// Produces embeddings rather than chat completions.
    pub embeddings: bool,
}

/// The catalog together with the providers this deployment can call: the immutable view the
/// hot path reads, swapped whole when either changes.
pub struct RoutingTable {
    pub catalog: Catalog,
    pub live: HashMap<String, LiveProvider>,
    pub registry: ProviderRegistry,
    pub auto: AutoRouter,
    pub(super) models: HashMap<String, ModelRoutes>,
    /// `(model id, route index)` of every free endpoint, for `openrouter/free`.
    pub(super) free: Vec<(String, usize)>,
}

impl RoutingTable {
    pub fn new(catalog: Catalog, live: Vec<LiveProvider>) -> Self {
        Self::with_auto(catalog, live, AutoRouter::default())
    }

    pub fn with_auto(catalog: Catalog, live: Vec<LiveProvider>, auto: AutoRouter) -> Self {
        Self::assemble(catalog, live, auto, HashMap::new())
    }

    /// The table for a deployment whose provider settings `env` reads
    /// (`<PROVIDER>_API_KEY`, `<PROVIDER>_BASE_URL`): live providers, and the base URL of
    /// every provider for organizations' own keys.
    pub fn with_env(
        catalog: Catalog,
        env: impl Fn(&str) -> Option<String>,
        auto: AutoRouter,
    ) -> Self {
        let live = catalog.live_providers(&env);
        let bases = catalog
            .providers()
            .iter()
            .filter_map(|p| {
                let base = env(&p.base_url_env)?;
                let base = base.trim().trim_end_matches('/');
                (!base.is_empty()).then(|| (p.slug.clone(), base.to_owned()))
            })
            .collect();
        Self::assemble(catalog, live, auto, bases)
    }

    /// `base_urls`: overrides of the catalog's base URL by provider slug, for the providers
    /// that are not live (live ones carry their own).
    fn assemble(
        catalog: Catalog,
        live: Vec<LiveProvider>,
        auto: AutoRouter,
        base_urls: HashMap<String, String>,
    ) -> Self {
        let live: HashMap<String, LiveProvider> =
            live.into_iter().map(|l| (l.slug.clone(), l)).collect();
        let registry = ProviderRegistry::default();
        let mut models = HashMap::new();
        let mut free = Vec::new();
        for model in catalog.models() {
            let embeddings = model.output_modalities.iter().any(|m| m == "embeddings");
            let mut routes = Vec::new();
            let mut unconfigured = Vec::new();
            let mut byok_only = Vec::new();
            for endpoint in catalog.endpoints_of(&model.id) {
                let provider = catalog.provider_of(endpoint);
                let adapter = registry.get(provider.protocol.as_str());
                let platform = live.get(&provider.slug);
                if adapter.is_none() || platform.is_none() {
                    unconfigured.push(Unconfigured {
                        provider: provider.name.clone(),
                        provider_slug: provider.slug.clone(),
                        endpoint: endpoint.tag.clone(),
                        api_key_env: provider.api_key_env.clone(),
                    });
                }
                let Some(adapter) = adapter else { continue };
                let target = |base_url: String, api_key: String| {
                    Target(Arc::new(TargetSpec {
                        model_id: model.id.clone(),
                        endpoint_tag: endpoint.tag.clone(),
                        provider_slug: provider.slug.clone(),
                        provider_name: provider.name.clone(),
                        adapter: Arc::clone(adapter),
                        base_url,
                        api_key,
                        upstream_model: endpoint.upstream_model.clone(),
                        quirks: Arc::new(provider.quirks.clone().unwrap_or_default()),
                        pricing: endpoint.pricing.clone(),
                        is_byok: false,
                        byok: None,
                        max_output_tokens: endpoint.max_output_tokens,
                        context_length: endpoint.context_length,
                    }))
                };
                let Some(l) = platform else {
                    let base_url = base_urls
                        .get(&provider.slug)
                        .unwrap_or(&provider.base_url)
                        .clone();
                    // No key: BYOK targets made from it carry the organization's.
                    let mut route = Route::new(target(base_url, String::new()), endpoint, &catalog);
                    route.platform = false;
                    byok_only.push(route);
                    continue;
                };
                let target = target(l.base_url.clone(), l.api_key.clone().unwrap_or_default());
                let route = Route::new(target, endpoint, &catalog);
                if route.free && !embeddings {
                    free.push((model.id.clone(), routes.len()));
                }
                routes.push(route);
            }
            let entry = ModelRoutes {
                routes,
                unconfigured: unconfigured.into(),
                byok_only,
                embeddings,
            };
            models.insert(model.id.clone(), entry);
        }
        RoutingTable {
            catalog,
            live,
            registry,
            auto,
            models,
            free,
        }
    }

    pub(super) fn routes_of(&self, model_id: &str) -> Option<&ModelRoutes> {
        self.models.get(model_id)
    }
}
