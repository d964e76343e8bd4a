//! A routing decision: the ordered targets and everything needed to explain them — which
//! endpoints each filter removed and why — rendered to JSON only when asked for (the
//! `X-OpenRouter-Metadata: enabled` header, or a 404), so the hot path stays cheap.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use super::filters::Reason;
use super::preferences::ProviderPreferences;
use super::sticky::StickyKey;
use super::table::Unconfigured;
use super::variants::Variant;
use crate::gateway::relay::{AttemptRecord, Target};

/// OpenRouter's `RoutingStrategy` values this gateway produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// One model.
    Direct,
    /// Several models (`models`, `route: "fallback"`).
    Fallback,
    /// `openrouter/auto`.
    Auto,
    /// `openrouter/free`.
    Free,
}

pub struct Plan {
    /// In the order they will be tried.
    pub targets: Vec<Target>,
    pub strategy: Strategy,
    /// The model as the client named it.
    pub requested: String,
    /// The catalog models considered, in order.
    pub models: Vec<String>,
    /// Every target is free: the request may count against free-variant limits.
    pub is_free: bool,
    /// `:thinking`: turn reasoning on before sending.
    pub enable_reasoning: bool,
    /// For remembering the provider after a cache hit (see [`super::sticky`]).
    pub sticky_key: Option<StickyKey>,
    /// The provider slug the prompt was stuck to, when that moved an endpoint first.
    pub stuck_to: Option<Arc<str>>,
    /// The `openrouter/auto` rule that chose the model.
    pub auto_rule: Option<&'static str>,
    pub variants: Vec<(String, Variant)>,
    pub preferences: ProviderPreferences,
    pub filtered: Vec<(Target, Reason)>,
    pub(super) unconfigured: Vec<(String, Arc<[Unconfigured]>)>,
    pub(super) model_reasons: Vec<Value>,
}

impl Plan {
    pub(super) fn new(
        requested: &str,
        strategy: Strategy,
        preferences: ProviderPreferences,
    ) -> Self {
        Plan {
            targets: Vec::new(),
            strategy,
            requested: requested.to_owned(),
            models: Vec::new(),
            is_free: false,
            enable_reasoning: false,
            sticky_key: None,
            stuck_to: None,
            auto_rule: None,
            variants: Vec::new(),
            preferences,
            filtered: Vec::new(),
            unconfigured: Vec::new(),
            model_reasons: Vec::new(),
        }
    }

    /// `[{model, provider, endpoint, reason, message}]`: every endpoint that was not a
    /// candidate, the ones of unconfigured providers included.
    pub fn filtered_json(&self) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .filtered
            .iter()
            .map(|(t, r)| {
                json!({
                    "model": t.model_id, "provider": t.provider_name, "endpoint": t.endpoint_tag,
                    "reason": r.code(), "message": r.describe(),
                })
            })
            .collect();
        for (model, list) in &self.unconfigured {
            for u in list.iter() {
                out.push(json!({
                    "model": model, "provider": u.provider, "endpoint": u.endpoint,
                    "reason": "not_configured",
                    "message": format!("provider not configured (set {})", u.api_key_env),
                }));
            }
        }
        out
    }

    /// The `openrouter_metadata` object (OpenRouter's `OpenRouterMetadata` plus `filtered`,
    /// `preferences` and the attempts' errors and timings).
    pub fn metadata(&self, attempts: &[AttemptRecord], served: Option<(&str, &str)>) -> Value {
        let selected = |t: &Target| {
            served
                .is_some_and(|(model, provider)| t.model_id == model && t.provider_name == provider)
        };
        let mut seen_selected = false;
        let available: Vec<Value> = self
            .targets
            .iter()
            .map(|t| {
                let is = !seen_selected && selected(t);
                seen_selected |= is;
                json!({
                    "model": t.model_id, "provider": t.provider_name,
                    "endpoint": t.endpoint_tag, "selected": is,
                })
            })
            .collect();
        let filtered = self.filtered_json();
        let served_name = served.map_or("none", |s| s.1);
        json!({
            "requested": self.requested,
            "strategy": self.strategy,
            "region": null,
            "summary": format!(
                "available={}, filtered={}, selected={served_name}",
                self.targets.len(),
                filtered.len()
            ),
            "attempt": attempts.len(),
            "is_byok": self.targets.first().is_some_and(|t| t.is_byok),
            "models": self.models,
            "endpoints": { "total": available.len() + filtered.len(), "available": available },
            "filtered": filtered,
            "attempts": attempts,
            "params": {
                "auto_rule": self.auto_rule,
                "variants": self.variants.iter().map(|(m, v)| json!({"model": m, "variant": v.as_str()})).collect::<Vec<_>>(),
                "sticky_provider": self.stuck_to.as_deref(),
                "is_free": self.is_free,
            },
            "preferences": self.preferences,
        })
    }

    /// The 404 when nothing is left: the message says why, the metadata says which filter
    /// removed which endpoint.
    pub(super) fn no_route(&self) -> NoRoute {
        let shown = self
            .models
            .first()
            .map_or(self.requested.as_str(), String::as_str);
        let filtered = self.filtered_json();
        let mut why: Vec<String> = Vec::new();
        for f in &filtered {
            let message = f["message"].as_str().unwrap_or_default().to_owned();
            if !why.contains(&message) {
                why.push(message);
            }
        }
        let mut message = format!("No endpoints found that can serve {shown}");
        if !why.is_empty() {
            message.push_str(": ");
            message.push_str(&why.join("; "));
        }
        let mut reasons = self.model_reasons.clone();
        reasons.extend(filtered.iter().cloned());
        NoRoute {
            message,
            metadata: json!({
                "requested_models": self.models_or_requested(),
                "reasons": reasons,
                "filtered": filtered,
            }),
        }
    }

    fn models_or_requested(&self) -> Vec<String> {
        if self.models.is_empty() {
            vec![self.requested.clone()]
        } else {
            self.models.clone()
        }
    }
}

/// Why no endpoint can serve a request: a 404 with the reasons in its metadata.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct NoRoute {
    pub message: String,
    pub metadata: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The request itself is wrong (a bad `provider` field, an unknown variant, an
    /// embeddings model on the chat endpoint...): 400.
    #[error("{0}")]
    Invalid(String),
    /// Nothing can serve it: 404.
    #[error(transparent)]
    NoRoute(#[from] NoRoute),
}
