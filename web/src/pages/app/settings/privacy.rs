//! Prompt logging: the organization's opt-in to storing prompts and completions (owners and
//! admins, with an explicit consent), who changed it and when, and deleting everything stored.

use api_types::organizations::MemberList;
use api_types::privacy::{DeletedContents, PrivacyRequest, PrivacyView};
use leptos::prelude::*;

use super::{in_org_header, in_org_path};
use crate::api;
use crate::components::status::{Failure, FormError, Loading};
use crate::components::submission::Submission;

/// Who changed the setting, in words: a member's address when the id is one of theirs.
fn who(changed_by: &str, members: Option<&MemberList>) -> String {
    if let Some(hash) = changed_by.strip_prefix("key:") {
        let short: String = hash.chars().take(12).collect();
        return format!("a management key ({short}…)");
    }
    members
        .and_then(|list| list.data.iter().find(|m| m.user_id == changed_by))
        .map(|m| m.email.clone())
        .unwrap_or_else(|| format!("user {changed_by}"))
}

#[component]
pub fn PromptLogging(can_manage: Signal<bool>) -> impl IntoView {
    let privacy = in_org_header::<PrivacyView>("/organization/privacy");
    let members = in_org_path::<MemberList>("/members");
    let consent = RwSignal::new(false);
    let submission = Submission::new();
    let Submission {
        busy,
        failure: message,
    } = submission;
    let confirming = RwSignal::new(false);
    let deleted = RwSignal::new(None::<u64>);

    let change = move |store_content: bool| {
        if store_content && !consent.get_untracked() {
            return submission.refuse("Tick the consent box first: storing prompts needs it.");
        }
        let request = PrivacyRequest {
            store_content,
            consent: store_content,
        };
        submission.send(
            async move {
                let saved = api::put::<_, PrivacyView>("/organization/privacy", &request).await;
                // Either way, show the setting as the server now holds it.
                privacy.refetch();
                saved
            },
            move |_| consent.set(false),
        );
    };
    let delete_all = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        submission.send(
            async move {
                let deleted = api::delete::<DeletedContents>("/generations/content").await;
                confirming.set(false);
                deleted
            },
            move |done| deleted.set(Some(done.deleted)),
        );
    };

    view! {
        <section class="card" aria-labelledby="settings-privacy">
            <h2 id="settings-privacy">"Prompt logging"</h2>
            <p class="muted small">
                "Off by default: requests are recorded (model, tokens, cost) but their prompts and completions are not kept. Turned on, this organization's request and response bodies are stored and can be read and deleted here."
            </p>
            {move || match privacy.get().flatten() {
                None => view! { <Loading label="Loading the privacy setting…" /> }.into_any(),
                Some(Err(failure)) => view! { <Failure failure /> }.into_any(),
                Some(Ok(view)) => {
                    let list = members.get().flatten().and_then(Result::ok);
                    let changed = match (&view.changed_by, &view.changed_at) {
                        (Some(by), Some(at)) => {
                            format!(
                                "Last changed by {} on {} UTC.",
                                who(by, list.as_ref()),
                                at.format("%Y-%m-%d %H:%M"),
                            )
                        }
                        _ => "Never changed.".to_owned(),
                    };
                    let on = view.store_content;
                    view! {
                        <p role="status">
                            <strong>
                                {if on {
                                    "Prompts and completions are stored."
                                } else {
                                    "Prompts and completions are not stored."
                                }}
                            </strong>
                            " "
                            <span class="muted">{changed}</span>
                        </p>
                        {if on {
                            view! {
                                <button
                                    type="button"
                                    class="button button-secondary"
                                    disabled=move || busy.get() || !can_manage.get()
                                    on:click=move |_| change(false)
                                >
                                    "Stop storing prompts and completions"
                                </button>
                            }
                                .into_any()
                        } else {
                            view! {
                                <div class="field field-check">
                                    <input
                                        id="privacy-consent"
                                        type="checkbox"
                                        disabled=move || !can_manage.get()
                                        prop:checked=move || consent.get()
                                        on:change=move |ev| consent.set(event_target_checked(&ev))
                                    />
                                    <label for="privacy-consent">
                                        "I consent to storing this organization's prompts and completions"
                                    </label>
                                </div>
                                <button
                                    type="button"
                                    class="button"
                                    disabled=move || {
                                        busy.get() || !can_manage.get() || !consent.get()
                                    }
                                    on:click=move |_| change(true)
                                >
                                    "Start storing prompts and completions"
                                </button>
                            }
                                .into_any()
                        }}
                    }
                        .into_any()
                }
            }}
            <FormError message />
            <div class="row-actions">
                <button
                    type="button"
                    class="button button-danger"
                    disabled=move || busy.get() || !can_manage.get()
                    on:click=delete_all
                >
                    {move || {
                        if confirming.get() {
                            "Yes, delete all stored prompts and completions"
                        } else {
                            "Delete all stored prompts and completions"
                        }
                    }}
                </button>
                <Show when=move || confirming.get()>
                    <button
                        type="button"
                        class="button button-secondary"
                        on:click=move |_| confirming.set(false)
                    >
                        "Cancel deleting"
                    </button>
                </Show>
            </div>
            <Show when=move || confirming.get()>
                <p class="notice" role="alert">
                    "This deletes every stored prompt and completion of this organization, for good. The usage records stay."
                </p>
            </Show>
            {move || {
                deleted
                    .get()
                    .map(|n| {
                        let text = match n {
                            1 => "Deleted the stored contents of 1 request.".to_owned(),
                            n => format!("Deleted the stored contents of {n} requests."),
                        };
                        view! { <p class="notice notice-ok" role="status">{text}</p> }
                    })
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::who;
    use api_types::organizations::{MemberList, MemberView, Role};

    #[test]
    fn the_changer_is_named_by_address_or_key() {
        let list = MemberList {
            data: vec![MemberView {
                user_id: "u1".into(),
                email: "ada@example.com".into(),
                name: None,
                role: Role::Owner,
                joined_at: chrono::DateTime::UNIX_EPOCH,
            }],
        };
        assert_eq!(who("u1", Some(&list)), "ada@example.com");
        assert_eq!(who("u2", Some(&list)), "user u2");
        assert_eq!(
            who("key:0123456789abcdef", None),
            "a management key (0123456789ab…)"
        );
    }
}
