//! The immutable snapshot the hot path reads. Built once by
//! [`Catalog::build`](super::Catalog::build); the server shares it behind an
//! `Arc` and swaps the whole thing when admins change the catalog, so
//! readers never lock and never see a half-applied change.

use std::collections::HashMap;

use super::live::{LiveProvider, live_providers};
use super::types::{Endpoint, Model, Provider};

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(super) providers: Vec<Provider>,
    pub(super) models: Vec<Model>,
    pub(super) endpoints: Vec<Endpoint>,
    pub(super) provider_by_slug: HashMap<String, usize>,
    pub(super) model_by_id: HashMap<String, usize>,
    pub(super) model_by_canonical: HashMap<String, usize>,
    /// Endpoint indices per model index, in preference order.
    pub(super) model_endpoints: Vec<Vec<usize>>,
    /// The names of the source's parameter sets (`@name` in parameter lists).
    pub(super) parameter_sets: Vec<String>,
}

impl Catalog {
    /// The names of the parameter sets its source defined.
    pub fn parameter_sets(&self) -> &[String] {
        &self.parameter_sets
    }

    /// All providers, in file order (including ones without endpoints).
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    pub fn provider(&self, slug: &str) -> Option<&Provider> {
        self.provider_by_slug.get(slug).map(|&i| &self.providers[i])
    }

    /// All models, in file order. Every one has at least one endpoint.
    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// Exact model id, variants included (`openai/gpt-4o:extended` only if
    /// such a model exists).
    pub fn model(&self, id: &str) -> Option<&Model> {
        self.model_by_id.get(id).map(|&i| &self.models[i])
    }

    pub fn model_by_canonical_slug(&self, slug: &str) -> Option<&Model> {
        self.model_by_canonical.get(slug).map(|&i| &self.models[i])
    }

    /// By id, else by canonical slug.
    pub fn lookup(&self, id_or_slug: &str) -> Option<&Model> {
        self.model(id_or_slug)
            .or_else(|| self.model_by_canonical_slug(id_or_slug))
    }

    /// A requested model name as routing sees it: an exact id or canonical
    /// slug wins; otherwise a trailing `:variant` (`:free`, `:nitro`,
    /// `:floor`...) is split off and the base model looked up, and the
    /// variant is returned for routing to interpret.
    pub fn resolve<'a>(&self, requested: &'a str) -> Option<(&Model, Option<&'a str>)> {
        if let Some(m) = self.lookup(requested) {
            return Some((m, None));
        }
        let (base, variant) = requested.rsplit_once(':')?;
        if variant.is_empty() {
            return None;
        }
        self.lookup(base).map(|m| (m, Some(variant)))
    }

    /// Every endpoint of every model.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The endpoints of a model (by id or canonical slug), in preference
    /// order; empty for an unknown model.
    pub fn endpoints_of(&self, model: &str) -> Vec<&Endpoint> {
        let index = self
            .model_by_id
            .get(model)
            .or_else(|| self.model_by_canonical.get(model));
        index.map_or_else(Vec::new, |&i| {
            self.model_endpoints[i]
                .iter()
                .map(|&e| &self.endpoints[e])
                .collect()
        })
    }

    /// The model an endpoint belongs to.
    pub fn model_of(&self, endpoint: &Endpoint) -> &Model {
        &self.models[endpoint.model_index]
    }

    /// The provider serving an endpoint.
    pub fn provider_of(&self, endpoint: &Endpoint) -> &Provider {
        &self.providers[endpoint.provider_index]
    }

    /// The endpoints a provider serves.
    pub fn endpoints_served_by<'a>(
        &'a self,
        provider: &'a str,
    ) -> impl Iterator<Item = &'a Endpoint> {
        self.endpoints
            .iter()
            .filter(move |e| e.provider == provider)
    }

    /// Providers that can be called in this environment; see
    /// [`live_providers`].
    pub fn live_providers(&self, env: impl Fn(&str) -> Option<String>) -> Vec<LiveProvider> {
        live_providers(&self.providers, env)
    }
}
