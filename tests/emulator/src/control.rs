//! `/_emulator/*`: the control surface for tests written in other languages (or curl).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::knobs::Knobs;
use crate::state::Shared;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_emulator/requests", web::get().to(requests))
        .route("/_emulator/requests", web::delete().to(clear))
        .route("/_emulator/stats", web::get().to(stats))
        .route("/_emulator/knobs", web::get().to(get_knobs))
        .route("/_emulator/knobs", web::post().to(set_knobs))
        .route("/_emulator/reset", web::post().to(reset))
        .route(
            "/health",
            web::get().to(|| async { HttpResponse::Ok().json(json!({"status": "ok"})) }),
        );
}

async fn requests(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "requests": shared.requests() }))
}

async fn clear(shared: web::Data<Shared>) -> HttpResponse {
    shared.clear_requests();
    HttpResponse::NoContent().finish()
}

async fn stats(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(shared.stats())
}

async fn get_knobs(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&*shared.knobs())
}

/// Body: a `Knobs` object (snake_case field names); it replaces the emulator-wide defaults.
async fn set_knobs(shared: web::Data<Shared>, knobs: web::Json<Knobs>) -> HttpResponse {
    shared.set_knobs(knobs.into_inner());
    HttpResponse::Ok().json(&*shared.knobs())
}

async fn reset(shared: web::Data<Shared>) -> HttpResponse {
    shared.reset();
    HttpResponse::NoContent().finish()
}
