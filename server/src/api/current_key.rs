//! `GET /api/v1/key` (and its legacy alias `/auth/key`): the calling key's own data in
//! OpenRouter's shape, including the fields its SDKs require (budgets, the legacy rate limit).

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use entity::api_key;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::ApiKeyCaller;
use super::keys::KeyFigures;
use super::openapi::ErrorBody;
use crate::accounts::api_keys::{self, KeyKind, KeyUsage, LimitReset};
use crate::billing::money::Nanos;
use crate::limits::Limits;
use crate::state::AppState;

/// The legacy `rate_limit` object: deprecated upstream (where it always says -1), kept because
/// clients require it. Here it reports the key's real request-rate limit (-1: none).
#[derive(Serialize, ToSchema)]
pub struct LegacyRateLimit {
    pub requests: i64,
    pub interval: String,
    pub note: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct FreeModelDailyRequests {
    pub limit: i64,
    pub remaining: i64,
    pub used: i64,
}

/// One budget layer that enforcement checks; today only the key's own limit.
#[derive(Serialize, ToSchema, Clone)]
pub struct KeyBudget {
    pub budget_id: Option<String>,
    pub guardrail_id: Option<String>,
    pub include_byok: bool,
    #[schema(value_type = f64)]
    pub limit_usd: Nanos,
    #[schema(value_type = f64)]
    pub remaining_usd: Nanos,
    #[schema(value_type = f64)]
    pub spend_usd: Nanos,
    pub reset_interval: Option<LimitReset>,
    pub resets_at: Option<DateTime<Utc>>,
    pub scope: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct CurrentKey {
    pub label: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: KeyFigures,
    /// True until the organization has bought credits.
    pub is_free_tier: bool,
    pub is_management_key: bool,
    /// OpenRouter's older name for management keys.
    pub is_provisioning_key: bool,
    pub creator_user_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub organization_id: Option<String>,
    pub workspace_id: Option<String>,
    pub allowed_data_regions: Vec<&'static str>,
    pub budgets: Vec<KeyBudget>,
    pub effective_budget: Option<KeyBudget>,
    pub free_model_daily_requests: FreeModelDailyRequests,
    pub rate_limit: LegacyRateLimit,
}

#[derive(Serialize, ToSchema)]
pub struct CurrentKeyResponse {
    pub data: CurrentKey,
}

/// The calling key's own data (`Authorization: Bearer sk-or-v1-...`, either kind).
#[utoipa::path(tag = "keys", responses(
    (status = 200, body = CurrentKeyResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/key")]
pub async fn current(
    state: web::Data<AppState>,
    caller: ApiKeyCaller,
) -> Result<web::Json<CurrentKeyResponse>, ApiError> {
    current_key(&state, &caller).await
}

/// Legacy alias of `GET /key`.
#[utoipa::path(tag = "keys", responses(
    (status = 200, body = CurrentKeyResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/auth/key")]
pub async fn current_legacy(
    state: web::Data<AppState>,
    caller: ApiKeyCaller,
) -> Result<web::Json<CurrentKeyResponse>, ApiError> {
    current_key(&state, &caller).await
}

/// Authentication used the cached key; its usage figures are read fresh.
async fn current_key(
    state: &AppState,
    caller: &ApiKeyCaller,
) -> Result<web::Json<CurrentKeyResponse>, ApiError> {
    let key = api_keys::get_any_kind(&state.db, &caller.0.scope(), &caller.0.key.hash).await?;
    let purchased = state.credit.lifetime_purchased(&key.org_id);
    let rates = RateFigures {
        limits: state.inference.limits().effective(&key.org_id, purchased),
        free_used_today: state
            .inference
            .limits()
            .free_used_today(&key.org_id, Utc::now()),
        purchased,
    };
    Ok(web::Json(current_key_view(&key, &rates)))
}

/// The caller's limits and today's `:free` count, from the in-memory limiter.
struct RateFigures {
    limits: Limits,
    free_used_today: u32,
    purchased: Nanos,
}

/// `60s` as OpenRouter writes intervals: `1m`, `1h`, `1d` when they divide evenly.
fn interval(seconds: u64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn current_key_view(key: &api_key::Model, rates: &RateFigures) -> CurrentKeyResponse {
    let figures = KeyFigures::new(key);
    let usage = KeyUsage::of(key);
    let budgets: Vec<KeyBudget> = key
        .limit_nanos
        .map(|limit| KeyBudget {
            budget_id: None,
            guardrail_id: None,
            include_byok: key.include_byok_in_limit,
            limit_usd: Nanos::from_nanos(limit),
            remaining_usd: usage.limit_remaining(key).unwrap_or(Nanos::ZERO),
            spend_usd: usage.in_limit_window(key),
            reset_interval: figures.limit_reset,
            resets_at: figures.limit_reset.map(|r| r.next_reset(Utc::now())),
            scope: "key_limit",
        })
        .into_iter()
        .collect();
    let is_management = KeyKind::of(key) == KeyKind::Management;
    CurrentKeyResponse {
        data: CurrentKey {
            label: key.label.clone(),
            name: key.name.clone(),
            figures,
            is_free_tier: !rates.purchased.is_positive(),
            is_management_key: is_management,
            is_provisioning_key: is_management,
            creator_user_id: key.creator_user_id.clone(),
            expires_at: key.expires_at,
            organization_id: Some(key.org_id.clone()),
            workspace_id: Some(key.org_id.clone()),
            allowed_data_regions: vec!["global"],
            effective_budget: budgets.first().cloned(),
            budgets,
            free_model_daily_requests: free_daily(rates),
            rate_limit: LegacyRateLimit {
                requests: match rates.limits.key_requests_per_window {
                    0 => -1,
                    n => i64::from(n),
                },
                interval: interval(rates.limits.window_seconds),
                note: "This field is deprecated and safe to ignore.",
            },
        },
    }
}

/// Today's `:free` allowance of the key's organization (-1 for limit and remaining: no cap).
fn free_daily(rates: &RateFigures) -> FreeModelDailyRequests {
    let used = i64::from(rates.free_used_today);
    match i64::from(rates.limits.free_requests_per_day) {
        0 => FreeModelDailyRequests {
            limit: -1,
            remaining: -1,
            used,
        },
        limit => FreeModelDailyRequests {
            limit,
            remaining: (limit - used).max(0),
            used,
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn intervals_read_like_openrouters() {
        assert_eq!(super::interval(60), "1m");
        assert_eq!(super::interval(10), "10s");
        assert_eq!(super::interval(7_200), "2h");
        assert_eq!(super::interval(86_400), "1d");
        assert_eq!(super::interval(90), "90s");
    }
}
