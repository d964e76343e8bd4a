//! The frame around every page: header with the site navigation, footer.

use api_types::account::MeResponse;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api;
use crate::{OPENAPI_URL, PRODUCT};

/// The site header. Signed in, it shows the account (email, dashboard, log out) instead of
/// "Log in" and "Sign up". The server renders the signed-out links (it does not read the
/// session) and the browser switches once `/me` answers; `/me` is only asked when the
/// script-readable CSRF cookie says there is a session, so visitors cause no 401.
#[component]
pub fn Header() -> impl IntoView {
    let me = LocalResource::new(|| async {
        if api::has_session() {
            api::get::<MeResponse>("/me").await.ok()
        } else {
            None
        }
    });
    let log_out = move |_| {
        spawn_local(async move {
            api::log_out().await;
        });
    };
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                    <rect width="32" height="32" rx="8" />
                    <path d="M7 16h5l3-6 4 12 3-6h3" />
                </svg>
                {PRODUCT}
            </A>
            <nav class="site-nav" aria-label="Site">
                <A href="/models">"Models"</A>
                <A href="/docs">"Docs"</A>
                <A href="/app">"Dashboard"</A>
                {move || match me.get().flatten() {
                    Some(me) => {
                        view! {
                            <details class="account-menu">
                                <summary aria-label="Account menu">{me.user.email}</summary>
                                <div class="account-menu-items">
                                    <A href="/app/settings">"Settings"</A>
                                    <button
                                        type="button"
                                        class="button button-small button-secondary"
                                        on:click=log_out
                                    >
                                        "Log out"
                                    </button>
                                </div>
                            </details>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <A href="/login">"Log in"</A>
                            <A href="/signup" attr:class="button button-small">"Sign up"</A>
                        }
                            .into_any()
                    }
                }}
            </nav>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>
                {PRODUCT}" — open source, self-hostable. "
                <a href=OPENAPI_URL rel="external">"OpenAPI document"</a>
            </p>
        </footer>
    }
}
