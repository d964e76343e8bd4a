//! Organization budgets: members read them; owners set them for their organization, and
//! platform admins for any (both audited). Requests over a budget get 403 naming it.

use actix_web::{HttpRequest, get, put, web};
use api_types::credits::{BudgetsRequest, BudgetsView};
use api_types::organizations::Role;
use chrono::{DateTime, Utc};

use super::error::ApiError;
use super::extract::{PlatformAdmin, SessionUser};
use super::openapi::ErrorBody;
use crate::accounts::organizations;
use crate::billing::budgets::{self, BudgetError, Budgets, parse_cap};
use crate::state::AppState;

pub(super) fn view(
    org_id: &str,
    budgets: Budgets,
    updated_at: Option<DateTime<Utc>>,
) -> BudgetsView {
    BudgetsView {
        org_id: org_id.to_owned(),
        daily: budgets.daily.map(Into::into),
        weekly: budgets.weekly.map(Into::into),
        monthly: budgets.monthly.map(Into::into),
        lifetime: budgets.lifetime.map(Into::into),
        updated_at,
    }
}

fn parse(request: &BudgetsRequest) -> Result<Budgets, BudgetError> {
    Ok(Budgets {
        daily: parse_cap("daily", request.daily)?,
        weekly: parse_cap("weekly", request.weekly)?,
        monthly: parse_cap("monthly", request.monthly)?,
        lifetime: parse_cap("lifetime", request.lifetime)?,
    })
}

/// The organization's budgets (any member).
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)), responses(
    (status = 200, body = BudgetsView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/organizations/{org_id}/budgets")]
pub async fn get_budgets(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
) -> Result<web::Json<BudgetsView>, ApiError> {
    let scope = organizations::scope_for_member(&state.db, &path, &session.user.id).await?;
    let (budgets, updated_at) = budgets::get(&state.db, scope.org_id()).await?;
    Ok(web::Json(view(scope.org_id(), budgets, updated_at)))
}

/// Replace the organization's budgets (its owners); a cap left out or `null` is removed.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)), request_body = BudgetsRequest, responses(
    (status = 200, body = BudgetsView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[put("/organizations/{org_id}/budgets")]
pub async fn put_budgets(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<BudgetsView>, ApiError> {
    let scope = organizations::scope_for_member(&state.db, &path, &session.user.id).await?;
    // Money controls are the owners': anyone else gets 403 whatever the body holds.
    if scope.role() != Role::Owner {
        return Err(ApiError::Forbidden(
            "Setting budgets needs the owner role in the organization".into(),
        ));
    }
    let request: BudgetsRequest = super::json::body(&req, payload).await?;
    let budgets = parse(&request)?;
    let view_set = state.inference.budgets();
    let at = budgets::set(&state.db, view_set, &session.user, scope.org_id(), budgets).await?;
    Ok(web::Json(view(scope.org_id(), budgets, Some(at))))
}

/// Replace any organization's budgets (platform admins).
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), request_body = BudgetsRequest, responses(
    (status = 200, body = BudgetsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[put("/admin/organizations/{org_id}/budgets")]
pub async fn admin_put_budgets(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<BudgetsView>, ApiError> {
    let request: BudgetsRequest = super::json::body(&req, payload).await?;
    let budgets = parse(&request)?;
    let at = budgets::set(
        &state.db,
        state.inference.budgets(),
        &admin.0,
        &path,
        budgets,
    )
    .await?;
    Ok(web::Json(view(&path, budgets, Some(at))))
}
