//! `/app/byok`: the organization's own provider keys (bring your own key). Add one (provider,
//! the key, a name, "fallback" and "always use"), list them by their last four characters,
//! change those settings, disable or remove them. The key itself is sent once and never shown
//! again. Owners and admins manage them; members see the list with the controls disabled.

use api_types::byok::{
    ByokKeyList, ByokKeyResponse, ByokKeyView, CreateByokKeyRequest, UpdateByokKeyRequest,
};
use api_types::catalog::ListProvidersResponse;
use api_types::keys::DeletedResponse;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use super::layout::{org_resource, use_session};
use crate::api::{self, ApiFailure};
use crate::bind;
use crate::components::confirm_button::ConfirmButton;
use crate::components::field::{Kind, SelectField, TextField};
use crate::components::status::{Empty, Failure, FormError, Loading};
use crate::components::submission::Submission;

/// The add form's fields as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ByokForm {
    pub provider: String,
    pub key: String,
    pub name: String,
    pub is_fallback: bool,
    pub always_use: bool,
}

impl ByokForm {
    /// The request, or what to fix (the API checks the same rules again).
    pub fn request(&self) -> Result<CreateByokKeyRequest, String> {
        if self.provider.is_empty() {
            return Err("Pick the provider the key belongs to.".into());
        }
        let key = self.key.trim();
        if key.len() < 8 {
            return Err("Paste the provider's key (at least 8 characters).".into());
        }
        if self.is_fallback && self.always_use {
            return Err("A key is either a fallback or always used, not both.".into());
        }
        let name = self.name.trim();
        Ok(CreateByokKeyRequest {
            provider: self.provider.clone(),
            key: key.to_owned(),
            name: (!name.is_empty()).then(|| name.to_owned()),
            is_fallback: self.is_fallback,
            always_use: self.always_use,
            ..CreateByokKeyRequest::default()
        })
    }
}

