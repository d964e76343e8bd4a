//! `/login`.

use api_types::account::{AuthResponse, LoginRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::components::A;

use super::form::{Field, check_email, hydrated, next_page};
use crate::api;
use crate::components::status::FormError;

#[component]
pub fn LogIn() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email_error = RwSignal::new(None::<String>);
    let password_error = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let next = next_page();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        email_error.set(check_email(&email.get_untracked()));
        password_error.set(
            password
                .with_untracked(String::is_empty)
                .then(|| "Enter your password.".to_owned()),
        );
        if email_error.get_untracked().is_some() || password_error.get_untracked().is_some() {
            return;
        }
        busy.set(true);
        let body = LoginRequest {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::post::<_, AuthResponse>("/auth/login", &body).await {
                Ok(_) => api::go_to(&next()),
                Err(err) => {
                    failure.set(Some(err.message));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <Title text="Log in" />
        <section class="auth">
            <h1>"Log in"</h1>
            <form class="form" method="post" action="/api/v1/auth/login" novalidate on:submit=submit>
                <Field
                    id="email"
                    label="Email"
                    kind="email"
                    autocomplete="email"
                    required=true
                    value=email
                    error=email_error
                />
                <Field
                    id="password"
                    label="Password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    value=password
                    error=password_error
                />
                <FormError message=failure />
                <button type="submit" class="button" disabled=move || !ready.get() || busy.get()>
                    {move || if busy.get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
            <p class="muted">"No account yet? " <A href="/signup">"Sign up"</A></p>
        </section>
    }
}
