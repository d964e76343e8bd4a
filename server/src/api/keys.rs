//! API key management with OpenRouter's request and response shapes (`/keys`, `/key`),
//! plus management keys (`/management-keys`), which call this API but never inference.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use api_types::keys::{
    CreateKeyRequest, CreatedKeyResponse, DeletedResponse, KeyList, KeyResponse, UpdateKeyRequest,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::{ApiError, extractors};
use super::extract::OrgCaller;
use super::json;
use super::openapi::ErrorBody;
use super::paging::Offset;
use crate::accounts::api_keys::{KeyKind, KeyPatch, NewKey};
use crate::accounts::key_rules::KeyAccess;
use crate::billing::money::Nanos;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `true` (or `1`) to include disabled keys.
    #[param(value_type = Option<bool>)]
    pub include_disabled: Option<String>,
    /// Keys to skip (pages of 100).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 1000000000)]
    pub offset: Option<Offset>,
}

fn parse_limit(limit: Option<f64>) -> Result<Option<Nanos>, ApiError> {
    limit
        .map(|usd| {
            if usd > crate::billing::money::MAX_SETTABLE_USD {
                return Err(ApiError::bad_request(format!(
                    "limit: must be at most {}",
                    crate::billing::money::MAX_SETTABLE_USD
                )));
            }
            Nanos::from_usd_f64(usd).map_err(|e| ApiError::bad_request(format!("limit: {e}")))
        })
        .transpose()
}

fn parse_expiry(text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    let parsed = DateTime::parse_from_rfc3339(text).map_err(|_| {
        ApiError::bad_request(
            "expires_at: must be an ISO 8601 timestamp such as 2027-12-31T23:59:59Z",
        )
    })?;
    if parsed.offset().local_minus_utc() != 0 {
        return Err(ApiError::bad_request(
            "expires_at: must be in UTC (Z or +00:00)",
        ));
    }
    Ok(Some(parsed.to_utc()))
}

fn parse_bool_flag(text: Option<&str>, field: &str) -> Result<bool, ApiError> {
    match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(ApiError::bad_request(format!(
            "{field}: must be true or false"
        ))),
    }
}

/// The caller's right to act on keys of `kind` (see `accounts::key_rules`).
fn access(caller: &OrgCaller, kind: KeyKind) -> Result<KeyAccess<'_>, ApiError> {
    let user_id = caller.user.as_ref().map(|u| u.id.as_str());
    Ok(KeyAccess::check(&caller.scope, user_id, kind)?)
}

async fn list_keys(
    state: &AppState,
    caller: &OrgCaller,
    kind: KeyKind,
    req: &HttpRequest,
) -> Result<web::Json<KeyList>, ApiError> {
    let access = access(caller, kind)?;
    // Read only now: a caller who may not list these keys gets 403 whatever the query holds.
    let query: ListQuery = extractors::query(req)?;
    let include_disabled = parse_bool_flag(query.include_disabled.as_deref(), "include_disabled")?;
    let offset = query.offset.map_or(0, Offset::get);
    let data = access.list(&state.db, include_disabled, offset).await?;
    Ok(web::Json(KeyList { data }))
}

