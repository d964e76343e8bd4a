//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::error::ApiError;
use crate::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(tag = "health", responses((status = 200, description = "Alive")))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers.
#[utoipa::path(tag = "health", responses((status = 200, description = "Ready"), (status = 503, description = "Database unreachable")))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    crate::db::ping(&state.db)
        .await
        .map_err(|e| ApiError::Unavailable(format!("Database unreachable: {e}")))?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
