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
use crate::state::AppState;

/// The legacy `rate_limit` object: deprecated upstream, kept because clients require it.
#[derive(Serialize, ToSchema)]
pub struct LegacyRateLimit {
    pub requests: i64,
    pub interval: &'static str,
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

/// Daily request allowance on `:free` model variants before any credit purchase.
pub const FREE_MODEL_DAILY_REQUESTS: i64 = 50;

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
    Ok(web::Json(current_key_view(&key)))
}

fn current_key_view(key: &api_key::Model) -> CurrentKeyResponse {
    let figures = KeyFigures::new(key);
    let usage = KeyUsage::of(key);
    let budgets: Vec<KeyBudget> = key
        .limit_nanos
        .map(|limit| KeyBudget {
            budget_id: None,
            guardrail_id: None,
            include_byok: key.include_byok_in_limit,
            limit_usd: Nanos(limit),
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
            is_free_tier: true,
            is_management_key: is_management,
            is_provisioning_key: is_management,
            creator_user_id: key.creator_user_id.clone(),
            expires_at: key.expires_at,
            organization_id: Some(key.org_id.clone()),
            workspace_id: Some(key.org_id.clone()),
            allowed_data_regions: vec!["global"],
            effective_budget: budgets.first().cloned(),
            budgets,
            free_model_daily_requests: FreeModelDailyRequests {
                limit: FREE_MODEL_DAILY_REQUESTS,
                remaining: FREE_MODEL_DAILY_REQUESTS,
                used: 0,
            },
            rate_limit: LegacyRateLimit {
                requests: -1,
                interval: "10s",
                note: "This field is deprecated and safe to ignore.",
            },
        },
    }
}
