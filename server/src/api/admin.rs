//! Platform admin routes: tenants, users, suspension, audit log.

use actix_web::{HttpRequest, get, post, web};
use api_types::admin::{
    AdminOrganization, AdminOrganizationDetail, AdminOrganizationList, AdminUserList, AuditList,
    SuspendRequest,
};
use api_types::credits::LedgerPage;
use serde::Deserialize;

use super::credits::LedgerQuery;
use super::error::{ApiError, extractors};
use super::extract::PlatformAdmin;
use super::openapi::ErrorBody;
use super::paging::{PageNumber, PerPage};
use crate::accounts::admin::{self, Page};
use crate::billing::budgets;
use crate::state::AppState;

// The query types are read after the admin check (`extractors::query`): a non-admin gets
// 403 whatever the query holds. Their bounds are `paging`'s, repeated for the document.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Case-insensitive substring of the name or email, or an exact id.
    pub q: Option<String>,
    /// 1-based page number.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 10000000)]
    pub page: Option<PageNumber>,
    /// 1 to 100, default 20.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub per_page: Option<PerPage>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1-based page number.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 10000000)]
    pub page: Option<PageNumber>,
    /// 1 to 100, default 20.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub per_page: Option<PerPage>,
}

fn page(page: Option<PageNumber>, per_page: Option<PerPage>) -> Result<Page, ApiError> {
    Ok(Page::new(
        page.map(PageNumber::get),
        per_page.map(PerPage::get),
    )?)
}

/// All organizations, newest first, with search and paging.
#[utoipa::path(tag = "admin", params(SearchQuery), responses(
    (status = 200, body = AdminOrganizationList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/admin/organizations")]
pub async fn organizations(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    req: HttpRequest,
) -> Result<web::Json<AdminOrganizationList>, ApiError> {
    let query: SearchQuery = extractors::query(&req)?;
    let page = page(query.page, query.per_page)?;
    Ok(web::Json(
        admin::organizations(&state.db, query.q.as_deref(), page).await?,
    ))
}

/// One organization: its balance and status, members, inference keys (disabled ones
/// included, never the keys themselves) and budgets.
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), responses(
    (status = 200, body = AdminOrganizationDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/admin/organizations/{org_id}")]
pub async fn organization(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    path: web::Path<String>,
) -> Result<web::Json<AdminOrganizationDetail>, ApiError> {
    let (organization, members, keys) = admin::organization(&state.db, &path).await?;
    let (caps, updated_at) = budgets::get(&state.db, &organization.id).await?;
    Ok(web::Json(AdminOrganizationDetail {
        budgets: super::budgets::view(&organization.id, caps, updated_at),
        organization,
        members,
        keys,
    }))
}

/// One organization's ledger, newest first, with cursor paging (as `/credits/ledger`).
#[utoipa::path(tag = "admin", params(("org_id" = String, Path), LedgerQuery), responses(
    (status = 200, body = LedgerPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/admin/organizations/{org_id}/ledger")]
pub async fn organization_ledger(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<web::Json<LedgerPage>, ApiError> {
    // Read only now, after the admin check: a non-admin gets 403 whatever the query holds.
    let query: LedgerQuery = extractors::query(&req)?;
    admin::require_organization(&state.db, &path).await?;
    Ok(web::Json(
        super::credits::ledger_page(&state.db, &path, &query).await?,
    ))
}

/// All users, newest first, with search and paging.
#[utoipa::path(tag = "admin", params(SearchQuery), responses(
    (status = 200, body = AdminUserList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/admin/users")]
pub async fn users(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    req: HttpRequest,
) -> Result<web::Json<AdminUserList>, ApiError> {
    let query: SearchQuery = extractors::query(&req)?;
    let page = page(query.page, query.per_page)?;
    Ok(web::Json(
        admin::users(&state.db, query.q.as_deref(), page).await?,
    ))
}

async fn set_suspended(
    state: &AppState,
    admin: &PlatformAdmin,
    org_id: &str,
    reason: Option<String>,
) -> Result<AdminOrganization, ApiError> {
    Ok(admin::set_suspended(&state.db, &state.keys, &admin.0, org_id, reason).await?)
}

/// Suspend an organization: every key of it gets 403 until reactivated.
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), request_body(content = Option<SuspendRequest>), responses(
    (status = 200, body = AdminOrganization), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/admin/organizations/{org_id}/suspend")]
pub async fn suspend(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<AdminOrganization>, ApiError> {
    // Read only now, after the admin check: a non-admin gets 403 whatever the body holds.
    let body = super::json::read_body(&req, &mut payload.into_inner()).await?;
    let request: SuspendRequest = super::json::parse_optional(&body)?;
    let reason = request
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "Suspended by a platform admin".into());
    if reason.chars().count() > 500 {
        return Err(ApiError::bad_request("reason: at most 500 characters"));
    }
    Ok(web::Json(
        set_suspended(&state, &admin, &path, Some(reason)).await?,
    ))
}

/// Lift a suspension.
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), responses(
    (status = 200, body = AdminOrganization), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/admin/organizations/{org_id}/reactivate")]
pub async fn reactivate(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
) -> Result<web::Json<AdminOrganization>, ApiError> {
    Ok(web::Json(set_suspended(&state, &admin, &path, None).await?))
}

/// Every change made by platform admins, newest first.
#[utoipa::path(tag = "admin", params(PageQuery), responses(
    (status = 200, body = AuditList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/admin/audit")]
pub async fn audit(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    req: HttpRequest,
) -> Result<web::Json<AuditList>, ApiError> {
    let query: PageQuery = extractors::query(&req)?;
    let page = page(query.page, query.per_page)?;
    Ok(web::Json(admin::audit_entries(&state.db, page).await?))
}
