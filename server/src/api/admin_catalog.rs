//! Platform admin routes that change the model catalog (providers, models with their
//! endpoints and prices) without a restart: a change is validated against the whole catalog,
//! stored with an audit entry, and swapped into the routing table at once (other replicas
//! pick it up within seconds). Bodies are read after the admin check (`json::body`).

use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use api_types::admin::{CatalogChanged, OverrideList, OverrideView};

use super::error::ApiError;
use super::extract::PlatformAdmin;
use super::json;
use super::openapi::ErrorBody;
use crate::catalog_store::{self, CatalogStoreError, Override};
use crate::gateway::catalog::{Catalog, ModelSpec, ProviderSpec};
use crate::state::AppState;

impl From<CatalogStoreError> for ApiError {
    fn from(err: CatalogStoreError) -> Self {
        match err {
            CatalogStoreError::Invalid(e) => {
                ApiError::BadRequest(format!("The catalog would be invalid: {e}"))
            }
            CatalogStoreError::Mismatch(m) => ApiError::BadRequest(m),
            CatalogStoreError::NotFound(m) => ApiError::NotFound(format!("{m} not found")),
            CatalogStoreError::Db(e) => ApiError::internal(e),
            CatalogStoreError::Account(e) => e.into(),
        }
    }
}

fn swap(state: &AppState, catalog: Catalog, id: String) -> CatalogChanged {
    let changed = CatalogChanged {
        id,
        models: catalog.models().len(),
        providers: catalog.providers().len(),
    };
    state
        .inference
        .replace_routing(catalog_store::routing_table(catalog, &state.config));
    changed
}

/// The admins' changes to the shipped catalog.
#[utoipa::path(tag = "admin", responses((status = 200, body = OverrideList), (status = 403, body = ErrorBody)))]
#[get("/admin/catalog/overrides")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
) -> Result<web::Json<OverrideList>, ApiError> {
    let rows = catalog_store::list(&state.db).await?;
    Ok(web::Json(OverrideList {
        data: rows
            .into_iter()
            .map(|r| OverrideView {
                id: r.id,
                kind: r.kind,
                spec: r.spec,
                updated_by_user_id: r.updated_by_user_id,
                updated_at: r.updated_at,
            })
            .collect(),
    }))
}

/// Add or replace a provider (same fields as a `[[providers]]` entry of the catalog file).
#[utoipa::path(tag = "admin", params(("slug" = String, Path)), request_body = ProviderSpec, responses(
    (status = 200, body = CatalogChanged), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[put("/admin/catalog/providers/{slug}")]
pub async fn put_provider(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<CatalogChanged>, ApiError> {
    let spec: ProviderSpec = json::body(&req, payload).await?;
    if spec.slug != *path {
        return Err(ApiError::bad_request(format!(
            "slug: `{}` does not match the path `{}`",
            spec.slug, path
        )));
    }
    let catalog =
        catalog_store::upsert(&state.db, &admin.0, Override::Provider(Box::new(spec))).await?;
    Ok(web::Json(swap(&state, catalog, format!("provider:{path}"))))
}

/// Add or replace a model with its endpoints and prices (a `[[models]]` entry).
#[utoipa::path(tag = "admin", params(("author" = String, Path), ("slug" = String, Path)), request_body = ModelSpec, responses(
    (status = 200, body = CatalogChanged), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[put("/admin/catalog/models/{author}/{slug}")]
pub async fn put_model(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<CatalogChanged>, ApiError> {
    let (author, slug) = path.into_inner();
    let spec: ModelSpec = json::body(&req, payload).await?;
    let id = format!("{author}/{slug}");
    if spec.id != id {
        return Err(ApiError::bad_request(format!(
            "id: `{}` does not match the path `{id}`",
            spec.id
        )));
    }
    let catalog =
        catalog_store::upsert(&state.db, &admin.0, Override::Model(Box::new(spec))).await?;
    Ok(web::Json(swap(&state, catalog, format!("model:{id}"))))
}

/// Drop an admin's provider change (the shipped entry, if any, applies again).
#[utoipa::path(tag = "admin", params(("slug" = String, Path)), responses(
    (status = 200, body = CatalogChanged), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[delete("/admin/catalog/providers/{slug}")]
pub async fn delete_provider(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
) -> Result<web::Json<CatalogChanged>, ApiError> {
    let id = format!("provider:{path}");
    let catalog = catalog_store::remove(&state.db, &admin.0, &id).await?;
    Ok(web::Json(swap(&state, catalog, id)))
}

/// Drop an admin's model change.
#[utoipa::path(tag = "admin", params(("author" = String, Path), ("slug" = String, Path)), responses(
    (status = 200, body = CatalogChanged), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[delete("/admin/catalog/models/{author}/{slug}")]
pub async fn delete_model(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (author, slug) = path.into_inner();
    let id = format!("model:{author}/{slug}");
    let catalog = catalog_store::remove(&state.db, &admin.0, &id).await?;
    Ok(HttpResponse::Ok().json(swap(&state, catalog, id)))
}
