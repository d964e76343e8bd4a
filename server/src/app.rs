//! Assembling and running the server: state from config, then the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpMessage;
use actix_web::dev::Service;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::ErrorHandlers;
use actix_web::web::{Data, ServiceConfig};
use actix_web::{App, HttpServer};
use tracing::Instrument;
use utoipa_actix_web::AppExt;

use crate::accounts::{AccountError, bootstrap};
use crate::api::{self, error::extractors, openapi::ApiSpec, panics};
use crate::catalog_store;
use crate::config::{Config, ConfigError};
use crate::fingerprint;
use crate::gateway::catalog::CatalogError;
use crate::state::AppState;
use crate::usage::writer::{UsageOptions, UsageWriter};
use entity::{
    byok_key, catalog_override, org_budget, org_credit, org_routing_default, rate_limit_policy,
};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("admin account: {0}")]
    Admin(#[from] AccountError),
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("HTTP client: {0}")]
    Http(String),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
}

/// Connects the database, applies migrations, ensures the admin, and builds the state.
pub async fn init(config: Config) -> Result<Data<AppState>, StartError> {
    let url = config.resolved_database_url()?;
    let jwt_secret = config.resolved_jwt_secret()?;
    let db = crate::db::connect(&url, config.database_max_connections).await?;
    crate::db::migrate(&db).await?;
    if let Some(email) = &config.admin_email {
        bootstrap::ensure_admin(&db, email, config.admin_password.as_deref()).await?;
    }
    let catalog = catalog_store::build_catalog(catalog_store::load_overrides(&db).await?)?;
    let routing = catalog_store::routing_table(catalog, &config);
    tracing::info!(providers = ?routing.live.keys().collect::<Vec<_>>(), "live providers");
    crate::otlp::install(&config).map_err(|e| StartError::Http(e.to_string()))?;
    let usage = UsageWriter::start(&url, UsageOptions::from_config(&config)).await?;
    let limit_overrides = crate::limits::store::load(&db).await?;
    let org_routing = crate::accounts::routing_defaults::load_all(&db).await?;
    let state = AppState::new(db, config, &jwt_secret, routing, usage)
        .map_err(|e| StartError::Http(e.to_string()))?;
    state.inference.limits().replace_overrides(limit_overrides);
    state
        .credit
        .replace_all(crate::billing::ledger::purchases(&state.db).await?);
    state.inference.org_routing().replace_all(org_routing);
    state
        .inference
        .budgets()
        .replace_all(crate::billing::budgets::load_all(&state.db).await?);
    let byok = crate::accounts::byok::load_all(&state.db, &state.master_key).await?;
    state.inference.byok().replace_all(byok);
    let byok_counts = crate::accounts::byok::monthly_counts(&state.db).await?;
    state.inference.byok().fees().raise_counts(&byok_counts);
    Ok(Data::new(state))
}

pub fn listen(config: &Config) -> Result<TcpListener, StartError> {
    TcpListener::bind(&config.bind).map_err(|source| StartError::Bind {
        bind: config.bind.clone(),
        source,
    })
}

/// The HTTP server over a bound listener. Actix stops it gracefully on SIGTERM/SIGINT,
/// letting in-flight requests finish for `shutdown_timeout_secs`.
pub fn serve(
    state: Data<AppState>,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    serve_with(state, listener, |_| {})
}

