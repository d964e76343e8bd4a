//! Platform admin routes: tenants, users, suspension, audit log.

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use entity::{audit_log, organization};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::PlatformAdmin;
use super::openapi::ErrorBody;
use crate::accounts::admin::{self, Page};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Case-insensitive substring of the name or email, or an exact id.
    pub q: Option<String>,
    /// 1-based page number.
    pub page: Option<u64>,
    /// 1 to 100, default 20.
    pub per_page: Option<u64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct PageInfo {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[derive(Serialize, ToSchema)]
pub struct AdminOrganization {
    pub id: String,
    pub name: String,
    pub is_personal: bool,
    pub member_count: u64,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspended_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl AdminOrganization {
    fn new(org: organization::Model, member_count: u64) -> Self {
        AdminOrganization {
            id: org.id,
            name: org.name,
            is_personal: org.is_personal,
            member_count,
            suspended_at: org.suspended_at,
            suspended_reason: org.suspended_reason,
            created_at: org.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminOrganizationList {
    pub data: Vec<AdminOrganization>,
    pub pagination: PageInfo,
}

#[derive(Serialize, ToSchema)]
pub struct AdminUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub is_platform_admin: bool,
    pub personal_organization_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct AdminUserList {
    pub data: Vec<AdminUser>,
    pub pagination: PageInfo,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// Shown to the organization's callers in the 403 message.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub actor_user_id: String,
    pub actor_email: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(a: audit_log::Model) -> Self {
        AuditEntry {
            id: a.id,
            actor_user_id: a.actor_user_id,
            actor_email: a.actor_email,
            action: a.action,
            target_type: a.target_type,
            target_id: a.target_id,
            details: a.details,
            created_at: a.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    pub data: Vec<AuditEntry>,
    pub pagination: PageInfo,
}

/// All organizations, newest first, with search and paging.
#[utoipa::path(tag = "admin", params(SearchQuery), responses(
    (status = 200, body = AdminOrganizationList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/admin/organizations")]
pub async fn organizations(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    query: web::Query<SearchQuery>,
) -> Result<web::Json<AdminOrganizationList>, ApiError> {
    let page = Page::new(query.page, query.per_page)?;
    let (rows, total) = admin::organizations(&state.db, query.q.as_deref(), page).await?;
    Ok(web::Json(AdminOrganizationList {
        data: rows
            .into_iter()
            .map(|r| AdminOrganization::new(r.org, r.member_count))
            .collect(),
        pagination: PageInfo {
            page: page.page,
            per_page: page.per_page,
            total,
        },
    }))
}

/// All users, newest first, with search and paging.
#[utoipa::path(tag = "admin", params(SearchQuery), responses(
    (status = 200, body = AdminUserList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/admin/users")]
pub async fn users(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    query: web::Query<SearchQuery>,
) -> Result<web::Json<AdminUserList>, ApiError> {
    let page = Page::new(query.page, query.per_page)?;
    let (rows, total) = admin::users(&state.db, query.q.as_deref(), page).await?;
    Ok(web::Json(AdminUserList {
        data: rows
            .into_iter()
            .map(|u| AdminUser {
                id: u.id,
                email: u.email,
                name: u.name,
                is_platform_admin: u.is_platform_admin,
                personal_organization_id: u.personal_org_id,
                created_at: u.created_at,
            })
            .collect(),
        pagination: PageInfo {
            page: page.page,
            per_page: page.per_page,
            total,
        },
    }))
}

async fn set_suspended(
    state: &AppState,
    admin: &PlatformAdmin,
    org_id: &str,
    reason: Option<String>,
) -> Result<AdminOrganization, ApiError> {
    let org = admin::set_suspended(&state.db, &admin.0, org_id, reason).await?;
    // Keys are cached for up to a second; drop them so the change holds at once here.
    state.keys.invalidate_all();
    Ok(AdminOrganization::new(org, 0))
}

/// Suspend an organization: every key of it gets 403 until reactivated.
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), request_body(content = Option<SuspendRequest>), responses(
    (status = 200, body = AdminOrganization), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/admin/organizations/{org_id}/suspend")]
pub async fn suspend(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<web::Json<AdminOrganization>, ApiError> {
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
    (status = 200, body = AuditList), (status = 403, body = ErrorBody)))]
#[get("/admin/audit")]
pub async fn audit(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    query: web::Query<PageQuery>,
) -> Result<web::Json<AuditList>, ApiError> {
    let page = Page::new(query.page, query.per_page)?;
    let (rows, total) = admin::audit_entries(&state.db, page).await?;
    Ok(web::Json(AuditList {
        data: rows.into_iter().map(AuditEntry::from).collect(),
        pagination: PageInfo {
            page: page.page,
            per_page: page.per_page,
            total,
        },
    }))
}
