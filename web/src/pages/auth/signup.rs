//! `/signup`.

use api_types::account::{AuthResponse, SignupRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::components::A;

use super::form::{Field, check_email, check_new_password, hydrated, next_page};
use crate::api;
use crate::components::status::FormError;

#[component]
pub fn SignUp() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let email_error = RwSignal::new(None::<String>);
    let password_error = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let next = next_page();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        let email_text = email.get_untracked();
        email_error.set(check_email(&email_text));
        password_error.set(check_new_password(&password.get_untracked(), &email_text));
        name_error.set(
            (name.with_untracked(|n| n.trim().chars().count()) > 100)
                .then(|| "Use at most 100 characters.".to_owned()),
        );
        if email_error.get_untracked().is_some()
            || password_error.get_untracked().is_some()
            || name_error.get_untracked().is_some()
        {
            return;
        }
        busy.set(true);
        let display_name = name.get_untracked().trim().to_owned();
        let body = SignupRequest {
            email: email_text.trim().to_owned(),
            password: password.get_untracked(),
            name: (!display_name.is_empty()).then_some(display_name),
        };
        spawn_local(async move {
            match api::post::<_, AuthResponse>("/auth/signup", &body).await {
                Ok(_) => api::go_to(&next()),
                Err(err) => {
                    if err.status == 409 {
                        email_error.set(Some(
                            "This email already has an account: log in instead.".into(),
                        ));
                    } else {
                        failure.set(Some(err.message));
                    }
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <Title text="Sign up" />
        <section class="auth">
            <h1>"Create your account"</h1>
            <p class="muted">"You get a personal organization with its own keys and credit."</p>
            <form class="form" method="post" action="/api/v1/auth/signup" novalidate on:submit=submit>
                <Field
                    id="name"
                    label="Name (optional)"
                    autocomplete="name"
                    value=name
                    error=name_error
                />
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
                    autocomplete="new-password"
                    hint="At least 10 characters, 4 of them different."
                    required=true
                    value=password
                    error=password_error
                />
                <FormError message=failure />
                <button type="submit" class="button" disabled=move || !ready.get() || busy.get()>
                    {move || if busy.get() { "Creating your account…" } else { "Create account" }}
                </button>
            </form>
            <p class="muted">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}