async fn create_key(
    state: &AppState,
    caller: &OrgCaller,
    kind: KeyKind,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let access = access(caller, kind)?;
    let body: CreateKeyRequest = json::body(req, payload).await?;
    let limit = parse_limit(body.limit)?;
    let expires_at = parse_expiry(body.expires_at.as_deref())?;
    let created = access
        .create(
            &state.db,
            body.creator_user_id,
            NewKey {
                name: body.name,
                limit,
                limit_reset: body.limit_reset,
                include_byok_in_limit: body.include_byok_in_limit,
                expires_at,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(CreatedKeyResponse {
        data: created.key,
        key: created.plaintext,
    }))
}

async fn update_key(
    state: &AppState,
    caller: &OrgCaller,
    kind: KeyKind,
    hash: &str,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<KeyResponse>, ApiError> {
    let access = access(caller, kind)?;
    let body: UpdateKeyRequest = json::body(req, payload).await?;
    let limit = body.limit.map(parse_limit).transpose()?;
    let patch = KeyPatch {
        name: body.name,
        disabled: body.disabled,
        include_byok_in_limit: body.include_byok_in_limit,
        limit,
        limit_reset: body.limit_reset,
    };
    let data = access.update(&state.db, &state.keys, hash, patch).await?;
    Ok(web::Json(KeyResponse { data }))
}

async fn delete_key(
    state: &AppState,
    caller: &OrgCaller,
    kind: KeyKind,
    hash: &str,
) -> Result<web::Json<DeletedResponse>, ApiError> {
    access(caller, kind)?
        .delete(&state.db, &state.keys, hash)
        .await?;
    Ok(web::Json(DeletedResponse { deleted: true }))
}

/// List the organization's inference keys.
#[utoipa::path(tag = "keys", params(ListQuery), responses(
    (status = 200, body = KeyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/keys")]
pub async fn list(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<KeyList>, ApiError> {
    list_keys(&state, &caller, KeyKind::Inference, &req).await
}

/// Create an inference key. The response holds the key itself, once.
#[utoipa::path(tag = "keys", request_body = CreateKeyRequest, responses(
    (status = 201, body = CreatedKeyResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[post("/keys")]
pub async fn create(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    create_key(&state, &caller, KeyKind::Inference, &req, payload).await
}

/// One inference key by hash.
#[utoipa::path(tag = "keys", params(("hash" = String, Path)), responses(
    (status = 200, body = KeyResponse), (status = 404, body = ErrorBody)))]
#[get("/keys/{hash}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: OrgCaller,
    hash: web::Path<String>,
) -> Result<web::Json<KeyResponse>, ApiError> {
    let data = access(&caller, KeyKind::Inference)?
        .get(&state.db, &hash)
        .await?;
    Ok(web::Json(KeyResponse { data }))
}

/// Update an inference key (name, disabled, limit, limit_reset, include_byok_in_limit).
#[utoipa::path(tag = "keys", params(("hash" = String, Path)), request_body = UpdateKeyRequest, responses(
    (status = 200, body = KeyResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/keys/{hash}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: OrgCaller,
    hash: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<KeyResponse>, ApiError> {
    update_key(&state, &caller, KeyKind::Inference, &hash, &req, payload).await
}

/// Delete an inference key; it stops working at once.
#[utoipa::path(tag = "keys", params(("hash" = String, Path)), responses(
    (status = 200, body = DeletedResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/keys/{hash}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: OrgCaller,
    hash: web::Path<String>,
) -> Result<web::Json<DeletedResponse>, ApiError> {
    delete_key(&state, &caller, KeyKind::Inference, &hash).await
}

/// List the organization's management keys (session, owner or admin).
#[utoipa::path(tag = "management-keys", params(ListQuery), responses(
    (status = 200, body = KeyList), (status = 403, body = ErrorBody)))]
#[get("/management-keys")]
pub async fn list_management(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<KeyList>, ApiError> {
    list_keys(&state, &caller, KeyKind::Management, &req).await
}

/// Create a management key: it calls `/keys` for its organization and can never call models.
#[utoipa::path(tag = "management-keys", request_body = CreateKeyRequest, responses(
    (status = 201, body = CreatedKeyResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[post("/management-keys")]
pub async fn create_management(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    create_key(&state, &caller, KeyKind::Management, &req, payload).await
}

/// Update a management key.
#[utoipa::path(tag = "management-keys", params(("hash" = String, Path)), request_body = UpdateKeyRequest, responses(
    (status = 200, body = KeyResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/management-keys/{hash}")]
pub async fn update_management(
    state: web::Data<AppState>,
    caller: OrgCaller,
    hash: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<KeyResponse>, ApiError> {
    update_key(&state, &caller, KeyKind::Management, &hash, &req, payload).await
}

/// Delete a management key.
#[utoipa::path(tag = "management-keys", params(("hash" = String, Path)), responses(
    (status = 200, body = DeletedResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/management-keys/{hash}")]
pub async fn remove_management(
    state: web::Data<AppState>,
    caller: OrgCaller,
    hash: web::Path<String>,
) -> Result<web::Json<DeletedResponse>, ApiError> {
    delete_key(&state, &caller, KeyKind::Management, &hash).await
}
