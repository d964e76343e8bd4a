//! `GET /api/v1/key` (and its legacy alias `/auth/key`): the calling key's own data in
//! OpenRouter's shape, including the fields its SDKs require (budgets, the legacy rate limit).

use actix_web::{get, web};
use api_types::keys::{CurrentKeyResponse, FreeModelDailyRequests, LegacyRateLimit};
use chrono::Utc;

use super::error::ApiError;
use super::extract::ApiKeyCaller;
use super::openapi::ErrorBody;
use crate::accounts::key_rules;
use crate::accounts::key_views::RateFigures;
use crate::limits::Limits;
use crate::state::AppState;

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
    let org_id = &caller.0.key.org_id;
    let purchased = state.credit.lifetime_purchased(org_id);
    let limiter = state.inference.limits();
    let limits = limiter.effective(org_id, purchased);
    let free_used_today = limiter.free_used_today(org_id, Utc::now());
    let rates = RateFigures {
        is_free_tier: !purchased.is_positive(),
        free_model_daily_requests: free_daily(&limits, free_used_today),
        rate_limit: legacy_rate_limit(&limits),
    };
    let data = key_rules::own_key(&state.db, &caller.0, &rates).await?;
    Ok(web::Json(CurrentKeyResponse { data }))
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

/// The key's real request-rate limit in the legacy object's shape (-1: none).
fn legacy_rate_limit(limits: &Limits) -> LegacyRateLimit {
    LegacyRateLimit {
        requests: match limits.key_requests_per_window {
            0 => -1,
            n => i64::from(n),
        },
        interval: interval(limits.window_seconds),
        note: "This field is deprecated and safe to ignore.".into(),
    }
}

/// Today's `:free` allowance of the key's organization (-1 for limit and remaining: no cap).
fn free_daily(limits: &Limits, free_used_today: u32) -> FreeModelDailyRequests {
    let used = i64::from(free_used_today);
    match i64::from(limits.free_requests_per_day) {
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
