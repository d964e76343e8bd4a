//! Routing defaults: the providers the organization's requests may use (allow list), the ones
//! they never use (deny list), the data policy and the order, applied where a request does not
//! say otherwise (`/organizations/{org_id}/routing`). The body is the request `provider` object
//! restricted to these fields; fields this page does not edit are kept as stored.

use api_types::catalog::ListProvidersResponse;
use api_types::organizations::RoutingDefaultsView;
use leptos::prelude::*;
use serde_json::{Map, Value};

use super::{in_org_path, org_id};
use crate::api;
use crate::components::status::{Failure, FormError, Loading};
use crate::components::submission::Submission;

#[derive(Clone, Debug, Default, PartialEq)]
struct Form {
    only: String,
    ignore: String,
    data_collection: String,
    zdr: bool,
    sort: String,
}

fn names(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The stored preferences as the form shows them.
fn form_of(preferences: &Value) -> Form {
    let text = |key: &str| {
        preferences
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let sort = match preferences.get("sort") {
        Some(Value::String(by)) => by.clone(),
        Some(Value::Object(sort)) => sort
            .get("by")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    Form {
        only: names(preferences.get("only")),
        ignore: names(preferences.get("ignore")),
        data_collection: text("data_collection"),
        zdr: preferences
            .get("zdr")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        sort,
    }
}

fn list(text: &str) -> Option<Value> {
    let names: Vec<Value> = text
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| Value::String(name.to_owned()))
        .collect();
    (!names.is_empty()).then_some(Value::Array(names))
}

/// The body to store: what was stored, with this form's fields replaced (an empty field
/// removes its key; a stored `sort` object is kept while its `by` is unchanged).
fn body_of(stored: &Value, form: &Form) -> Value {
    let mut body = stored.as_object().cloned().unwrap_or_default();
    let mut set = |key: &str, value: Option<Value>| match value {
        Some(v) => {
            body.insert(key.to_owned(), v);
        }
        None => {
            body.remove(key);
        }
    };
    set("only", list(&form.only));
    set("ignore", list(&form.ignore));
    set(
        "data_collection",
        (!form.data_collection.is_empty()).then(|| Value::String(form.data_collection.clone())),
    );
    set("zdr", form.zdr.then_some(Value::Bool(true)));
    let kept_sort = stored
        .get("sort")
        .filter(|s| s.is_object() && form_of(stored).sort == form.sort)
        .cloned();
    let sort = match (kept_sort, form.sort.as_str()) {
        (_, "") => None,
        (Some(object), _) => Some(object),
        (None, by) => Some(Value::String(by.to_owned())),
    };
    set("sort", sort);
    Value::Object(body)
}

#[component]
pub fn RoutingDefaults(can_manage: Signal<bool>) -> impl IntoView {
    let routing = in_org_path::<RoutingDefaultsView>("/routing");
    let providers = LocalResource::new(|| api::get::<ListProvidersResponse>("/providers"));
    let form = RwSignal::new(Form::default());
    let submission = Submission::new();
    let Submission {
        busy,
        failure: message,
    } = submission;
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Some(Ok(view))) = routing.get() {
            form.set(form_of(&view.preferences));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(org) = org_id() else { return };
        let stored = match routing.get_untracked() {
            Some(Some(Ok(view))) => view.preferences,
            _ => Value::Object(Map::new()),
        };
        let body = body_of(&stored, &form.get_untracked());
        saved.set(false);
        submission.send(
            async move {
                let path = format!("/organizations/{org}/routing");
                let reply = api::put::<_, RoutingDefaultsView>(&path, &body).await;
                // Either way, the form shows what the server now holds.
                routing.refetch();
                reply
            },
            move |_| saved.set(true),
        );
    };
    let known = move || {
        providers
            .get()
            .and_then(Result::ok)
            .map(|list| {
                let slugs: Vec<String> = list.data.into_iter().map(|p| p.slug).collect();
                format!("Providers: {}.", slugs.join(", "))
            })
            .unwrap_or_default()
    };
    view! {
        <section class="card" aria-labelledby="settings-routing">
            <h2 id="settings-routing">"Provider routing"</h2>
            <p class="muted small">
                "Defaults for every request of this organization, where the request does not set them itself. Never-use providers always apply."
            </p>
            {move || match routing.get().flatten() {
                None => Some(view! { <Loading label="Loading routing defaults…" /> }.into_any()),
                Some(Err(failure)) => Some(view! { <Failure failure /> }.into_any()),
                Some(Ok(view)) => {
                    view.updated_at
                        .map(|at| {
                            view! {
                                <p class="muted small">
                                    {format!("Last changed {} UTC.", at.format("%Y-%m-%d %H:%M"))}
                                </p>
                            }
                                .into_any()
                        })
                }
            }}
            <form class="form" on:submit=submit aria-label="Provider routing">
                <div class="field">
                    <label for="routing-only">"Only use these providers"</label>
                    <input
                        id="routing-only"
                        type="text"
                        placeholder="openai, anthropic"
                        prop:value=move || form.read().only.clone()
                        on:input=move |ev| {
                            saved.set(false);
                            form.update(|f| f.only = event_target_value(&ev));
                        }
                    />
                    <p class="hint">"Provider slugs, separated by commas. Empty: any provider."</p>
                </div>
                <div class="field">
                    <label for="routing-ignore">"Never use these providers"</label>
                    <input
                        id="routing-ignore"
                        type="text"
                        prop:value=move || form.read().ignore.clone()
                        on:input=move |ev| {
                            saved.set(false);
                            form.update(|f| f.ignore = event_target_value(&ev));
                        }
                    />
                    <p class="hint">{known}</p>
                </div>
                <div class="field">
                    <label for="routing-data">"Data policy"</label>
                    <select
                        id="routing-data"
                        prop:value=move || form.read().data_collection.clone()
                        on:change=move |ev| {
                            saved.set(false);
                            form.update(|f| f.data_collection = event_target_value(&ev));
                        }
                    >
                        <option value="">"No default"</option>
                        <option value="deny">"Only providers that do not collect data"</option>
                        <option value="allow">"Providers that collect data are allowed"</option>
                    </select>
                </div>
                <div class="field field-check">
                    <input
                        id="routing-zdr"
                        type="checkbox"
                        prop:checked=move || form.read().zdr
                        on:change=move |ev| {
                            saved.set(false);
                            form.update(|f| f.zdr = event_target_checked(&ev));
                        }
                    />
                    <label for="routing-zdr">"Only zero-data-retention endpoints"</label>
                </div>
                <div class="field">
                    <label for="routing-sort">"Order providers by"</label>
                    <select
                        id="routing-sort"
                        prop:value=move || form.read().sort.clone()
                        on:change=move |ev| {
                            saved.set(false);
                            form.update(|f| f.sort = event_target_value(&ev));
                        }
                    >
                        <option value="">"Default (balanced by price and health)"</option>
                        <option value="price">"Lowest price"</option>
                        <option value="throughput">"Highest throughput"</option>
                        <option value="latency">"Lowest latency"</option>
                    </select>
                </div>
                <button
                    type="submit"
                    class="button"
                    disabled=move || busy.get() || !can_manage.get()
                >
                    "Save routing defaults"
                </button>
            </form>
            <FormError message />
            <Show when=move || saved.get()>
                <p class="muted" role="status">"Routing defaults saved."</p>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_form_round_trips_and_keeps_what_it_does_not_edit() {
        let stored = json!({
            "only": ["openai", "groq"], "data_collection": "deny",
            "sort": {"by": "price", "partition": "none"}
        });
        let form = form_of(&stored);
        assert_eq!(form.only, "openai, groq");
        assert_eq!(form.sort, "price");
        assert_eq!(body_of(&stored, &form), stored);
        let changed = Form {
            only: String::new(),
            ignore: "mistral,  deepseek".into(),
            data_collection: String::new(),
            zdr: true,
            sort: "latency".into(),
        };
        assert_eq!(
            body_of(&stored, &changed),
            json!({"ignore": ["mistral", "deepseek"], "zdr": true, "sort": "latency"})
        );
        assert_eq!(body_of(&json!({}), &Form::default()), json!({}));
    }
}
