//! Loading, empty and error states, the same on every page.

use leptos::prelude::*;

use crate::api::ApiFailure;

#[component]
pub fn Loading(#[prop(default = "Loading…")] label: &'static str) -> impl IntoView {
    view! {
        <p class="state state-loading" role="status" aria-live="polite">
            {label}
        </p>
    }
}

#[component]
pub fn Empty(children: Children) -> impl IntoView {
    view! { <div class="state state-empty">{children()}</div> }
}

/// A failed call, said plainly.
#[component]
pub fn Failure(failure: ApiFailure) -> impl IntoView {
    view! {
        <p class="state state-error" role="alert">
            {failure.message}
        </p>
    }
}

/// An error message under a form, shown when there is one.
#[component]
pub fn FormError(message: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.read().is_some()>
            <p class="form-error" role="alert">
                {move || message.get().unwrap_or_default()}
            </p>
        </Show>
    }
}