/// [`serve`], with `extra_routes` added before the API's: the test harness mounts routes
/// that exist only in tests (one that panics, say) through the same middleware.
pub fn serve_with(
    state: Data<AppState>,
    listener: TcpListener,
    extra_routes: fn(&mut ServiceConfig),
) -> std::io::Result<actix_web::dev::Server> {
    let spec = Data::new(ApiSpec::new(&api::document(), &state.config));
    let config = state.config.clone();

    let evicting = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            evicting.throttle.evict_idle();
            evicting.inference.limits().evict_idle();
        }
    });

    crate::billing::stripe::Purchasing::spawn_auto_topups(
        state.clone(),
        Duration::from_secs(config.auto_topup_check_secs.max(1)),
        Duration::from_secs(config.auto_topup_retry_secs),
    );

    if let Some(metrics) = &state.metrics {
        metrics.spawn_upkeep();
    }

    crate::usage::retention::spawn(state.db.clone(), config.generation_retention_days);

    state.alerts.spawn(state.inference.usage().spend_changed());

    let idle = Duration::from_secs(config.credit_lease_idle_secs);
    state.inference.credit_accounts().spawn_maintenance(idle);

    // Changes made on other replicas arrive within seconds (see `fingerprint`).
    fingerprint::watch(
        "organization budgets",
        Duration::from_secs(3),
        state.clone(),
        async |watching| {
            fingerprint::of::<org_budget::Entity>(&watching.db, org_budget::Column::UpdatedAt).await
        },
        async |watching| match crate::billing::budgets::load_all(&watching.db).await {
            Ok(all) => {
                watching.inference.budgets().replace_all(all);
                true
            }
            Err(err) => {
                tracing::warn!(%err, "reading organization budgets failed");
                false
            }
        },
    );
    fingerprint::watch(
        "credit purchases",
        Duration::from_secs(5),
        state.clone(),
        async |watching| {
            fingerprint::of::<org_credit::Entity>(&watching.db, org_credit::Column::UpdatedAt).await
        },
        async |watching| match crate::billing::ledger::purchases(&watching.db).await {
            Ok(purchases) => {
                watching.credit.replace_all(purchases);
                true
            }
            Err(err) => {
                tracing::warn!(%err, "reading credit purchases failed");
                false
            }
        },
    );
    fingerprint::watch(
        "rate-limit overrides",
        Duration::from_secs(3),
        state.clone(),
        async |watching| {
            fingerprint::of::<rate_limit_policy::Entity>(
                &watching.db,
                rate_limit_policy::Column::UpdatedAt,
            )
            .await
        },
        async |watching| match crate::limits::store::load(&watching.db).await {
            Ok(overrides) => {
                watching.inference.limits().replace_overrides(overrides);
                true
            }
            Err(err) => {
                tracing::warn!(%err, "reading rate-limit overrides failed");
                false
            }
        },
    );
    fingerprint::watch(
        "catalog overrides",
        Duration::from_secs(5),
        state.clone(),
        async |watching| {
            fingerprint::of::<catalog_override::Entity>(
                &watching.db,
                catalog_override::Column::UpdatedAt,
            )
            .await
        },
        async |watching| match catalog_store::load_overrides(&watching.db)
            .await
            .map(catalog_store::build_catalog)
        {
            Ok(Ok(catalog)) => {
                watching
                    .inference
                    .replace_routing(catalog_store::routing_table(catalog, &watching.config));
                true
            }
            Ok(Err(err)) => {
                // Retrying the same overrides would fail the same way: wait for the next change.
                tracing::error!(%err, "stored catalog overrides do not build; keeping the current catalog");
                true
            }
            Err(err) => {
                tracing::warn!(%err, "reading catalog overrides failed");
                false
            }
        },
    );
    fingerprint::watch(
        "organization routing defaults",
        Duration::from_secs(5),
        state.clone(),
        async |watching| {
            fingerprint::of::<org_routing_default::Entity>(
                &watching.db,
                org_routing_default::Column::UpdatedAt,
            )
            .await
        },
        async |watching| match crate::accounts::routing_defaults::load_all(&watching.db).await {
            Ok(all) => {
                watching.inference.org_routing().replace_all(all);
                true
            }
            Err(err) => {
                tracing::warn!(%err, "reading routing defaults failed");
                false
            }
        },
    );

    fingerprint::watch(
        "BYOK keys",
        Duration::from_secs(5),
        state.clone(),
        async |watching| {
            fingerprint::of::<byok_key::Entity>(&watching.db, byok_key::Column::UpdatedAt).await
        },
        async |watching| match crate::accounts::byok::load_all(&watching.db, &watching.master_key)
            .await
        {
            Ok(all) => {
                watching.inference.byok().replace_all(all);
                true
            }
            Err(err) => {
                tracing::warn!(%err, "reading BYOK keys failed");
                false
            }
        },
    );
    // Other processes' BYOK requests reach this one's free-request counters (billing::byok_fee).
    let counting = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(60));
        tick.tick().await;
        loop {
            tick.tick().await;
            match crate::accounts::byok::monthly_counts(&counting.db).await {
                Ok(counts) => counting.inference.byok().fees().raise_counts(&counts),
                Err(err) => tracing::warn!(%err, "reading BYOK request counts failed"),
            }
        }
    });

    let max_body = config.max_body_bytes;
    let site = web::SiteOptions::new(&config.site_root);
    let missing = site.missing_files();
    if !missing.is_empty() {
        tracing::warn!(site_root = %config.site_root.display(), ?missing, "web bundle not built (run scripts/build-web.sh): pages render but do not hydrate");
    }
    let mut server = HttpServer::new(move || {
        App::new()
            // Before the `/api/v1` scope, which would otherwise swallow these paths.
            .route(
                &format!("{}/openapi.json", api::API_PREFIX),
                actix_web::web::get().to(api::openapi::serve),
            )
            .configure(extra_routes)
            .into_utoipa_app()
            .configure(api::routes)
            .into_app()
            // Other methods on the probes answer 405; other `/api` paths answer JSON errors.
            .service(
                actix_web::web::resource(["/health", "/ready", "/metrics"])
                    .default_service(actix_web::web::to(api::fallback)),
            )
            .service(
                actix_web::web::scope("/api").default_service(actix_web::web::to(api::fallback)),
            )
            // The web app owns `/`, its pages and `/pkg`; anything else is its HTML 404.
            .configure(|cfg| web::configure(cfg, &site))
            .default_service(web::not_found(&site))
            .app_data(state.clone())
            .app_data(spec.clone())
            .app_data(extractors::path_config())
            .app_data(extractors::query_config())
            .app_data(actix_web::web::PayloadConfig::new(max_body))
            .wrap(ErrorHandlers::new().default_handler(api::ensure_json_error))
            .wrap_fn(|req, srv| {
                let id = request_id(req.headers().get(&REQUEST_ID));
                req.extensions_mut().insert(RequestId(id.clone()));
                // At error level so that it exists whatever `LOG` lets through: every line the
                // request logs carries its id. Only the id: a span's fields are formatted when
                // it is made, paid by every request, so the method and path are on the
                // `handled` line (formatted only when it is written).
                let span = tracing::error_span!("request", id = %id);
                let started = Instant::now();
                // Outermost, so a panic anywhere inside still answers (see `api::panics`).
                let fut = panics::catch(|| srv.call(req));
                async move {
                    let mut res = fut.await.map_err(|panic| panics::answer(panic, &id))??;
                    tracing::info!(
                        method = %res.request().method(),
                        path = res.request().path(),
                        status = res.status().as_u16(),
                        micros = started.elapsed().as_micros() as u64,
                        "handled"
                    );
                    if let Ok(value) = HeaderValue::from_str(&id) {
                        res.headers_mut().insert(REQUEST_ID, value);
                    }
                    Ok(res)
                }
                .instrument(span)
            })
    })
    .keep_alive(IDLE_CONNECTION_KEEP_ALIVE)
    .shutdown_timeout(config.shutdown_timeout_secs)
    .listen(listener)?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// How long an idle client connection stays open. Clients keep pooled connections longer than
/// actix's 5 s default (reqwest 90 s, urllib3 until closed); when the server closes first, a
/// request sent just then on the closing connection is lost to the client as a dropped POST,
/// which it must not retry. 75 s as nginx does; idle connections cost a few KiB each.
const IDLE_CONNECTION_KEEP_ALIVE: Duration = Duration::from_secs(75);

/// The request's id (`X-Request-Id`), in the request's extensions for handlers to record.
#[derive(Clone, Debug)]
pub struct RequestId(pub Arc<str>);

/// A caller-supplied request id is kept when it is short and printable; otherwise a new one.
fn request_id(incoming: Option<&HeaderValue>) -> Arc<str> {
    incoming
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(Arc::from)
        .unwrap_or_else(|| crate::ids::new_id("req").into())
}
