//! API keys as the API shows them (the shared `api_types::keys` shapes), built from stored keys.

use api_types::keys::{
    CurrentKey, FreeModelDailyRequests, KeyBudget, KeyFigures, KeyView, LegacyRateLimit, LimitReset,
};
use chrono::Utc;
use entity::api_key;

use super::api_keys::{KeyKind, KeyUsage};
use crate::billing::money::Nanos;

/// What the rate limiter adds to a key's own record (`GET /key`); it lives outside accounts.
pub struct RateFigures {
    /// True until the organization has bought credits.
    pub is_free_tier: bool,
    pub free_model_daily_requests: FreeModelDailyRequests,
    pub rate_limit: LegacyRateLimit,
}

/// OpenRouter's key object.
pub fn key(key: &api_key::Model) -> KeyView {
    KeyView {
        hash: key.hash.clone(),
        name: key.name.clone(),
        label: key.label.clone(),
        disabled: key.disabled,
        figures: figures(key),
        created_at: key.created_at,
        updated_at: (key.updated_at != key.created_at).then_some(key.updated_at),
        expires_at: key.expires_at,
        last_used_at: key.last_used_at,
        creator_user_id: key.creator_user_id.clone(),
        external_user: None,
        workspace_id: key.org_id.clone(),
    }
}

/// A key's limit and spend, in USD.
fn figures(key: &api_key::Model) -> KeyFigures {
    let usage = KeyUsage::of(key, chrono::Utc::now());
    KeyFigures {
        limit: key.limit_nanos.map(|limit| Nanos::from_nanos(limit).into()),
        limit_remaining: usage.limit_remaining(key).map(Into::into),
        limit_reset: limit_reset(key),
        include_byok_in_limit: key.include_byok_in_limit,
        usage: usage.total.into(),
        usage_daily: usage.daily.into(),
        usage_weekly: usage.weekly.into(),
        usage_monthly: usage.monthly.into(),
        byok_usage: usage.byok_total.into(),
        byok_usage_daily: usage.byok_daily.into(),
        byok_usage_weekly: usage.byok_weekly.into(),
        byok_usage_monthly: usage.byok_monthly.into(),
    }
}

fn limit_reset(key: &api_key::Model) -> Option<LimitReset> {
    key.limit_reset.as_deref().and_then(LimitReset::parse)
}

/// The budget layers enforcement checks; today only the key's own limit.
fn budgets(key: &api_key::Model) -> Vec<KeyBudget> {
    let usage = KeyUsage::of(key, chrono::Utc::now());
    let reset = limit_reset(key);
    key.limit_nanos
        .map(|limit| KeyBudget {
            budget_id: None,
            guardrail_id: None,
            include_byok: key.include_byok_in_limit,
            limit_usd: Nanos::from_nanos(limit).into(),
            remaining_usd: usage.limit_remaining(key).unwrap_or(Nanos::ZERO).into(),
            spend_usd: usage.in_limit_window(key).into(),
            reset_interval: reset,
            resets_at: reset.map(|r| r.next_reset(Utc::now())),
            scope: "key_limit".into(),
        })
        .into_iter()
        .collect()
}

/// A key's own record in OpenRouter's shape, including the fields its SDKs require.
pub fn current_key(key: &api_key::Model, rates: &RateFigures) -> CurrentKey {
    let budgets = budgets(key);
    let is_management = KeyKind::of(key) == KeyKind::Management;
    CurrentKey {
        label: key.label.clone(),
        name: key.name.clone(),
        figures: figures(key),
        is_free_tier: rates.is_free_tier,
        is_management_key: is_management,
        is_provisioning_key: is_management,
        creator_user_id: key.creator_user_id.clone(),
        expires_at: key.expires_at,
        organization_id: Some(key.org_id.clone()),
        workspace_id: Some(key.org_id.clone()),
        allowed_data_regions: vec!["global".into()],
        effective_budget: budgets.first().cloned(),
        budgets,
        free_model_daily_requests: rates.free_model_daily_requests.clone(),
        rate_limit: rates.rate_limit.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::billing::money::Nanos;

    /// The API types carry USD as `Usd`; the JSON must be what `Nanos` itself writes.
    #[test]
    fn usd_figures_render_like_money() {
        for nanos in [
            0,
            1,
            999_999_999,
            1_000_000_000,
            25_500_000_000,
            74_500_000_000,
            -2_000_000_000,
            (1 << 53) - 1,
            20_000_000_000_000_000,
            i64::MAX,
        ] {
            let usd: api_types::Usd = Nanos::from_nanos(nanos).into();
            assert_eq!(
                serde_json::to_string(&usd).unwrap(),
                serde_json::to_string(&Nanos::from_nanos(nanos)).unwrap(),
                "{nanos} nanos"
            );
        }
    }
}
