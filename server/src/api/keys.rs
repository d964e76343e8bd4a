//! API key management with OpenRouter's request and response shapes (`/keys`, `/key`),
//! plus management keys (`/management-keys`), which call this API but never inference.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use entity::api_key;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::OrgCaller;
use super::json::Json;
use super::openapi::ErrorBody;
use crate::accounts::api_keys::{self, KeyKind, KeyPatch, KeyUsage, LimitReset, NewKey};
use crate::accounts::organizations;
use crate::billing::money::Nanos;
use crate::state::AppState;

/// A key's limit and spend, shared by the key object and `GET /key`. Money is USD.
#[derive(Serialize, ToSchema)]
pub struct KeyFigures {
    #[schema(value_type = Option<f64>)]
    pub limit: Option<Nanos>,
    #[schema(value_type = Option<f64>)]
    pub limit_remaining: Option<Nanos>,
    pub limit_reset: Option<LimitReset>,
    pub include_byok_in_limit: bool,
    #[schema(value_type = f64)]
    pub usage: Nanos,
    #[schema(value_type = f64)]
    pub usage_daily: Nanos,
    #[schema(value_type = f64)]
    pub usage_weekly: Nanos,
    #[schema(value_type = f64)]
    pub usage_monthly: Nanos,
    #[schema(value_type = f64)]
    pub byok_usage: Nanos,
    #[schema(value_type = f64)]
    pub byok_usage_daily: Nanos,
    #[schema(value_type = f64)]
    pub byok_usage_weekly: Nanos,
    #[schema(value_type = f64)]
    pub byok_usage_monthly: Nanos,
}

impl KeyFigures {
    pub fn new(key: &api_key::Model) -> Self {
        let usage = KeyUsage::of(key);
        KeyFigures {
            limit: key.limit_nanos.map(Nanos::from_nanos),
            limit_remaining: usage.limit_remaining(key),
            limit_reset: key.limit_reset.as_deref().and_then(LimitReset::parse),
            include_byok_in_limit: key.include_byok_in_limit,
            usage: usage.total,
            usage_daily: usage.daily,
            usage_weekly: usage.weekly,
            usage_monthly: usage.monthly,
            byok_usage: usage.byok_total,
            byok_usage_daily: usage.byok_daily,
            byok_usage_weekly: usage.byok_weekly,
            byok_usage_monthly: usage.byok_monthly,
        }
    }
}

/// OpenRouter's key object.
#[derive(Serialize, ToSchema)]
pub struct KeyView {
    pub hash: String,
    pub name: String,
    pub label: String,
    pub disabled: bool,
    #[serde(flatten)]
    pub figures: KeyFigures,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub creator_user_id: Option<String>,
    pub external_user: Option<String>,
    /// Our workspaces are organizations.
    pub workspace_id: String,
}

impl KeyView {
    pub fn new(key: &api_key::Model) -> Self {
        KeyView {
            hash: key.hash.clone(),
            name: key.name.clone(),
            label: key.label.clone(),
            disabled: key.disabled,
            figures: KeyFigures::new(key),
            created_at: key.created_at,
            updated_at: (key.updated_at != key.created_at).then_some(key.updated_at),
            expires_at: key.expires_at,
            last_used_at: key.last_used_at,
            creator_user_id: key.creator_user_id.clone(),
            external_user: None,
            workspace_id: key.org_id.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct KeyResponse {
    pub data: KeyView,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedKeyResponse {
    pub data: KeyView,
    /// The key itself. Shown once: only its hash is stored.
    pub key: String,
}

#[derive(Serialize, ToSchema)]
pub struct KeyList {
    pub data: Vec<KeyView>,
}

#[derive(Serialize, ToSchema)]
pub struct DeletedResponse {
    pub deleted: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    pub name: String,
    /// Spending limit in USD; null for none.
    pub limit: Option<f64>,
    pub limit_reset: Option<LimitReset>,
    #[serde(default)]
    pub include_byok_in_limit: bool,
    /// ISO 8601 in UTC (`Z` or `+00:00`); other offsets are rejected.
    pub expires_at: Option<String>,
    /// A member of the organization to record as the key's creator.
    pub creator_user_id: Option<String>,
}

/// Absent fields stay as they are; `null` clears `limit` / `limit_reset`.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyRequest {
    pub name: Option<String>,
    pub disabled: Option<bool>,
    pub include_byok_in_limit: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub limit: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<LimitReset>)]
    pub limit_reset: Option<Option<LimitReset>>,
}

/// Marks a field as present (even when `null`), to tell "clear" from "leave alone".
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `true` to include disabled keys.
    pub include_disabled: Option<String>,
    /// Keys to skip (pages of 100).
    pub offset: Option<u64>,
}

