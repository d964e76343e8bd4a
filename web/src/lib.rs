//! Switchboard's web frontend: a Leptos 0.8 app rendered on the server and hydrated in the
//! browser.
//!
//! # Layout
//!
//! A page is found by its URL: `pages/public/` (`/`, `/models`, `/models/{author}/{slug}`,
//! `/docs`), `pages/auth/` (`/login`, `/signup`), `pages/app/` (the tenant's `/app/…`).
//! [`app`] holds the route table, [`components`] what several pages share, [`api`] the one
//! path to the server (the JSON API, called from the browser), [`money`] how USD is written.
//!
//! # Features
//!
//! - `ssr` — the server half. Exposes [`SiteOptions`], [`configure`] and [`not_found`] for
//!   the actix-web server to mount the pages next to its own routes.
//! - `hydrate` — the browser half, built for `wasm32-unknown-unknown` and post-processed by
//!   `wasm-bindgen` (CLI version must equal the `wasm-bindgen` crate: 0.2.130). Exports
//!   [`hydrate`], which the hydration script in every page calls.
//!
//! No feature is on by default; exactly one of them is meant to be on per build.
//! `scripts/build-web.sh` builds the `hydrate` half into the site directory.
//!
//! # The site directory
//!
//! The server reads the browser bundle from a *site directory* at runtime (see
//! [`SiteOptions::from_env`]: env `SITE_ROOT`, default `target/site`):
//!
//! ```text
//! <site>/pkg/switchboard.js        wasm-bindgen's JS glue (loaded by every page)
//! <site>/pkg/switchboard_bg.wasm   the hydrate build (what the pages load)
//! <site>/pkg/switchboard.wasm      the same file, for a server compiled with LEPTOS_OUTPUT_NAME set
//! <site>/pkg/switchboard.css       the stylesheet (copied from web/style/main.css)
//! ```
//!
//! These are served under the URL prefix `/pkg` ([`PKG_URL`]).

pub mod api;
pub mod app;
pub mod components;
pub mod money;
pub mod pages;

#[cfg(feature = "ssr")]
mod server;
#[cfg(feature = "ssr")]
pub use server::{SiteOptions, configure, not_found, shell};

/// The product name, as shown on the pages.
pub const PRODUCT: &str = "Switchboard";

/// The URL of the OpenAPI document served by the server (outside this app).
pub const OPENAPI_URL: &str = "/api/v1/openapi.json";

/// The base name of the files wasm-bindgen writes (`--out-name`), and of the stylesheet.
/// `scripts/build-web.sh` uses the same name.
pub const OUTPUT_NAME: &str = "switchboard";

/// The URL prefix under which the site's `pkg` folder is served.
pub const PKG_URL: &str = "/pkg";

/// The stylesheet's URL.
pub const STYLESHEET_URL: &str = "/pkg/switchboard.css";

/// Entry point of the browser bundle: hydrates the server-rendered `<body>`.
///
/// Once done, it sets `data-hydrated="true"` on `<html>`, a marker end-to-end tests wait
/// for before they click anything (clicks before hydration are lost).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
