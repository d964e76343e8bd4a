//! `/byok`: organizations' own provider keys in OpenRouter's shapes (plus `always_use`).
//! Members and management keys read; owners, admins and management keys change. Every change
//! reaches this process's in-memory view at once (others within seconds, see `app`).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use api_types::byok::{ByokKeyList, ByokKeyResponse, CreateByokKeyRequest, UpdateByokKeyRequest};
use api_types::keys::DeletedResponse;
use serde::Deserialize;

use super::error::{ApiError, extractors};
use super::extract::OrgCaller;
use super::json;
use super::openapi::ErrorBody;
use super::paging::{Limit, Offset};
use crate::accounts::audit::Actor;
use crate::accounts::byok::{self, ByokPatch, NewByok};
use crate::state::AppState;

/// Page size when `limit` is absent, and the largest one (OpenRouter's).
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 100;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ByokListQuery {
    /// Credentials to skip.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 1000000000)]
    pub offset: Option<Offset>,
    /// Page size: default 50, at most 100 (larger values give 100).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 1000000000)]
    pub limit: Option<Limit>,
    /// Only this provider's credentials.
    pub provider: Option<String>,
    /// When given, must be the organization the caller acts in.
    pub workspace_id: Option<String>,
}

fn actor(caller: &OrgCaller) -> Result<Actor<'_>, ApiError> {
    match (&caller.user, &caller.key_hash) {
        (Some(user), _) => Ok(Actor::User(user)),
        (None, Some(hash)) => Ok(Actor::ManagementKey(hash)),
        (None, None) => Err(ApiError::internal("BYOK caller without a user or key")),
    }
}

fn check_workspace(caller: &OrgCaller, workspace_id: Option<&str>) -> Result<(), ApiError> {
    match workspace_id {
        Some(ws) if ws != caller.scope.org_id() => Err(ApiError::bad_request(
            "workspace_id: must be the organization the caller acts in (X-Organization-Id for sessions)",
        )),
        _ => Ok(()),
    }
}

/// Per-user restrictions are not supported: only `null` is accepted.
fn refuse_user_ids(given: bool) -> Result<(), ApiError> {
    if given {
        return Err(ApiError::bad_request(
            "allowed_user_ids: not supported; use allowed_api_key_hashes (or null)",
        ));
    }
    Ok(())
}

/// Puts the organization's keys as stored now into this process's in-memory view.
async fn refresh(state: &AppState, caller: &OrgCaller) -> Result<(), ApiError> {
    let credentials = byok::credentials(&state.db, &state.master_key, &caller.scope).await?;
    state
        .inference
        .byok()
        .set_org(caller.scope.org_id(), credentials);
    Ok(())
}

/// List the organization's provider keys (never the keys themselves).
#[utoipa::path(tag = "byok", params(ByokListQuery), responses(
    (status = 200, body = ByokKeyList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/byok")]
pub async fn list(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<ByokKeyList>, ApiError> {
    let query: ByokListQuery = extractors::query(&req)?;
    check_workspace(&caller, query.workspace_id.as_deref())?;
    let offset = query.offset.map_or(0, Offset::get);
    let limit = query
        .limit
        .map_or(DEFAULT_LIMIT, Limit::get)
        .clamp(1, MAX_LIMIT);
    let provider = query.provider.as_deref().map(str::trim);
    Ok(web::Json(
        byok::list(&state.db, &caller.scope, provider, offset, limit).await?,
    ))
}

/// Add a provider key (owner or admin, or a management key). Encrypted at rest; only `...`
/// and its last four characters are ever shown again.
#[utoipa::path(tag = "byok", request_body = CreateByokKeyRequest, responses(
    (status = 201, body = ByokKeyResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[post("/byok")]
pub async fn create(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    byok::require_manager(&caller.scope)?;
    let body: CreateByokKeyRequest = json::body(&req, payload).await?;
    check_workspace(&caller, body.workspace_id.as_deref())?;
    refuse_user_ids(body.allowed_user_ids.is_some())?;
    let new = NewByok {
        provider: body.provider,
        key: body.key,
        name: body.name,
        is_fallback: body.is_fallback,
        always_use: body.always_use,
        disabled: body.disabled,
        allowed_models: body.allowed_models,
        allowed_api_key_hashes: body.allowed_api_key_hashes,
    };
    let routing = state.inference.routing();
    let data = byok::create(
        &state.db,
        &state.master_key,
        &caller.scope,
        actor(&caller)?,
        new,
        |slug| routing.catalog.provider(slug).is_some(),
    )
    .await?;
    refresh(&state, &caller).await?;
    Ok(HttpResponse::Created().json(ByokKeyResponse { data }))
}

/// One provider key by id.
#[utoipa::path(tag = "byok", params(("id" = String, Path)), responses(
    (status = 200, body = ByokKeyResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/byok/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: OrgCaller,
    id: web::Path<String>,
) -> Result<web::Json<ByokKeyResponse>, ApiError> {
    let data = byok::get(&state.db, &caller.scope, &id).await?;
    Ok(web::Json(ByokKeyResponse { data }))
}

/// Change a provider key: `key` replaces it, `null` clears `name` and the allowlists, `[]` is
/// refused (owner or admin, or a management key).
#[utoipa::path(tag = "byok", params(("id" = String, Path)), request_body = UpdateByokKeyRequest, responses(
    (status = 200, body = ByokKeyResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/byok/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: OrgCaller,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<ByokKeyResponse>, ApiError> {
    byok::require_manager(&caller.scope)?;
    let body: UpdateByokKeyRequest = json::body(&req, payload).await?;
    refuse_user_ids(matches!(body.allowed_user_ids, Some(Some(_))))?;
    let patch = ByokPatch {
        key: body.key,
        name: body.name,
        is_fallback: body.is_fallback,
        always_use: body.always_use,
        disabled: body.disabled,
        allowed_models: body.allowed_models,
        allowed_api_key_hashes: body.allowed_api_key_hashes,
    };
    let data = byok::update(
        &state.db,
        &state.master_key,
        &caller.scope,
        actor(&caller)?,
        &id,
        patch,
    )
    .await?;
    refresh(&state, &caller).await?;
    Ok(web::Json(ByokKeyResponse { data }))
}

/// Remove a provider key; requests stop using it at once.
#[utoipa::path(tag = "byok", params(("id" = String, Path)), responses(
    (status = 200, body = DeletedResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/byok/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: OrgCaller,
    id: web::Path<String>,
) -> Result<web::Json<DeletedResponse>, ApiError> {
    byok::delete(&state.db, &caller.scope, actor(&caller)?, &id).await?;
    refresh(&state, &caller).await?;
    Ok(web::Json(DeletedResponse { deleted: true }))
}
