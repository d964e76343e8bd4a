//! `GET /metrics`: Prometheus' text exposition format (see `crate::metrics`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::state::AppState;

/// Prometheus metrics: requests, latency and time-to-first-token histograms, upstream
/// errors, tokens and cost, open streams, the usage writer's queue and commits, breaker
/// states, refusals. Open unless `METRICS_TOKEN` is set (then `Authorization: Bearer
/// <METRICS_TOKEN>` is required); an open endpoint should not be reachable from the public
/// internet.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, description = "`METRICS_TOKEN` is set and the request does not present it", body = ErrorBody),
        (status = 404, description = "Metrics are off (`METRICS_ENABLED=false`)", body = ErrorBody),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(metrics) = &state.metrics else {
        return Err(ApiError::NotFound(
            "Metrics are off (METRICS_ENABLED=false)".into(),
        ));
    };
    if let Some(token) = metrics.token()
        && !presents(&req, token)
    {
        return Err(ApiError::Unauthorized(
            "Metrics require Authorization: Bearer <METRICS_TOKEN>".into(),
        ));
    }
    let inference = &state.inference;
    let text = metrics.render(
        &inference.usage().status(),
        inference.health(),
        crate::gateway::relay::open_streams(),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// Whether the request's bearer token is `token`. Compared as digests, so that the time taken
/// does not tell how much of a guess matched.
fn presents(req: &HttpRequest, token: &str) -> bool {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    presented.is_some_and(|p| Sha256::digest(p) == Sha256::digest(token))
}
