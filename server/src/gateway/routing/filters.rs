//! The hard filters: each removes an endpoint for one stated reason. They run in a fixed
//! order and the first that fails is the reason reported (metadata `filtered[].reason`).
//! Soft preferences (`preferred_*`, tool support without `require_parameters`) never remove
//! an endpoint; they only move it back ([`super::order`]).

use serde_json::{Value, json};

use super::needs::{ParamSet, RequestNeeds};
use super::preferences::{DataCollection, ProviderPreferences};
use super::table::Route;
use super::variants::Variant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceField {
    Prompt,
    Completion,
    Request,
    Image,
}

impl PriceField {
    fn as_str(self) -> &'static str {
        match self {
            PriceField::Prompt => "prompt",
            PriceField::Completion => "completion",
            PriceField::Request => "request",
            PriceField::Image => "image",
        }
    }
}

/// Why an endpoint was not a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Listed in the request's or the organization's `ignore`.
    Ignored,
    /// Not in `only`.
    NotInOnly,
    /// `allow_fallbacks: false` and not named in `order`.
    NotInOrder,
    /// `allow_fallbacks: false` without `order`: only the first choice is kept.
    NotFirstChoice,
    /// `data_collection: "deny"` and the provider trains on or retains prompts.
    DataCollection,
    /// `zdr: true` and the provider offers no zero data retention.
    NotZdr,
    /// Quantization not in `quantizations`.
    Quantization,
    /// `require_parameters: true` and these request parameters are unsupported.
    MissingParameters(ParamSet),
    /// A price above `max_price`.
    PriceAbove(PriceField),
    /// The `:free` variant (or `openrouter/free`) and the endpoint is not free.
    NotFree,
    /// The `:thinking` variant and the endpoint does not accept reasoning.
    NoReasoning,
    /// The estimated prompt exceeds the endpoint's context (or prompt) limit.
    ContextTooShort { needed: u64, limit: u64 },
    /// `max_tokens` above the endpoint's output cap.
    MaxTokensAbove { requested: u64, limit: u64 },
}

impl Reason {
    /// A short stable code for the metadata.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Ignored => "ignored",
            Reason::NotInOnly => "not_in_only",
            Reason::NotInOrder => "not_in_order",
            Reason::NotFirstChoice => "fallbacks_disabled",
            Reason::DataCollection => "data_collection",
            Reason::NotZdr => "zdr",
            Reason::Quantization => "quantization",
            Reason::MissingParameters(_) => "require_parameters",
            Reason::PriceAbove(_) => "max_price",
            Reason::NotFree => "not_free",
            Reason::NoReasoning => "no_reasoning",
            Reason::ContextTooShort { .. } => "context_length",
            Reason::MaxTokensAbove { .. } => "max_tokens",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Reason::Ignored => "provider is in provider.ignore (or the organization's)".into(),
            Reason::NotInOnly => "provider is not in provider.only".into(),
            Reason::NotInOrder => {
                "provider is not in provider.order and allow_fallbacks is false".into()
            }
            Reason::NotFirstChoice => {
                "not the first choice and provider.allow_fallbacks is false".into()
            }
            Reason::DataCollection => {
                "provider trains on or retains prompts (provider.data_collection is \"deny\")"
                    .into()
            }
            Reason::NotZdr => "provider offers no zero data retention (provider.zdr)".into(),
            Reason::Quantization => "quantization is not in provider.quantizations".into(),
            Reason::MissingParameters(missing) => format!(
                "does not support {} (provider.require_parameters)",
                missing.names().join(", ")
            ),
            Reason::PriceAbove(field) => {
                format!("{} price above provider.max_price", field.as_str())
            }
            Reason::NotFree => "not a free endpoint".into(),
            Reason::NoReasoning => "does not support reasoning (:thinking)".into(),
            Reason::ContextTooShort { needed, limit } => {
                format!("estimated prompt of {needed} tokens exceeds its context of {limit} tokens")
            }
            Reason::MaxTokensAbove { requested, limit } => {
                format!("max_tokens {requested} exceeds its output limit of {limit}")
            }
        }
    }

    pub fn to_json(&self) -> Value {
        json!({ "code": self.code(), "message": self.describe() })
    }
}

/// The first hard filter `route` fails, if any.
pub fn check(
    route: &Route,
    prefs: &ProviderPreferences,
    needs: &RequestNeeds,
    variant: Option<Variant>,
    free_only: bool,
) -> Result<(), Reason> {
    let named = |list: &Option<Vec<String>>| {
        list.as_ref()
            .map(|names| names.iter().any(|n| route.matches(n)))
    };
    if named(&prefs.ignore) == Some(true) {
        return Err(Reason::Ignored);
    }
    if named(&prefs.only) == Some(false) {
        return Err(Reason::NotInOnly);
    }
    if !prefs.allows_fallbacks() && prefs.has_order() && named(&prefs.order) == Some(false) {
        return Err(Reason::NotInOrder);
    }
    if prefs.data_collection == Some(DataCollection::Deny)
        && (route.trains_on_prompts || route.retains_prompts)
    {
        return Err(Reason::DataCollection);
    }
    if prefs.zdr == Some(true) && !route.zdr_available {
        return Err(Reason::NotZdr);
    }
    if let Some(qs) = &prefs.quantizations
        && !qs.is_empty()
        && !qs.contains(&route.quantization)
    {
        return Err(Reason::Quantization);
    }
    if prefs.require_parameters == Some(true)
        && !route.any_params
        && !route.params.contains_all(needs.params)
    {
        return Err(Reason::MissingParameters(ParamSet(
            needs.params.0 & !route.params.0,
        )));
    }
    if let Some(max) = &prefs.max_price {
        let above =
            |limit: Option<crate::billing::price::Price>, price| limit.is_some_and(|l| price > l);
        if above(max.prompt, route.prompt) {
            return Err(Reason::PriceAbove(PriceField::Prompt));
        }
        if above(max.completion, route.completion) {
            return Err(Reason::PriceAbove(PriceField::Completion));
        }
        if above(max.request, route.request) {
            return Err(Reason::PriceAbove(PriceField::Request));
        }
        if needs.images && above(max.image, route.image) {
            return Err(Reason::PriceAbove(PriceField::Image));
        }
    }
    if (free_only || variant == Some(Variant::Free)) && !route.free {
        return Err(Reason::NotFree);
    }
    if variant == Some(Variant::Thinking) && !route.supports("reasoning") {
        return Err(Reason::NoReasoning);
    }
    let context = route
        .max_prompt_tokens
        .map_or(route.context_length, |p| p.min(route.context_length));
    if context > 0 && needs.prompt_tokens > context {
        return Err(Reason::ContextTooShort {
            needed: needs.prompt_tokens,
            limit: context,
        });
    }
    if let (Some(requested), Some(limit)) = (needs.max_output, route.max_output_tokens)
        && requested > limit
    {
        return Err(Reason::MaxTokensAbove { requested, limit });
    }
    Ok(())
}
