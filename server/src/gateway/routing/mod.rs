//! Model -> candidate endpoints -> ordered targets: OpenRouter's routing contract.
//!
//! A plan takes the request's models (`model`, then `models`; `openrouter/auto` and
//! `openrouter/free` choose them), resolves `:variants`, drops the endpoints a hard filter
//! excludes ([`filters`]: `provider.only/ignore/order+allow_fallbacks/data_collection/zdr/
//! quantizations/require_parameters/max_price`, free-only, reasoning, context and output
//! limits), orders the rest ([`order`]: health, `provider.order`, features, soft preferences,
//! sort or price-weighted load balancing), applies prompt-cache stickiness ([`sticky`]) and
//! returns a [`Plan`]: the targets plus the reasons, rendered as metadata on demand.
//!
//! Everything here reads immutable in-memory values: no database, no locks, no I/O.

pub mod auto;
pub mod byok;
pub mod decision;
pub mod filters;
pub mod health;
pub mod needs;
pub mod order;
pub mod preferences;
pub mod preferences_doc;
pub mod sticky;
pub mod table;
pub mod variants;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_byok;
#[cfg(test)]
mod tests_order;
#[cfg(test)]
mod tests_rules;

use std::sync::Arc;

use serde_json::json;

pub use auto::{AUTO_MODEL, AutoRouter, FREE_MODEL};
pub use byok::{ByokContext, ByokCredential, OrgByok};
pub use decision::{NoRoute, Plan, RouteError, Strategy};
pub use health::{EndpointHealth, HealthSource, NoHealthData};
pub use preferences::{PreferenceError, ProviderPreferences};
pub use sticky::StickyCache;
pub use table::RoutingTable;
pub use variants::Variant;

use self::filters::Reason;
use self::needs::RequestNeeds;
use self::order::{Candidate, Key};
use self::preferences::Partition;
use crate::gateway::relay::Target;
use crate::gateway::types::ChatRequest;

/// What a plan needs besides the request: the caller's organization, its routing defaults,
/// its own provider keys, the endpoints' health and the stickiness cache.
pub struct PlanContext<'a> {
    pub org_id: &'a str,
    pub org_defaults: Option<&'a ProviderPreferences>,
    /// The organization's BYOK keys and the calling API key (see [`byok`]).
    pub byok: Option<ByokContext<'a>>,
    pub health: &'a dyn HealthSource,
    pub sticky: Option<&'a StickyCache>,
}

impl PlanContext<'static> {
    /// No organization defaults, no health figures, no stickiness.
    pub fn bare() -> Self {
        PlanContext {
            org_id: "",
            org_defaults: None,
            byok: None,
            health: &NoHealthData,
            sticky: None,
        }
    }
}

const NO_KEY: Key = Key {
    group: 0,
    order_rank: usize::MAX,
    feature_miss: false,
    soft_miss: false,
    primary: 0.0,
};

/// The endpoints a request cannot use for want of a key: the deployment's unconfigured ones,
/// less those of providers the organization brought a key for (shared as they are when none).
fn not_configured_for(
    unconfigured: &Arc<[table::Unconfigured]>,
    byok: Option<ByokContext<'_>>,
) -> Arc<[table::Unconfigured]> {
    match byok {
        Some(b)
            if unconfigured
                .iter()
                .any(|u| b.keys.has_provider(&u.provider_slug)) =>
        {
            unconfigured
                .iter()
                .filter(|u| !b.keys.has_provider(&u.provider_slug))
                .cloned()
                .collect()
        }
        _ => Arc::clone(unconfigured),
    }
}

impl RoutingTable {
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

    pub fn plan(&self, request: &ChatRequest, ctx: &PlanContext<'_>) -> Result<Plan, RouteError> {
        self.plan_with_rng(request, ctx, &mut rand::rng())
    }

