//! An organization's routing defaults: `GET` for members, `PUT` for owners and admins.
//! The body is the request `provider` object restricted to `only`, `ignore`,
//! `data_collection`, `zdr` and `sort`; `{}` clears it. Requests of the organization use
//! these where they do not set the field themselves; the `ignore` list always applies.

use actix_web::{HttpRequest, get, put, web};
use api_types::organizations::RoutingDefaultsView;
use serde_json::Value;

use super::error::ApiError;
use super::extract::SessionUser;
use super::json;
use super::openapi::ErrorBody;
use crate::accounts::{organizations, routing_defaults};
use crate::state::AppState;

/// The organization's routing defaults.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)), responses(
    (status = 200, body = RoutingDefaultsView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/organizations/{org_id}/routing")]
pub async fn get_routing(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
) -> Result<web::Json<RoutingDefaultsView>, ApiError> {
    let scope = organizations::scope_for_member(&state.db, &path, &session.user.id).await?;
    let (preferences, updated_at) = routing_defaults::get(&state.db, &scope).await?;
    Ok(web::Json(RoutingDefaultsView {
        org_id: scope.org_id().to_owned(),
        preferences,
        updated_at,
    }))
}

/// Replace the organization's routing defaults (owner or admin); `{}` clears them.
#[utoipa::path(tag = "organizations", params(("org_id" = String, Path)),
    request_body(content = crate::gateway::routing::preferences_doc::RoutingDefaultsDoc, description = "`{only, ignore, data_collection, zdr, sort}` as in the request `provider` object"),
    responses((status = 200, body = RoutingDefaultsView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[put("/organizations/{org_id}/routing")]
pub async fn put_routing(
    state: web::Data<AppState>,
    session: SessionUser,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<RoutingDefaultsView>, ApiError> {
    let scope = organizations::scope_for_member(&state.db, &path, &session.user.id).await?;
    // The body is read once the caller is known to manage the organization: a plain member
    // gets 403 whatever it holds.
    routing_defaults::require_editor(&scope)?;
    let body: Value = json::body(&req, payload).await?;
    let prefs = routing_defaults::put(&state.db, &scope, &session.user.id, body).await?;
    state.inference.org_routing().set(scope.org_id(), prefs);
    let (preferences, updated_at) = routing_defaults::get(&state.db, &scope).await?;
    Ok(web::Json(RoutingDefaultsView {
        org_id: scope.org_id().to_owned(),
        preferences,
        updated_at,
    }))
}
