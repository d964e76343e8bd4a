//! `/app/keys`: the organization's API keys. Create one (name, spending limit, reset,
//! expiry; the key is shown once with a copy button), disable or enable, delete; each key's
//! usage.

use api_types::keys::{
    CreateKeyRequest, CreatedKeyResponse, DeletedResponse, KeyList, KeyResponse, KeyView,
    LimitReset, UpdateKeyRequest,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use super::layout::org_resource;
use crate::api::{self, ApiFailure};
use crate::bind;
use crate::components::confirm_button::ConfirmButton;
use crate::components::copy_button::CopyButton;
use crate::components::field::{Kind, SelectField, TextField};
use crate::components::status::{Empty, Failure, FormError, Loading};
use crate::components::submission::Submission;
use crate::money::usd;

/// The create form's fields as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyForm {
    pub name: String,
    /// USD, empty for no limit.
    pub limit: String,
    /// `daily`, `weekly`, `monthly` or empty.
    pub reset: String,
    /// `YYYY-MM-DD` (the key stops working at the end of that UTC day), or empty.
    pub expires: String,
}

impl KeyForm {
    /// The request, or what to fix.
    pub fn request(&self) -> Result<CreateKeyRequest, String> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err("Give the key a name, e.g. where it is used.".into());
        }
        if name.chars().count() > 200 {
            return Err("Use at most 200 characters for the name.".into());
        }
        let limit = match self.limit.trim() {
            "" => None,
            text => match text.parse::<f64>() {
                Ok(usd) if usd >= 0.0 && usd.is_finite() => Some(usd),
                _ => return Err("The limit is an amount in USD, like 25 or 7.50.".into()),
            },
        };
        let limit_reset = match self.reset.as_str() {
            "" => None,
            text => Some(LimitReset::parse(text).ok_or("Pick how often the limit resets.")?),
        };
        if limit_reset.is_some() && limit.is_none() {
            return Err("A reset needs a limit: set one, or choose “Never”.".into());
        }
        let expires_at = match self.expires.trim() {
            "" => None,
            date if date.len() == 10 => Some(format!("{date}T23:59:59Z")),
            _ => return Err("Pick the expiry date from the calendar.".into()),
        };
        Ok(CreateKeyRequest {
            name: name.to_owned(),
            limit,
            limit_reset,
            include_byok_in_limit: false,
            expires_at,
            creator_user_id: None,
        })
    }
}

