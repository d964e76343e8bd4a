//! Mounting the app in actix-web (feature `ssr`).

use std::path::{Path, PathBuf};

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use actix_web::web::{self, ServiceConfig};
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_actix::{LeptosRoutes, generate_route_list};
use leptos_meta::MetaTags;
use leptos_router::location::RequestUrl;

use crate::OUTPUT_NAME;
use crate::app::App;

/// The environment variable naming the site directory.
const SITE_ROOT_ENV: &str = "SITE_ROOT";
/// The site directory used when [`SITE_ROOT_ENV`] is not set (relative to the working directory).
const DEFAULT_SITE_ROOT: &str = "target/site";

/// Where the browser bundle lives on disk, and the Leptos options derived from it.
#[derive(Clone, Debug)]
pub struct SiteOptions {
    leptos: LeptosOptions,
}

impl SiteOptions {
    /// Options for a site directory at `site_root` (its `pkg` folder is served at `/pkg`).
    pub fn new(site_root: impl AsRef<Path>) -> Self {
        let leptos = LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(site_root.as_ref().to_string_lossy().into_owned())
            .site_pkg_dir(crate::PKG_URL.trim_start_matches('/'))
            .build();
        Self { leptos }
    }

    /// Options from the environment: the site directory is `$SITE_ROOT`, or `target/site`
    /// (relative to the working directory) when that is unset or empty.
    pub fn from_env() -> Self {
        match std::env::var(SITE_ROOT_ENV) {
            Ok(root) if !root.trim().is_empty() => Self::new(root),
            _ => Self::new(DEFAULT_SITE_ROOT),
        }
    }

    /// The site directory.
    pub fn site_root(&self) -> &Path {
        Path::new(&*self.leptos.site_root)
    }

    /// The folder served at `/pkg`.
    pub fn pkg_dir(&self) -> PathBuf {
        self.site_root().join(&*self.leptos.site_pkg_dir)
    }

    /// The Leptos options the pages are rendered with.
    pub fn leptos_options(&self) -> &LeptosOptions {
        &self.leptos
    }

    /// The bundle files the pages load that are absent from [`Self::pkg_dir`]. Empty when
    /// `scripts/build-web.sh` has run; otherwise pages still render but do not hydrate
    /// (and are unstyled) — worth a warning at startup.
    pub fn missing_files(&self) -> Vec<PathBuf> {
        let pkg = self.pkg_dir();
        ["_bg.wasm", ".js", ".css"]
            .iter()
            .map(|suffix| pkg.join(format!("{OUTPUT_NAME}{suffix}")))
            .filter(|path| !path.is_file())
            .collect()
    }
}

/// The HTML document around the app: head with hydration scripts and meta tags, body with
/// [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <HydrationScripts options=options.clone() />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Registers the web pages on an actix-web app or scope:
///
/// - `GET` (and `HEAD`) on each page route of [`App`] (`/`, `/login`, `/signup`, …),
///   server-rendered;
/// - `/pkg/*`: the files of [`SiteOptions::pkg_dir`] (wasm, JS glue, CSS); a missing file
///   there is a plain-text 404, never the HTML page;
/// - any `#[server]` function (none yet; by default their URLs start with `/api/`).
///
/// Nothing else: no wildcard route, no default service. Unknown paths keep reaching the
/// app's own `default_service`; use [`not_found`] there to answer them with the HTML 404
/// page. Call it after the API's own routes and scopes so those are matched first.
pub fn configure(cfg: &mut ServiceConfig, site: &SiteOptions) {
    let options = site.leptos.clone();
    let routes = generate_route_list(App);
    for path in routes.iter().map(|listing| listing.path().to_owned()) {
        // leptos_actix registers HEAD for `App` but not for `ServiceConfig`.
        cfg.route(&path, web::head().to(head_ok));
    }
    cfg.service(
        actix_files::Files::new(crate::PKG_URL, site.pkg_dir())
            .default_handler(web::to(asset_not_found)),
    )
    .leptos_routes(routes, move || shell(options.clone()));
}

async fn head_ok() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .finish()
}

async fn asset_not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type(ContentType::plaintext())
        .body("Not found")
}

/// The location the 404 page is rendered for; no route of [`App`] matches it.
const NOT_FOUND_URL: &str = "http://leptos/__not_found__";

/// A route answering any request with the app's 404 page (HTML, status 404), whatever its
/// path and method.
///
/// Meant for `App::default_service` (or a scope's), for paths that are not API paths:
/// `App::new()....default_service(web::not_found(&site))` (`web` being this crate). As a
/// default service it answers every method. The page hydrates like any other (the browser's
/// router finds no route either); only a non-GET request to a *page* path (e.g. `POST /`),
/// which no page makes, would show a 404 page that the browser then fails to hydrate.
pub fn not_found(site: &SiteOptions) -> actix_web::Route {
    let options = site.leptos.clone();
    leptos_actix::render_app_to_stream_with_context(
        || provide_context(RequestUrl::new(NOT_FOUND_URL)),
        move || shell(options.clone()),
        leptos_router::Method::Get,
    )
}
