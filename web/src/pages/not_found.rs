//! The 404 page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The 404 page. On the server it also sets the response status to 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_actix::ResponseOptions>() {
        response.set_status(actix_web::http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Page not found" />
        <section class="narrow">
            <h1>"Page not found"</h1>
            <p class="muted">"There is nothing at this address."</p>
            <p>
                <A href="/">"← Back to the home page"</A>
            </p>
        </section>
    }
}