#[component]
pub fn Keys() -> impl IntoView {
    let keys = org_resource::<KeyList>(|| "/keys?include_disabled=true".into());
    let created = RwSignal::new(None::<CreatedKeyResponse>);
    let action_error = RwSignal::new(None::<String>);

    view! {
        <Title text="API keys" />
        <h1>"API keys"</h1>
        <p class="muted">
            "Keys call the API in this organization and spend its credit. Each can have its own spending limit."
        </p>
        <CreateKey keys created />
        <Show when=move || created.read().is_some()>
            <NewKey created />
        </Show>
        <h2>"Your keys"</h2>
        <FormError message=action_error />
        <Suspense fallback=|| view! { <Loading label="Loading keys…" /> }>
            {move || {
                keys.get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(list) if list.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>"No keys yet. Create one above."</p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! { <KeyTable keys=list.data resource=keys action_error /> }.into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn CreateKey(
    keys: LocalResource<Result<KeyList, ApiFailure>>,
    created: RwSignal<Option<CreatedKeyResponse>>,
) -> impl IntoView {
    let form = RwSignal::new(KeyForm::default());
    let submission = Submission::new();
    let Submission { busy, failure } = submission;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match form.read_untracked().request() {
            Ok(request) => submission.send(
                async move { api::post::<_, CreatedKeyResponse>("/keys", &request).await },
                move |new_key| {
                    created.set(Some(new_key));
                    form.set(KeyForm::default());
                    keys.refetch();
                },
            ),
            Err(message) => submission.refuse(message),
        }
    };
    view! {
        <form class="form form-inline card" on:submit=submit aria-label="Create a key">
            <TextField
                id="key-name"
                label="Name"
                placeholder="e.g. Production backend"
                bind=bind!(form.name)
            />
            <TextField
                id="key-limit"
                label="Spending limit (USD, optional)"
                kind=Kind::Money
                bind=bind!(form.limit)
            />
            <SelectField
                id="key-reset"
                label="Limit resets"
                bind=bind!(form.reset)
            >
                <option value="">"Never"</option>
                <option value="daily">"Daily"</option>
                <option value="weekly">"Weekly"</option>
                <option value="monthly">"Monthly"</option>
            </SelectField>
            <TextField
                id="key-expires"
                label="Expires (optional)"
                kind=Kind::Date
                bind=bind!(form.expires)
            />
            <FormError message=failure />
            <button type="submit" class="button" disabled=move || busy.get()>
                {move || if busy.get() { "Creating…" } else { "Create key" }}
            </button>
        </form>
    }
}

/// The key just created, shown this once.
#[component]
fn NewKey(created: RwSignal<Option<CreatedKeyResponse>>) -> impl IntoView {
    let secret = Signal::derive(move || {
        created
            .read()
            .as_ref()
            .map(|c| c.key.clone())
            .unwrap_or_default()
    });
    view! {
        <section class="card new-key" role="region" aria-label="New key">
            <h2>{move || created.read().as_ref().map(|c| format!("Key “{}” created", c.data.name))}</h2>
            <p>"Copy it now: it is shown only once. Only a hash of it is stored."</p>
            <label for="new-key-value">"Your new key"</label>
            <div class="key-row">
                <input id="new-key-value" class="mono" type="text" readonly prop:value=move || secret.get() />
                <CopyButton text=secret label="Copy key" />
            </div>
            <button type="button" class="button button-small button-secondary" on:click=move |_| created.set(None)>
                "I have saved it — hide the key"
            </button>
        </section>
    }
}

fn limit_text(key: &KeyView) -> String {
    match (key.figures.limit, key.figures.limit_reset) {
        (None, _) => "No limit".into(),
        (Some(limit), None) => usd(limit),
        (Some(limit), Some(reset)) => format!("{} {}", usd(limit), reset.as_str()),
    }
}

#[component]
fn KeyTable(
    keys: Vec<KeyView>,
    resource: LocalResource<Result<KeyList, ApiFailure>>,
    action_error: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="API keys">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Limit"</th>
                        <th scope="col">"Usage (total / this month)"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|key| view! { <KeyRow key resource action_error /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn KeyRow(
    key: KeyView,
    resource: LocalResource<Result<KeyList, ApiFailure>>,
    action_error: RwSignal<Option<String>>,
) -> impl IntoView {
    let hash = key.hash.clone();
    let name = key.name.clone();
    let toggle_label = format!(
        "{} key {name}",
        if key.disabled { "Enable" } else { "Disable" }
    );
    let disabled = key.disabled;
    let toggle = {
        let hash = hash.clone();
        move |_| {
            let hash = hash.clone();
            spawn_local(async move {
                let patch = UpdateKeyRequest {
                    disabled: Some(!disabled),
                    ..UpdateKeyRequest::default()
                };
                match api::patch::<_, KeyResponse>(&format!("/keys/{hash}"), &patch).await {
                    Ok(_) => action_error.set(None),
                    Err(err) => action_error.set(Some(err.message)),
                }
                resource.refetch();
            });
        }
    };
    let remove = move |()| {
        let hash = hash.clone();
        spawn_local(async move {
            match api::delete::<DeletedResponse>(&format!("/keys/{hash}")).await {
                Ok(_) => action_error.set(None),
                Err(err) => action_error.set(Some(err.message)),
            }
            resource.refetch();
        });
    };
    let badge_class = if disabled {
        "badge badge-off"
    } else {
        "badge badge-on"
    };
    view! {
        <tr>
            <td>{name.clone()}</td>
            <td class="mono small">{key.label.clone()}</td>
            <td>
                <span class=badge_class>
                    {if disabled { "Disabled" } else { "Active" }}
                </span>
            </td>
            <td>{limit_text(&key)}</td>
            <td>{format!("{} / {}", usd(key.figures.usage), usd(key.figures.usage_monthly))}</td>
            <td>
                {key
                    .expires_at
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "Never".into())}
            </td>
            <td class="row-actions">
                <button
                    type="button"
                    class="button button-small button-secondary"
                    aria-label=toggle_label
                    on:click=toggle
                >
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
                <ConfirmButton verb="Delete" doing="deleting" target=format!("key {name}") act=remove />
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_says_what_to_fix() {
        let mut form = KeyForm::default();
        assert!(form.request().is_err());
        form.name = " Backend ".into();
        let request = form.request().unwrap();
        assert_eq!(request.name, "Backend");
        assert_eq!(request.limit, None);
        form.limit = "7.5".into();
        form.reset = "monthly".into();
        form.expires = "2030-01-31".into();
        let request = form.request().unwrap();
        assert_eq!(request.limit, Some(7.5));
        assert_eq!(request.limit_reset, Some(LimitReset::Monthly));
        assert_eq!(request.expires_at.as_deref(), Some("2030-01-31T23:59:59Z"));
        form.limit = "ten".into();
        assert!(form.request().is_err());
        form.limit = String::new();
        assert!(form.request().is_err(), "a reset without a limit");
    }
}