fn parse_limit(limit: Option<f64>) -> Result<Option<Nanos>, ApiError> {
    limit
        .map(|usd| {
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

/// Members may change their own keys; owners, admins and management keys change any.
fn ensure_can_modify(caller: &OrgCaller, key: &api_key::Model) -> Result<(), ApiError> {
    let own = caller
        .user
        .as_ref()
        .is_some_and(|u| key.creator_user_id.as_deref() == Some(u.id.as_str()));
    if own || caller.scope.role().is_manager() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Only the key's creator, an owner or an admin can change this key".into(),
        ))
    }
}

async fn create_key(
    state: &AppState,
    caller: &OrgCaller,
    kind: KeyKind,
    body: CreateKeyRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = parse_limit(body.limit)?;
    let expires_at = parse_expiry(body.expires_at.as_deref())?;
    let creator = match body.creator_user_id {
        Some(user_id) => {
            if organizations::role_of(&state.db, caller.scope.org_id(), &user_id)
                .await?
                .is_none()
            {
                return Err(ApiError::bad_request(
                    "creator_user_id: not a member of this organization",
                ));
            }
            Some(user_id)
        }
        None => caller.user.as_ref().map(|u| u.id.clone()),
    };
    let (key, plaintext) = api_keys::create(
        &state.db,
        &caller.scope,
        kind,
        creator,
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
        data: KeyView::new(&key),
        key: plaintext,
    }))
}

async fn update_key(
    state: &AppState,
    caller: &OrgCaller,
    kind: KeyKind,
    hash: &str,
    body: UpdateKeyRequest,
) -> Result<web::Json<KeyResponse>, ApiError> {
    let limit = body.limit.map(parse_limit).transpose()?;
    let existing = api_keys::get(&state.db, &caller.scope, kind, hash).await?;
    ensure_can_modify(caller, &existing)?;
    let key = api_keys::update(
        &state.db,
        &caller.scope,
        kind,
        hash,
        KeyPatch {
            name: body.name,
            disabled: body.disabled,
            include_byok_in_limit: body.include_byok_in_limit,
            limit,
            limit_reset: body.limit_reset,
        },
    )
    .await?;
    state.keys.invalidate(hash).await;
    Ok(web::Json(KeyResponse {
        data: KeyView::new(&key),
    }))
}

async fn delete_key(
    state: &AppState,
    caller: &OrgCaller,
    kind: KeyKind,
    hash: &str,
) -> Result<web::Json<DeletedResponse>, ApiError> {
    let existing = api_keys::get(&state.db, &caller.scope, kind, hash).await?;
    ensure_can_modify(caller, &existing)?;
    api_keys::delete(&state.db, &caller.scope, kind, hash).await?;
    state.keys.invalidate(hash).await;
    Ok(web::Json(DeletedResponse { deleted: true }))
}

/// Management keys are minted only from a session, by an owner or admin.
fn require_session_manager(caller: &OrgCaller) -> Result<(), ApiError> {
    if caller.user.is_none() {
        return Err(ApiError::Forbidden(
            "Management keys can only be managed from a user session".into(),
        ));
    }
    if !caller.scope.role().is_manager() {
        return Err(ApiError::Forbidden(
            "Managing management keys needs the owner or admin role".into(),
        ));
    }
    Ok(())
}

