//! HTTP: the route table, extractors, and the one error -> HTTP mapping.

pub mod admin;
pub mod admin_analytics;
pub mod admin_catalog;
pub mod alerts;
pub mod analytics;
pub mod auth;
pub mod budgets;
pub mod byok;
pub mod catalog;
pub mod cookies;
pub mod credits;
pub mod current_key;
pub mod error;
pub mod extract;
pub mod generation;
pub mod generation_list;
pub mod health;
pub mod inference;
pub mod ingress;
pub mod json;
pub mod keys;
pub mod me;
pub mod metrics;
pub mod openapi;
pub mod openapi_access;
pub mod org_routing;
pub mod organizations;
pub mod paging;
pub mod panics;
pub mod privacy;
pub mod purchases;
pub mod rate_limits;
pub mod stream_doc;
pub mod stripe_doc;
pub mod throttle;

use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};

use self::error::{ApiError, error_body};
use self::openapi::{ApiSpec, BaseDoc};

pub const API_PREFIX: &str = "/api/v1";

/// Every documented route. Used by the server and to build the OpenAPI document.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(metrics::metrics)
        .service(
            scope::scope(API_PREFIX)
                .default_service(web::to(fallback))
                // The hot path first: actix tries resources in order, matching patterns with
                // parameters by regex.
                .service(inference::chat_completions)
                .service(inference::completions)
                .service(inference::embeddings)
                .service(ingress::create_response)
                .service(ingress::create_message)
                .service(auth::signup)
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(me::me)
                .service(organizations::list)
                .service(organizations::create)
                .service(organizations::get_one)
                .service(organizations::update)
                .service(organizations::members)
                .service(organizations::change_role)
                .service(organizations::remove_member)
                .service(organizations::invites)
                .service(organizations::create_invite)
                .service(organizations::revoke_invite)
                .service(org_routing::get_routing)
                .service(org_routing::put_routing)
                .service(keys::list)
                .service(keys::create)
                .service(keys::get_one)
                .service(keys::update)
                .service(keys::remove)
                .service(current_key::current)
                .service(current_key::current_legacy)
                .service(keys::list_management)
                .service(keys::create_management)
                .service(keys::update_management)
                .service(keys::remove_management)
                .service(byok::list)
                .service(byok::create)
                .service(byok::get_one)
                .service(byok::update)
                .service(byok::remove)
                .service(admin::organizations)
                .service(admin::organization)
                .service(admin::organization_ledger)
                .service(admin::users)
                .service(admin::suspend)
                .service(admin::reactivate)
                .service(admin::audit)
                .service(credits::credits)
                .service(credits::ledger_entries)
                .service(credits::grant)
                .service(credits::reconcile)
                .service(budgets::get_budgets)
                .service(budgets::put_budgets)
                .service(budgets::admin_put_budgets)
                .service(purchases::checkout)
                .service(purchases::checkout_status)
                .service(purchases::webhook)
                .service(purchases::get_auto_topup)
                .service(purchases::put_auto_topup)
                .service(purchases::list)
                .service(alerts::get_settings)
                .service(alerts::put_settings)
                .service(alerts::rotate_secret)
                .service(alerts::send_test)
                .service(alerts::list)
                .service(rate_limits::get_policy)
                .service(rate_limits::put_policy)
                .service(rate_limits::delete_policy)
                .service(admin_catalog::list)
                .service(admin_catalog::put_provider)
                .service(admin_catalog::put_model)
                .service(admin_catalog::delete_provider)
                .service(admin_catalog::delete_model)
                .service(generation::get_generation)
                .service(generation_list::list)
                .service(generation_list::export)
                .service(privacy::get_privacy)
                .service(privacy::put_privacy)
                .service(privacy::get_content)
                .service(privacy::delete_content)
                .service(privacy::delete_all_content)
                .service(analytics::activity)
                .service(analytics::analytics_meta)
                .service(analytics::analytics_query)
                .service(admin_analytics::platform)
                .service(catalog::models)
                .service(catalog::endpoints)
                .service(catalog::providers),
        );
}

/// The OpenAPI document of [`routes`].
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(BaseDoc::openapi())
        .configure(routes)
        .split_for_parts();
    // Served outside `routes` (it needs the finished document), documented here by hand.
    let spec_path = utoipa::openapi::path::PathItem::new(
        utoipa::openapi::HttpMethod::Get,
        utoipa::openapi::path::OperationBuilder::new()
            .tag("health")
            .summary(Some("This OpenAPI 3.1 document"))
            .response("200", utoipa::openapi::Response::new("The document")),
    );
    doc.paths
        .paths
        .insert(format!("{API_PREFIX}/openapi.json"), spec_path);
    // After the routes: a modifier in `BaseDoc` would run before there are any paths.
    openapi_access::Access.modify(&mut doc);
    doc
}

/// Unknown path: 404; known path with another method: 405 with `Allow`.
pub async fn fallback(
    req: HttpRequest,
    spec: web::Data<ApiSpec>,
) -> Result<HttpResponse, ApiError> {
    let allowed = spec.methods_for(req.path());
    Err(if allowed.is_empty() {
        ApiError::NotFound(format!(
            "Not found: no route for {} {}",
            req.method(),
            req.path()
        ))
    } else {
        ApiError::MethodNotAllowed {
            message: format!(
                "Method {} is not allowed for {}; allowed: {}",
                req.method(),
                req.path(),
                allowed.join(", ")
            ),
            allow: allowed,
        }
    })
}

/// Errors produced outside our handlers (actix internals) on API paths still leave in the
/// error shape; the web app's pages and files keep their own.
pub fn ensure_json_error<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let path = res.request().path();
    let is_api = path.starts_with("/api/")
        || path == "/api"
        || path == "/health"
        || path == "/ready"
        || path == "/metrics";
    let keep = !is_api
        || res
            .response()
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
    if keep {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = status.canonical_reason().unwrap_or("Error").to_owned();
    let (req, _) = res.into_parts();
    let response = HttpResponse::build(status).json(error_body(status, &message, None));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}