#[component]
pub fn Byok() -> impl IntoView {
    let session = use_session();
    let keys = org_resource::<ByokKeyList>(|| "/byok?limit=100".into());
    let can_manage = Signal::derive(move || session.current().is_some_and(|o| o.role.is_manager()));
    let action_error = RwSignal::new(None::<String>);

    view! {
        <Title text="Provider keys" />
        <h1>"Provider keys (BYOK)"</h1>
        <p class="muted">
            "Use your own provider accounts: requests to a provider with a key here are sent with it and billed by that provider, not from your credit."
        </p>
        <Show when=move || !can_manage.get() && session.current().is_some()>
            <p class="notice" role="status">
                "Only owners and admins of this organization can add or change provider keys."
            </p>
        </Show>
        <AddKey keys can_manage />
        <h2>"Your provider keys"</h2>
        <FormError message=action_error />
        <Suspense fallback=|| view! { <Loading label="Loading provider keys…" /> }>
            {move || {
                keys.get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(list) if list.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>"No provider keys yet. Requests use the platform's providers."</p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <div class="table-wrap">
                                    <table class="table" aria-label="Provider keys">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Provider"</th>
                                                <th scope="col">"Name"</th>
                                                <th scope="col">"Key"</th>
                                                <th scope="col">"Status"</th>
                                                <th scope="col">"Settings"</th>
                                                <th scope="col">"Actions"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .data
                                                .into_iter()
                                                .map(|key| {
                                                    view! { <KeyRow key keys can_manage action_error /> }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn AddKey(
    keys: LocalResource<Result<ByokKeyList, ApiFailure>>,
    can_manage: Signal<bool>,
) -> impl IntoView {
    let providers = LocalResource::new(|| api::get::<ListProvidersResponse>("/providers"));
    let form = RwSignal::new(ByokForm::default());
    let submission = Submission::new();
    let Submission { busy, failure } = submission;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match form.read_untracked().request() {
            Ok(request) => submission.send(
                async move { api::post::<_, ByokKeyResponse>("/byok", &request).await },
                move |_| {
                    form.set(ByokForm::default());
                    keys.refetch();
                },
            ),
            Err(message) => submission.refuse(message),
        }
    };
    view! {
        <form class="form form-inline card" on:submit=submit aria-label="Add a provider key">
            <SelectField
                id="byok-provider"
                label="Provider"
                bind=bind!(form.provider)
            >
                <option value="">"Choose a provider"</option>
                {move || {
                    providers
                        .get()
                        .and_then(Result::ok)
                        .map(|list| {
                            list.data
                                .into_iter()
                                .map(|p| view! { <option value=p.slug>{p.name}</option> })
                                .collect_view()
                        })
                }}
            </SelectField>
            <TextField
                id="byok-key"
                label="Provider key"
                kind=Kind::Secret
                bind=bind!(form.key)
            />
            <TextField
                id="byok-name"
                label="Name (optional)"
                bind=bind!(form.name)
            />
            <div class="field field-check">
                <input
                    id="byok-fallback"
                    type="checkbox"
                    prop:checked=move || form.read().is_fallback
                    on:change=move |ev| form.update(|f| f.is_fallback = event_target_checked(&ev))
                />
                <label for="byok-fallback">"Only as a fallback (after the platform's providers)"</label>
            </div>
            <div class="field field-check">
                <input
                    id="byok-always"
                    type="checkbox"
                    prop:checked=move || form.read().always_use
                    on:change=move |ev| form.update(|f| f.always_use = event_target_checked(&ev))
                />
                <label for="byok-always">"Always use this key (never the platform's capacity)"</label>
            </div>
            <FormError message=failure />
            <button type="submit" class="button" disabled=move || busy.get() || !can_manage.get()>
                {move || if busy.get() { "Adding…" } else { "Add provider key" }}
            </button>
        </form>
    }
}

/// What a key does, in words.
fn usage_text(key: &ByokKeyView) -> &'static str {
    match (key.is_fallback, key.always_use) {
        (true, _) => "Fallback",
        (false, true) => "Always used",
        (false, false) => "Used first",
    }
}

#[component]
fn KeyRow(
    key: ByokKeyView,
    keys: LocalResource<Result<ByokKeyList, ApiFailure>>,
    can_manage: Signal<bool>,
    action_error: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = key.id.clone();
    let described = format!("{} key {}", key.provider, key.label.trim_start_matches('.'));
    let update = move |id: String, patch: UpdateByokKeyRequest| {
        spawn_local(async move {
            match api::patch::<_, ByokKeyResponse>(&format!("/byok/{id}"), &patch).await {
                Ok(_) => action_error.set(None),
                Err(err) => action_error.set(Some(err.message)),
            }
            keys.refetch();
        });
    };
    let disabled = key.disabled;
    let toggle = {
        let id = id.clone();
        move |_| {
            update(
                id.clone(),
                UpdateByokKeyRequest {
                    disabled: Some(!disabled),
                    ..UpdateByokKeyRequest::default()
                },
            )
        }
    };
    let fallback_id = format!("byok-fallback-{}", key.id);
    let always_id = format!("byok-always-{}", key.id);
    let set_fallback = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            update(
                id.clone(),
                UpdateByokKeyRequest {
                    is_fallback: Some(on),
                    always_use: on.then_some(false),
                    ..UpdateByokKeyRequest::default()
                },
            )
        }
    };
    let set_always = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            update(
                id.clone(),
                UpdateByokKeyRequest {
                    always_use: Some(on),
                    is_fallback: on.then_some(false),
                    ..UpdateByokKeyRequest::default()
                },
            )
        }
    };
    let remove = move |()| {
        let id = id.clone();
        spawn_local(async move {
            match api::delete::<DeletedResponse>(&format!("/byok/{id}")).await {
                Ok(_) => action_error.set(None),
                Err(err) => action_error.set(Some(err.message)),
            }
            keys.refetch();
        });
    };
    let toggle_label = format!(
        "{} {described}",
        if disabled { "Enable" } else { "Disable" }
    );
    view! {
        <tr>
            <td>{key.provider.clone()}</td>
            <td>{key.name.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="mono small">{key.label.clone()}</td>
            <td>
                <span class=if disabled { "badge badge-off" } else { "badge badge-on" }>
                    {if disabled { "Disabled" } else { "Enabled" }}
                </span>
                " "
                <span class="muted small">{usage_text(&key)}</span>
            </td>
            <td>
                <div class="field-check">
                    <input
                        id=fallback_id.clone()
                        type="checkbox"
                        checked=key.is_fallback
                        disabled=move || !can_manage.get()
                        on:change=set_fallback
                    />
                    <label for=fallback_id>"Fallback"</label>
                </div>
                <div class="field-check">
                    <input
                        id=always_id.clone()
                        type="checkbox"
                        checked=key.always_use
                        disabled=move || !can_manage.get()
                        on:change=set_always
                    />
                    <label for=always_id>"Always use"</label>
                </div>
            </td>
            <td class="row-actions">
                <button
                    type="button"
                    class="button button-small button-secondary"
                    aria-label=toggle_label
                    disabled=move || !can_manage.get()
                    on:click=toggle
                >
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
                <ConfirmButton
                    verb="Remove"
                    doing="removing"
                    target=described
                    allowed=can_manage
                    act=remove
                />
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_says_what_to_fix() {
        let mut form = ByokForm::default();
        assert!(form.request().is_err(), "no provider");
        form.provider = "openai".into();
        assert!(form.request().is_err(), "no key");
        form.key = "  sk-provider-1234  ".into();
        form.name = "  ".into();
        let request = form.request().unwrap();
        assert_eq!(request.key, "sk-provider-1234");
        assert_eq!(request.name, None);
        assert!(!request.is_fallback && !request.always_use);
        form.is_fallback = true;
        form.always_use = true;
        assert!(form.request().is_err(), "both");
    }
}
