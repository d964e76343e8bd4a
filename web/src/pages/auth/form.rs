//! What the login and sign-up forms share: the labelled field, the client-side checks that
//! give clear messages before a round trip, and where to go afterwards.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A labelled input with its own message.
#[component]
pub fn Field(
    id: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(default = "")] hint: &'static str,
    #[prop(default = false)] required: bool,
    value: RwSignal<String>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let message_id = format!("{id}-message");
    let described = message_id.clone();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                required=required
                aria-invalid=move || error.read().is_some().to_string()
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    error.set(None);
                }
            />
            <p id=message_id class=move || if error.read().is_some() { "field-error" } else { "hint" }>
                {move || error.get().unwrap_or_else(|| hint.to_owned())}
            </p>
        </div>
    }
}

/// `None` when `email` looks like an address, else what is wrong.
pub fn check_email(email: &str) -> Option<String> {
    let email = email.trim();
    if email.is_empty() {
        return Some("Enter your email address.".into());
    }
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => None,
        _ => Some("Enter an email address like ada@example.com.".into()),
    }
}

/// The server's rules for a new password, said before it is sent.
pub fn check_new_password(password: &str, email: &str) -> Option<String> {
    let distinct = {
        let mut chars: Vec<char> = password.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        chars.len()
    };
    if password.chars().count() < 10 {
        Some("Use at least 10 characters.".into())
    } else if password.chars().count() > 128 {
        Some("Use at most 128 characters.".into())
    } else if distinct < 4 {
        Some("Use at least 4 different characters.".into())
    } else if password.eq_ignore_ascii_case(email.trim()) {
        Some("The password cannot be your email address.".into())
    } else {
        None
    }
}

/// Where to go after logging in: the `next` query parameter when it is a path of this site,
/// else the dashboard.
pub fn next_page() -> impl Fn() -> String + Copy {
    let query = use_query_map();
    move || {
        query
            .read_untracked()
            .get("next")
            .filter(|next| next.starts_with('/') && !next.starts_with("//"))
            .unwrap_or_else(|| "/app".to_owned())
    }
}

/// `false` until the page has hydrated: the submit buttons stay disabled until their handler
/// can run (a click before that would be lost).
pub fn hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_is_wrong() {
        assert_eq!(check_email("ada@example.com"), None);
        assert!(check_email("ada").is_some());
        assert!(check_email("").is_some());
        assert_eq!(check_new_password("correct horse", "a@b.c"), None);
        assert_eq!(
            check_new_password("short", "a@b.c").as_deref(),
            Some("Use at least 10 characters.")
        );
        assert!(check_new_password("aaaaaaaaaaaa", "a@b.c").is_some());
    }
}
