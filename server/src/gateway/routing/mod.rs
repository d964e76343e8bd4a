//! Model -> candidate endpoints -> ordered targets. Today: the requested model (and the
//! `models` fallback list, in order), each model's endpoints on live providers, cheapest
//! first. Provider preferences, health and variants arrive with the routing issue.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::catalog::{Catalog, LiveProvider};
use super::providers::ProviderRegistry;
use super::relay::Target;
use super::types::ChatRequest;

/// The catalog together with the providers this deployment can call: the immutable view the
/// hot path reads, swapped whole when either changes.
pub struct RoutingTable {
    pub catalog: Catalog,
    pub live: HashMap<String, LiveProvider>,
    pub registry: ProviderRegistry,
}

/// Why no endpoint can serve a request: a 404 with the reasons in its metadata.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct NoRoute {
    pub message: String,
    pub metadata: Value,
}

impl RoutingTable {
    pub fn new(catalog: Catalog, live: Vec<LiveProvider>) -> Self {
        RoutingTable {
            live: live.into_iter().map(|l| (l.slug.clone(), l)).collect(),
            catalog,
            registry: ProviderRegistry::default(),
        }
    }

    /// The models a request names, in order: `model`, then each of `models` not yet listed.
    pub fn requested_models(request: &ChatRequest) -> Vec<String> {
        let mut models = Vec::new();
        if !request.model.is_empty() {
            models.push(request.model.clone());
        }
        for m in request.models.iter().flatten() {
            if !models.contains(m) {
                models.push(m.clone());
            }
        }
        models
    }

    pub fn plan(&self, request: &ChatRequest) -> Result<Vec<Target>, NoRoute> {
        self.plan_models(&Self::requested_models(request))
    }

    /// Targets for these models, in order (each model's endpoints cheapest first).
    pub fn plan_models(&self, requested: &[String]) -> Result<Vec<Target>, NoRoute> {
        let mut targets = Vec::new();
        let mut reasons = Vec::new();
        for name in requested {
            let Some((model, _variant)) = self.catalog.resolve(name) else {
                reasons.push(json!({ "model": name, "reason": "unknown model" }));
                continue;
            };
            let mut candidates: Vec<Target> = Vec::new();
            for endpoint in self.catalog.endpoints_of(&model.id) {
                let provider = self.catalog.provider_of(endpoint);
                let Some(live) = self.live.get(&provider.slug) else {
                    reasons.push(json!({
                        "model": model.id, "provider": provider.name,
                        "reason": format!("provider not configured (set {})", provider.api_key_env),
                    }));
                    continue;
                };
                let Some(adapter) = self.registry.get(provider.protocol.as_str()) else {
                    continue;
                };
                candidates.push(Target {
                    model_id: model.id.clone(),
                    provider_slug: provider.slug.clone(),
                    endpoint_tag: endpoint.tag.clone(),
                    provider_name: provider.name.clone(),
                    adapter: Arc::clone(adapter),
                    base_url: live.base_url.clone(),
                    api_key: live.api_key.clone().unwrap_or_default(),
                    upstream_model: endpoint.upstream_model.clone(),
                    quirks: provider.quirks.clone().unwrap_or_default(),
                    pricing: endpoint.pricing.clone(),
                    is_byok: false,
                });
            }
            // Cheapest first (prompt + completion price); the order is stable for equal prices.
            candidates.sort_by_key(|t| {
                (t.pricing.prompt.nanos_per_million() as i128)
                    + (t.pricing.completion.nanos_per_million() as i128)
            });
            targets.extend(candidates);
        }
        if targets.is_empty() {
            let shown = requested.first().cloned().unwrap_or_default();
            return Err(NoRoute {
                message: format!("No endpoints found that can serve {shown}"),
                metadata: json!({ "requested_models": requested, "reasons": reasons }),
            });
        }
        Ok(targets)
    }
}