    /// [`RoutingTable::plan`] with a chosen random source (tests seed it).
    pub fn plan_with_rng(
        &self,
        request: &ChatRequest,
        ctx: &PlanContext<'_>,
        rng: &mut dyn rand::RngCore,
    ) -> Result<Plan, RouteError> {
        let mut prefs = ProviderPreferences::from_request(request.provider.as_ref())
            .map_err(|e| RouteError::Invalid(e.to_string()))?;
        if let Some(org) = ctx.org_defaults {
            prefs = prefs.merged_over(org);
        }
        if let Some(route) = &request.route
            && route != "fallback"
        {
            return Err(RouteError::Invalid(
                "route: must be \"fallback\" (or omitted)".into(),
            ));
        }
        let needs = RequestNeeds::of(request);
        let mut names = Self::requested_models(request);
        let strategy = match names.first().map(String::as_str) {
            Some(AUTO_MODEL) => Strategy::Auto,
            Some(FREE_MODEL) => Strategy::Free,
            _ if names.len() > 1 => Strategy::Fallback,
            _ => Strategy::Direct,
        };
        let mut plan = Plan::new(&request.model, strategy, ProviderPreferences::default());
        let prefs = &prefs;
        if strategy == Strategy::Auto {
            let (chosen, rule) = self.auto.choose(request, &needs);
            plan.auto_rule = Some(rule);
            let mut list = vec![chosen.to_owned()];
            if self.auto.default != chosen {
                list.push(self.auto.default.clone());
            }
            list.extend(names.drain(1..).filter(|m| m != chosen));
            names = list;
        }

        let mut candidates: Vec<Candidate<'_>> = Vec::with_capacity(64);
        let mut filtered: Vec<(Target, Reason)> = Vec::new();
        let mut sorts = Vec::with_capacity(names.len());
        for (pos, name) in names.iter().enumerate() {
            if pos == 0 && strategy == Strategy::Free {
                for (model_id, index) in &self.free {
                    let route = &self.models[model_id].routes[*index];
                    match filters::check(route, prefs, &needs, None, true) {
                        Ok(()) => candidates.push(Candidate {
                            route,
                            health: ctx.health.health(model_id, &route.target.endpoint_tag),
                            model_pos: pos,
                            key: NO_KEY,
                        }),
                        Err(reason) => filtered.push((route.target.clone(), reason)),
                    }
                }
                plan.models.push(FREE_MODEL.to_owned());
                sorts.push(prefs.sort.map(|s| s.by));
                continue;
            }
            let Some((model, suffix)) = self.catalog.resolve(name) else {
                plan.model_reasons
                    .push(json!({ "model": name, "reason": "unknown model" }));
                sorts.push(None);
                continue;
            };
            let variant = match suffix {
                None => None,
                Some(s) => Some(Variant::parse(s).ok_or_else(|| {
                    RouteError::Invalid(format!(
                        "model: unknown variant \":{s}\" in {name} (known: {})",
                        Variant::NAMES
                    ))
                })?),
            };
            let Some(routes) = self.routes_of(&model.id) else {
                sorts.push(None);
                continue;
            };
            if routes.embeddings {
                return Err(RouteError::Invalid(format!(
                    "model: {} is an embeddings model; use POST /api/v1/embeddings",
                    model.id
                )));
            }
            if let Some(v) = variant {
                plan.variants.push((model.id.clone(), v));
                plan.enable_reasoning |= v == Variant::Thinking;
            }
            sorts.push(variant.and_then(Variant::sort).or(prefs.sort.map(|s| s.by)));
            for route in &routes.routes {
                match filters::check(route, prefs, &needs, variant, false) {
                    Ok(()) => candidates.push(Candidate {
                        route,
                        health: ctx.health.health(&model.id, &route.target.endpoint_tag),
                        model_pos: pos,
                        key: NO_KEY,
                    }),
                    Err(reason) => filtered.push((route.target.clone(), reason)),
                }
            }
            // Endpoints the platform cannot call, for an organization with its own key there.
            if let Some(byok) = ctx.byok {
                for route in &routes.byok_only {
                    let t = &route.target;
                    if byok
                        .keys
                        .applicable(&t.provider_slug, &model.id, byok.key_hash)
                        .next()
                        .is_none()
                    {
                        continue;
                    }
                    match filters::check(route, prefs, &needs, variant, false) {
                        Ok(()) => candidates.push(Candidate {
                            route,
                            health: ctx.health.health(&model.id, &t.endpoint_tag),
                            model_pos: pos,
                            key: NO_KEY,
                        }),
                        Err(reason) => filtered.push((t.clone(), reason)),
                    }
                }
            }
            if !routes.unconfigured.is_empty() {
                plan.unconfigured.push((
                    model.id.clone(),
                    not_configured_for(&routes.unconfigured, ctx.byok),
                ));
            }
            plan.models.push(model.id.clone());
        }

        for chunk in candidates.chunk_by_mut(|a, b| a.model_pos == b.model_pos) {
            let sort = sorts[chunk[0].model_pos];
            order::assign_keys(chunk, prefs, &needs, sort, rng);
            order::sort(chunk);
        }
        if prefs.sort.is_some_and(|s| s.partition == Partition::None) {
            order::sort(&mut candidates);
        }
        if !prefs.allows_fallbacks() && !prefs.has_order() {
            // Only the first choice of each model.
            let mut kept = Vec::with_capacity(names.len());
            let mut last_model = usize::MAX;
            for c in candidates {
                if c.model_pos == last_model {
                    filtered.push((c.route.target.clone(), Reason::NotFirstChoice));
                } else {
                    last_model = c.model_pos;
                    kept.push(c);
                }
            }
            candidates = kept;
        }

        if let Some(cache) = ctx.sticky
            && let Some(first_model) = plan.models.first()
        {
            let key = sticky::key(ctx.org_id, first_model, request);
            plan.sticky_key = Some(key);
            if !prefs.has_order()
                && let Some(slug) = cache.get(key)
                && let Some(at) = candidates.iter().position(|c| {
                    c.model_pos == candidates[0].model_pos
                        && c.is_healthy()
                        && c.route.slug == *slug
                })
            {
                candidates[..=at].rotate_right(1);
                plan.stuck_to = Some(slug);
            }
        }

        plan.is_free = !candidates.is_empty() && candidates.iter().all(|c| c.route.free);
        plan.targets = match ctx.byok {
            Some(byok) => {
                let slots: Vec<byok::Slot<'_>> = candidates
                    .iter()
                    .map(|c| byok::Slot {
                        target: &c.route.target,
                        platform: c.route.platform,
                        model_pos: c.model_pos,
                    })
                    .collect();
                byok::expand(&slots, byok)
            }
            None => candidates.iter().map(|c| c.route.target.clone()).collect(),
        };
        plan.filtered = filtered;
        plan.preferences = prefs.clone();
        if plan.targets.is_empty() {
            return Err(RouteError::NoRoute(plan.no_route()));
        }
        Ok(plan)
    }

