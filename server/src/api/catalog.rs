//! The public catalog: models, a model's endpoints, providers (OpenRouter's shapes).

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

use super::error::ApiError;
use super::openapi::ErrorBody;
use super::paging::{Limit, Offset};
use crate::gateway::catalog::views;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModelsQuery {
    /// Models to skip.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 1000000000)]
    pub offset: Option<Offset>,
    /// Page size (default: all).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 1000000000)]
    pub limit: Option<Limit>,
    /// Accepted for compatibility; every model is listed.
    pub category: Option<String>,
    pub supported_parameters: Option<String>,
}

/// Every model in the catalog, with pricing as decimal strings in USD per token.
#[utoipa::path(tag = "models", params(ModelsQuery), responses((status = 200, description = "OpenRouter's ModelsListResponse")))]
#[get("/models")]
pub async fn models(state: web::Data<AppState>, query: web::Query<ModelsQuery>) -> HttpResponse {
    let table = state.inference.routing();
    // Both bounded far below `usize::MAX` (a 64-bit target), so the conversions are exact.
    let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    HttpResponse::Ok().json(views::models_list(
        &table.catalog,
        query.offset.map_or(0, |o| count(o.get())),
        query.limit.map(|l| count(l.get())),
    ))
}

/// The endpoints (providers) serving one model, with each one's live figures from this
/// replica's health board: `uptime_last_5m/30m/1d` (percent of answered requests; rate limits
/// excluded), `latency_last_30m` (milliseconds to the first token) and `throughput_last_30m`
/// (output tokens per second; p99 is the slow tail), `null` until it has seen traffic.
#[utoipa::path(tag = "models", params(("author" = String, Path), ("slug" = String, Path)), responses(
    (status = 200, description = "OpenRouter's ListEndpointsResponse"), (status = 404, body = ErrorBody)))]
#[get("/models/{author}/{slug}/endpoints")]
pub async fn endpoints(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (author, slug) = path.into_inner();
    let id = format!("{author}/{slug}");
    let table = state.inference.routing();
    let model = table
        .catalog
        .lookup(&id)
        .ok_or_else(|| ApiError::NotFound(format!("Model {id} not found")))?;
    Ok(
        HttpResponse::Ok().json(views::model_endpoints(&table.catalog, model, |e| {
            state.inference.health().endpoint_stats(&model.id, &e.tag)
        })),
    )
}

/// The providers in the catalog.
#[utoipa::path(tag = "models", responses((status = 200, description = "OpenRouter's ListProvidersResponse")))]
#[get("/providers")]
pub async fn providers(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(views::providers_list(&state.inference.routing().catalog))
}
