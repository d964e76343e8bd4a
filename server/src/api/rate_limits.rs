//! Inference rate limits over HTTP: the `X-RateLimit-*` headers on inference responses (the
//! limits themselves are checked by the inference service), and the platform admins' routes
//! that override an organization's limits.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::PlatformAdmin;
use super::openapi::ErrorBody;
use crate::limits::{self, Admission, Limits, Override, Standing};
use crate::state::AppState;

/// A limit's `X-RateLimit-Limit`, `-Remaining` and `-Reset` (Unix time in milliseconds, as
/// OpenRouter sends it). The names are built at compile time and the values from integers:
/// these go on every inference response.
pub fn headers(standing: &Standing) -> [(HeaderName, HeaderValue); 3] {
    const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
    const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
    const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
    [
        (LIMIT, HeaderValue::from(standing.limit)),
        (REMAINING, HeaderValue::from(standing.remaining)),
        (
            RESET,
            HeaderValue::from(standing.reset_at.timestamp_millis()),
        ),
    ]
}

/// Adds the tightest limit's `X-RateLimit-*` headers to a response, so clients can pace.
pub fn with_headers(admission: &Admission, mut response: HttpResponse) -> HttpResponse {
    if let Some(standing) = &admission.tightest {
        for (name, value) in headers(standing) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

#[derive(Serialize, ToSchema)]
pub struct RateLimitPolicy {
    pub organization_id: String,
    /// The admins' override (`null`: the configured plan applies unchanged).
    #[serde(rename = "override")]
    pub overrides: Option<Override>,
    /// The limits in force now (0: no limit).
    pub effective: Limits,
    /// `:free` requests counted today (UTC) on this replica.
    pub free_requests_today: u32,
    pub updated_by_user_id: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct RateLimitPolicyResponse {
    pub data: RateLimitPolicy,
}

fn view(
    state: &AppState,
    org_id: &str,
    row: Option<entity::rate_limit_policy::Model>,
    overrides: Option<Override>,
) -> RateLimitPolicyResponse {
    let purchased = state.credit.lifetime_purchased(org_id);
    RateLimitPolicyResponse {
        data: RateLimitPolicy {
            organization_id: org_id.to_owned(),
            effective: state
                .inference
                .limits()
                .plan()
                .effective(overrides.as_ref(), purchased),
            overrides,
            free_requests_today: state.inference.limits().free_used_today(org_id, Utc::now()),
            updated_by_user_id: row.as_ref().map(|r| r.updated_by_user_id.clone()),
            updated_at: row.map(|r| r.updated_at),
        },
    }
}

/// An organization's rate limits: the override (if any) and the limits in force.
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), responses(
    (status = 200, body = RateLimitPolicyResponse), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/admin/organizations/{org_id}/rate-limits")]
pub async fn get_policy(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    path: web::Path<String>,
) -> Result<web::Json<RateLimitPolicyResponse>, ApiError> {
    let (org, row) = limits::store::get(&state.db, &path).await?;
    let overrides = row.as_ref().map(limits::store::to_override);
    Ok(web::Json(view(&state, &org.id, row, overrides)))
}

/// Override an organization's rate limits (fields left out keep the plan's value; 0 means no
/// limit). Applies at once on this replica, within seconds on the others; audited.
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), request_body = Override, responses(
    (status = 200, body = RateLimitPolicyResponse), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[put("/admin/organizations/{org_id}/rate-limits")]
pub async fn put_policy(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<RateLimitPolicyResponse>, ApiError> {
    // Read only now, after the admin check: a non-admin gets 403 whatever the body holds.
    let body = super::json::read_body(&req, &mut payload.into_inner()).await?;
    let over: Override = super::json::parse(&body)?;
    over.validate().map_err(ApiError::BadRequest)?;
    let row = limits::store::put(&state.db, &admin.0, &path, &over).await?;
    state
        .inference
        .limits()
        .set_override(&path, Some(over.clone()));
    Ok(web::Json(view(&state, &path, Some(row), Some(over))))
}

/// Remove an organization's override: the configured plan applies again. Audited.
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), responses(
    (status = 204, description = "Override removed"), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/admin/organizations/{org_id}/rate-limits")]
pub async fn delete_policy(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    limits::store::remove(&state.db, &admin.0, &path).await?;
    state.inference.limits().set_override(&path, None);
    Ok(HttpResponse::NoContent().finish())
}
