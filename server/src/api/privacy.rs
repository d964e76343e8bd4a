//! Prompt and completion storage (issue 17, privacy): the organization's setting, and its
//! stored contents. Off by default; an owner or admin turns it on with explicit consent.
//! Everything here acts in the caller's organization (a member's session, with
//! `X-Organization-Id` for another than the personal one, or a management key): another
//! organization's contents are 404, as if they did not exist.
//!
//! - `GET /organization/privacy` (any member), `PUT` (owner or admin; `consent: true` to turn
//!   it on).
//! - `GET /generation/content?id=` (any member): the stored bodies, 404 when none.
//! - `DELETE /generation/content?id=` (owner or admin): 204, 404 when none.
//! - `DELETE /generations/content` (owner or admin): all of them, answering how many.

use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use api_types::privacy::{DeletedContents, PrivacyRequest, PrivacyView};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, extractors};
use super::extract::OrgCaller;
use super::json;
use super::openapi::ErrorBody;
use crate::accounts::audit::Actor;
use crate::accounts::organizations::require_manager;
use crate::accounts::privacy::{self, Privacy};
use crate::state::AppState;
use crate::usage::content;

fn privacy_view(org_id: &str, privacy: Privacy) -> PrivacyView {
    PrivacyView {
        org_id: org_id.to_owned(),
        store_content: privacy.store_content,
        changed_by: privacy.changed_by,
        changed_at: privacy.changed_at,
    }
}

fn actor(caller: &OrgCaller) -> Result<Actor<'_>, ApiError> {
    match (&caller.user, &caller.key_hash) {
        (Some(user), _) => Ok(Actor::User(user)),
        (None, Some(hash)) => Ok(Actor::ManagementKey(hash)),
        (None, None) => Err(ApiError::internal(
            "organization caller without a user or key",
        )),
    }
}

/// Whether the organization stores its prompts and completions (any member).
#[utoipa::path(tag = "privacy", responses(
    (status = 200, body = PrivacyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
#[get("/organization/privacy")]
pub async fn get_privacy(
    state: web::Data<AppState>,
    caller: OrgCaller,
) -> Result<web::Json<PrivacyView>, ApiError> {
    let privacy = privacy::get(&state.db, &caller.scope).await?;
    Ok(web::Json(privacy_view(caller.scope.org_id(), privacy)))
}

/// Turn storing of prompts and completions on (with `consent: true`) or off (owner or admin;
/// audit-logged). Takes effect at once on this server and within about a second on others.
#[utoipa::path(tag = "privacy", request_body = PrivacyRequest, responses(
    (status = 200, body = PrivacyView), (status = 400, description = "`consent` is not `true` while turning storing on", body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, description = "Not an owner or admin of the organization", body = ErrorBody),
    (status = 404, body = ErrorBody)))]
#[put("/organization/privacy")]
pub async fn put_privacy(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<PrivacyView>, ApiError> {
    // The role first: a plain member gets 403 whatever the body holds.
    require_manager(&caller.scope)?;
    let body: PrivacyRequest = json::body(&req, payload).await?;
    let privacy = privacy::set(
        &state.db,
        &state.keys,
        &caller.scope,
        actor(&caller)?,
        body.store_content,
        body.consent,
    )
    .await?;
    Ok(web::Json(privacy_view(caller.scope.org_id(), privacy)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContentQuery {
    /// The generation's `gen-...` id.
    #[param(min_length = 1, max_length = 200)]
    pub id: String,
}

/// A generation's stored request and response.
#[derive(Serialize, ToSchema)]
pub struct ContentView {
    pub id: String,
    /// The request body as the client sent it (the JSON of the API it called), at most
    /// `PROMPT_LOG_MAX_BYTES` bytes; cut text is not valid JSON.
    pub request_body: Option<String>,
    /// The response as a `chat.completion` JSON (a stream's chunks folded into one), at most
    /// `PROMPT_LOG_MAX_BYTES` bytes; `null` for embeddings and requests that got no answer.
    pub response_body: Option<String>,
    pub request_truncated: bool,
    pub response_truncated: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ContentResponse {
    pub data: ContentView,
}

fn content_query(req: &HttpRequest) -> Result<ContentQuery, ApiError> {
    let query: ContentQuery = extractors::query(req)?;
    if query.id.is_empty() || query.id.len() > 200 {
        return Err(ApiError::bad_request("id: must be 1 to 200 characters"));
    }
    Ok(query)
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("No stored content for generation {id}"))
}

/// A generation's stored prompt and completion (any member, or a management key).
#[utoipa::path(tag = "privacy", params(ContentQuery), responses(
    (status = 200, body = ContentResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, description = "No stored content for that generation in the caller's organization", body = ErrorBody)))]
#[get("/generation/content")]
pub async fn get_content(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<ContentResponse>, ApiError> {
    let query = content_query(&req)?;
    let found = match content::find(&state.db, &caller.scope, &query.id).await? {
        Some(found) => Some(found),
        // The writer commits within ~100 ms of the response; a caller asking right away may
        // race it.
        None => {
            state.inference.usage().flush().await;
            content::find(&state.db, &caller.scope, &query.id).await?
        }
    };
    let c = found.ok_or_else(|| not_found(&query.id))?;
    Ok(web::Json(ContentResponse {
        data: ContentView {
            id: c.generation_id,
            request_body: c.request_body,
            response_body: c.response_body,
            request_truncated: c.request_truncated,
            response_truncated: c.response_truncated,
            created_at: c.created_at,
        },
    }))
}

/// Delete a generation's stored prompt and completion (owner or admin); the generation's
/// record stays.
#[utoipa::path(tag = "privacy", params(ContentQuery), responses(
    (status = 204, description = "Deleted"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, description = "Not an owner or admin of the organization", body = ErrorBody),
    (status = 404, description = "No stored content for that generation in the caller's organization", body = ErrorBody)))]
#[delete("/generation/content")]
pub async fn delete_content(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    require_manager(&caller.scope)?;
    let query = content_query(&req)?;
    // A content still queued in the writer would otherwise outlive its deletion.
    state.inference.usage().flush().await;
    if content::delete(&state.db, &caller.scope, &query.id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_found(&query.id))
    }
}

/// Delete every stored prompt and completion of the organization (owner or admin); the
/// generation records stay.
#[utoipa::path(tag = "privacy", responses(
    (status = 200, body = DeletedContents), (status = 401, body = ErrorBody),
    (status = 403, description = "Not an owner or admin of the organization", body = ErrorBody),
    (status = 404, body = ErrorBody)))]
#[delete("/generations/content")]
pub async fn delete_all_content(
    state: web::Data<AppState>,
    caller: OrgCaller,
) -> Result<web::Json<DeletedContents>, ApiError> {
    require_manager(&caller.scope)?;
    state.inference.usage().flush().await;
    let deleted = content::delete_all(&state.db, &caller.scope).await?;
    Ok(web::Json(DeletedContents { deleted }))
}

/// Turning storing on needs `consent: true`, which utoipa cannot say of the struct: either
/// `store_content` is `false`, or `consent` is `true`.
pub(crate) fn document_rules(doc: &mut serde_json::Value) {
    let request = &mut doc["components"]["schemas"]["PrivacyRequest"];
    if request.is_object() {
        request["anyOf"] = serde_json::json!([
            { "properties": { "store_content": { "const": false } } },
            { "properties": { "consent": { "const": true } }, "required": ["consent"] },
        ]);
    }
}
