//! Organizations, members and invites. Every route names the organization in its path and
//! first checks that the caller is a member (non-members get 404, so ids do not leak).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use api_types::organizations::{
    InviteList, InviteRequest, InviteView, MemberList, MemberView, OrganizationList,
    OrganizationRequest, OrganizationView, RoleRequest,
};

use super::error::ApiError;
use super::extract::SessionUser;
use super::json;
use super::openapi::ErrorBody;
use crate::accounts::organizations;
use crate::accounts::roles::Role;
use crate::accounts::tenant::OrgScope;
use crate::state::AppState;

// Bodies are read inside the handlers (`json::body`), after the session and, where the action
// needs it, the owner-or-admin role: the caller is judged before the request.

async fn member_scope(
    state: &AppState,
    session: &SessionUser,
    org_id: &str,
) -> Result<OrgScope, ApiError> {
    Ok(organizations::scope_for_member(&state.db, org_id, &session.user.id).await?)
}

/// The caller's scope in an organization they manage (owner or admin), else 403.
async fn manager_scope(
    state: &AppState,
    session: &SessionUser,
    org_id: &str,
) -> Result<OrgScope, ApiError> {
    let scope = member_scope(state, session, org_id).await?;
    organizations::require_manager(&scope)?;
    Ok(scope)
}

/// The organizations the caller belongs to.
#[utoipa::path(tag = "organizations", responses((status = 200, body = OrganizationList), (status = 401, body = ErrorBody)))]
#[get("/organizations")]
pub async fn list(
    state: web::Data<AppState>,
    session: SessionUser,
) -> Result<web::Json<OrganizationList>, ApiError> {
    let data = organizations::list_for_user(&state.db, &session.user.id).await?;
    Ok(web::Json(OrganizationList { data }))
}

/// Create an organization; the caller becomes its owner.
#[utoipa::path(tag = "organizations", request_body = OrganizationRequest, responses(
    (status = 201, body = OrganizationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
#[post("/organizations")]
pub async fn create(
    state: web::Data<AppState>,
    session: SessionUser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: OrganizationRequest = json::body(&req, payload).await?;
    let org = organizations::create(&state.db, &session.user, Some(body.name)).await?;
    Ok(HttpResponse::Created().json(org))
}

/// One organization the caller belongs to.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)), responses(
    (status = 200, body = OrganizationView), (status = 404, body = ErrorBody)))]
#[get("/organizations/{org_id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
) -> Result<web::Json<OrganizationView>, ApiError> {
    let scope = member_scope(&state, &session, &path).await?;
    Ok(web::Json(organizations::describe(&state.db, &scope).await?))
}

/// Rename an organization (owner or admin).
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)), request_body = OrganizationRequest, responses(
    (status = 200, body = OrganizationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/organizations/{org_id}")]
pub async fn update(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<OrganizationView>, ApiError> {
    let scope = manager_scope(&state, &session, &path).await?;
    let body: OrganizationRequest = json::body(&req, payload).await?;
    let org = organizations::rename(&state.db, &scope, Some(body.name)).await?;
    Ok(web::Json(org))
}

/// Members and their roles.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)), responses(
    (status = 200, body = MemberList), (status = 404, body = ErrorBody)))]
#[get("/organizations/{org_id}/members")]
pub async fn members(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
) -> Result<web::Json<MemberList>, ApiError> {
    let scope = member_scope(&state, &session, &path).await?;
    let data = organizations::members(&state.db, &scope).await?;
    Ok(web::Json(MemberList { data }))
}

/// Change a member's role. Only owners grant or remove ownership; one owner always remains.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path), ("user_id" = String, Path)), request_body = RoleRequest, responses(
    (status = 200, body = MemberView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[patch("/organizations/{org_id}/members/{user_id}")]
pub async fn change_role(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<MemberView>, ApiError> {
    let (org_id, user_id) = path.into_inner();
    let scope = manager_scope(&state, &session, &org_id).await?;
    let body: RoleRequest = json::body(&req, payload).await?;
    organizations::change_role(&state.db, &scope, &user_id, body.role).await?;
    let member = organizations::members(&state.db, &scope)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .ok_or(ApiError::NotFound("Member not found".into()))?;
    Ok(web::Json(member))
}

/// Remove a member, or leave (remove yourself).
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path), ("user_id" = String, Path)), responses(
    (status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/organizations/{org_id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, user_id) = path.into_inner();
    let scope = member_scope(&state, &session, &org_id).await?;
    organizations::remove_member(&state.db, &scope, &session.user.id, &user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pending invitations.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)), responses(
    (status = 200, body = InviteList), (status = 404, body = ErrorBody)))]
#[get("/organizations/{org_id}/invites")]
pub async fn invites(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
) -> Result<web::Json<InviteList>, ApiError> {
    let scope = member_scope(&state, &session, &path).await?;
    let data = organizations::pending_invites(&state.db, &scope).await?;
    Ok(web::Json(InviteList { data }))
}

/// Invite someone by email; the invite is accepted when they sign up or log in.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)), request_body = InviteRequest, responses(
    (status = 201, body = InviteView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/organizations/{org_id}/invites")]
pub async fn create_invite(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let scope = manager_scope(&state, &session, &path).await?;
    let body: InviteRequest = json::body(&req, payload).await?;
    let invite = organizations::invite(
        &state.db,
        &scope,
        &session.user,
        &body.email,
        body.role.unwrap_or(Role::Member),
    )
    .await?;
    Ok(HttpResponse::Created().json(invite))
}

/// Withdraw a pending invite.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path), ("invite_id" = String, Path)), responses(
    (status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/organizations/{org_id}/invites/{invite_id}")]
pub async fn revoke_invite(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, invite_id) = path.into_inner();
    let scope = member_scope(&state, &session, &org_id).await?;
    organizations::revoke_invite(&state.db, &scope, &invite_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
