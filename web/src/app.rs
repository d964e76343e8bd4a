//! The application: page chrome and the route table. Compiled in both halves (`ssr` and
//! `hydrate`). Each route's page lives in `pages/` under the same path.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::PRODUCT;
use crate::components::chrome::{Footer, Header};
use crate::pages::admin::{
    analytics::AdminAnalytics, audit::AdminAudit, catalog::AdminCatalog, layout::AdminLayout,
    organization::AdminOrganizationPage, organizations::AdminOrganizations, users::AdminUsers,
};
use crate::pages::app::{
    activity::Activity, byok::Byok, credits::Credits, keys::Keys, layout::AppLayout,
    overview::Overview, playground::Playground, settings::Settings,
};
use crate::pages::auth::{login::LogIn, signup::SignUp};
use crate::pages::not_found::NotFound;
use crate::pages::public::{docs::Docs, landing::Landing, model::ModelPage, models::Models};

/// The favicon, inline so that no `/favicon.ico` request reaches the server.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 16h5l3-6 4 12 3-6h3' fill='none' stroke='white' stroke-width='2.5' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E";

/// The root component: page chrome and the router.
///
/// Only the routes listed here become actix routes (see `configure`); there is no wildcard
/// route, so a path not listed falls through to the server's default service. The
/// [`NotFound`] fallback renders when the server asks for it (`not_found`) or when a
/// client-side navigation finds no route.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="switchboard-css" href=crate::STYLESHEET_URL />
        <Link rel="icon" href=FAVICON />
        <Title formatter=|page: String| {
            if page.is_empty() { PRODUCT.to_string() } else { format!("{page} · {PRODUCT}") }
        } />
        <Meta
            name="description"
            content="Switchboard: one OpenAI-compatible API for every model. Self-hostable LLM gateway."
        />
        <Router>
            <Header />
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Landing />
                    <Route path=path!("/models") view=Models />
                    <Route path=path!("/models/:author/:slug") view=ModelPage />
                    <Route path=path!("/docs") view=Docs />
                    <Route path=path!("/login") view=LogIn />
                    <Route path=path!("/signup") view=SignUp />
                    <ParentRoute path=path!("/app") view=AppLayout>
                        <Route path=path!("") view=Overview />
                        <Route path=path!("keys") view=Keys />
                        <Route path=path!("credits") view=Credits />
                        <Route path=path!("activity") view=Activity />
                        <Route path=path!("byok") view=Byok />
                        <Route path=path!("settings") view=Settings />
                        <Route path=path!("playground") view=Playground />
                    </ParentRoute>
                    <ParentRoute path=path!("/admin") view=AdminLayout>
                        <Route path=path!("") view=AdminOrganizations />
                        <Route path=path!("organizations/:id") view=AdminOrganizationPage />
                        <Route path=path!("users") view=AdminUsers />
                        <Route path=path!("analytics") view=AdminAnalytics />
                        <Route path=path!("catalog") view=AdminCatalog />
                        <Route path=path!("audit") view=AdminAudit />
                    </ParentRoute>
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}