    /// Targets for an embeddings request: the model's endpoints, cheapest first, with the
    /// organization's own keys placed as for chat (`byok`). A chat model is refused (400)
    /// with the reason.
    pub fn plan_models(
        &self,
        requested: &[String],
        byok: Option<ByokContext<'_>>,
    ) -> Result<Vec<Target>, RouteError> {
        let mut plan = Plan::new(
            requested.first().map_or("", String::as_str),
            Strategy::Direct,
            ProviderPreferences::default(),
        );
        for name in requested {
            let Some((model, _)) = self.catalog.resolve(name) else {
                plan.model_reasons
                    .push(json!({ "model": name, "reason": "unknown model" }));
                continue;
            };
            let Some(routes) = self.routes_of(&model.id) else {
                continue;
            };
            if !routes.embeddings {
                return Err(RouteError::Invalid(format!(
                    "model: {} is a chat model, not an embeddings model; use POST /api/v1/chat/completions",
                    model.id
                )));
            }
            let mut sorted: Vec<_> = routes.routes.iter().collect();
            if let Some(byok) = byok {
                sorted.extend(routes.byok_only.iter().filter(|r| {
                    let t = &r.target;
                    (byok
                        .keys
                        .applicable(&t.provider_slug, &model.id, byok.key_hash))
                    .next()
                    .is_some()
                }));
            }
            sorted.sort_by_key(|r| r.price_key);
            match byok {
                Some(byok) => {
                    let slots: Vec<byok::Slot<'_>> = sorted
                        .iter()
                        .map(|r| byok::Slot {
                            target: &r.target,
                            platform: r.platform,
                            model_pos: 0,
                        })
                        .collect();
                    plan.targets.extend(byok::expand(&slots, byok));
                }
                None => plan
                    .targets
                    .extend(sorted.into_iter().map(|r| r.target.clone())),
            }
            if !routes.unconfigured.is_empty() {
                plan.unconfigured.push((
                    model.id.clone(),
                    not_configured_for(&routes.unconfigured, byok),
                ));
            }
            plan.models.push(model.id.clone());
        }
        if plan.targets.is_empty() {
            return Err(RouteError::NoRoute(plan.no_route()));
        }
        Ok(plan.targets)
    }
}