/// List the organization's inference keys.
#[utoipa::path(tag = "keys", params(ListQuery), responses(
    (status = 200, body = KeyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/keys")]
pub async fn list(
    state: web::Data<AppState>,
    caller: OrgCaller,
    query: web::Query<ListQuery>,
) -> Result<web::Json<KeyList>, ApiError> {
    let include_disabled = parse_bool_flag(query.include_disabled.as_deref(), "include_disabled")?;
    let keys = api_keys::list(
        &state.db,
        &caller.scope,
        KeyKind::Inference,
        include_disabled,
        query.offset.unwrap_or(0),
    )
    .await?;
    Ok(web::Json(KeyList {
        data: keys.iter().map(KeyView::new).collect(),
    }))
}

/// Create an inference key. The response holds the key itself, once.
#[utoipa::path(tag = "keys", request_body = CreateKeyRequest, responses(
    (status = 201, body = CreatedKeyResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[post("/keys")]
pub async fn create(
    state: web::Data<AppState>,
    caller: OrgCaller,
    body: Json<CreateKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    create_key(&state, &caller, KeyKind::Inference, body.into_inner()).await
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
    let key = api_keys::get(&state.db, &caller.scope, KeyKind::Inference, &hash).await?;
    Ok(web::Json(KeyResponse {
        data: KeyView::new(&key),
    }))
}

/// Update an inference key (name, disabled, limit, limit_reset, include_byok_in_limit).
#[utoipa::path(tag = "keys", params(("hash" = String, Path)), request_body = UpdateKeyRequest, responses(
    (status = 200, body = KeyResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/keys/{hash}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: OrgCaller,
    hash: web::Path<String>,
    body: Json<UpdateKeyRequest>,
) -> Result<web::Json<KeyResponse>, ApiError> {
    update_key(
        &state,
        &caller,
        KeyKind::Inference,
        &hash,
        body.into_inner(),
    )
    .await
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
    query: web::Query<ListQuery>,
) -> Result<web::Json<KeyList>, ApiError> {
    require_session_manager(&caller)?;
    let include_disabled = parse_bool_flag(query.include_disabled.as_deref(), "include_disabled")?;
    let keys = api_keys::list(
        &state.db,
        &caller.scope,
        KeyKind::Management,
        include_disabled,
        query.offset.unwrap_or(0),
    )
    .await?;
    Ok(web::Json(KeyList {
        data: keys.iter().map(KeyView::new).collect(),
    }))
}

/// Create a management key: it calls `/keys` for its organization and can never call models.
#[utoipa::path(tag = "management-keys", request_body = CreateKeyRequest, responses(
    (status = 201, body = CreatedKeyResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[post("/management-keys")]
pub async fn create_management(
    state: web::Data<AppState>,
    caller: OrgCaller,
    body: Json<CreateKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    require_session_manager(&caller)?;
    create_key(&state, &caller, KeyKind::Management, body.into_inner()).await
}

/// Update a management key.
#[utoipa::path(tag = "management-keys", params(("hash" = String, Path)), request_body = UpdateKeyRequest, responses(
    (status = 200, body = KeyResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/management-keys/{hash}")]
pub async fn update_management(
    state: web::Data<AppState>,
    caller: OrgCaller,
    hash: web::Path<String>,
    body: Json<UpdateKeyRequest>,
) -> Result<web::Json<KeyResponse>, ApiError> {
    require_session_manager(&caller)?;
    update_key(
        &state,
        &caller,
        KeyKind::Management,
        &hash,
        body.into_inner(),
    )
    .await
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
    require_session_manager(&caller)?;
    delete_key(&state, &caller, KeyKind::Management, &hash).await
}
