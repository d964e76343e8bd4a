//! `/admin/catalog`: the admins' changes to the shipped model catalog. Each current override
//! (a provider or a model with its endpoints and prices) can be loaded into the editor or
//! removed; the editor takes the entry as JSON (the fields of a `[[providers]]` or
//! `[[models]]` entry of the catalog file) and shows the server's message when the catalog
//! would be invalid.

use api_types::admin::{CatalogChanged, OverrideList, OverrideView};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

use crate::api::{self, ApiFailure};
use crate::components::status::{Empty, Failure, FormError, Loading};
use crate::components::submission::Submission;

/// Where a spec is stored: `/admin/catalog/providers/{slug}` for a provider (its `slug`),
/// `/admin/catalog/models/{author}/{slug}` for a model (its `id`).
fn target(kind: &str, spec: &Value) -> Result<String, String> {
    let field = |name: &str| {
        spec.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("The {kind} needs a \"{name}\" field."))
    };
    match kind {
        "provider" => Ok(format!("/admin/catalog/providers/{}", field("slug")?)),
        "model" => {
            let id = field("id")?;
            match id.split_once('/') {
                Some((author, slug)) if !author.is_empty() && !slug.is_empty() => {
                    Ok(format!("/admin/catalog/models/{author}/{slug}"))
                }
                _ => Err("A model's \"id\" is author/slug, like openai/gpt-4o-mini.".into()),
            }
        }
        _ => Err("Pick a provider or a model.".into()),
    }
}

/// An override's delete path, from its id (`provider:slug`, `model:author/slug`).
fn delete_path(id: &str) -> Option<String> {
    match id.split_once(':')? {
        ("provider", slug) => Some(format!("/admin/catalog/providers/{slug}")),
        ("model", model) => Some(format!("/admin/catalog/models/{model}")),
        _ => None,
    }
}

#[component]
pub fn AdminCatalog() -> impl IntoView {
    let list = LocalResource::new(|| api::get::<OverrideList>("/admin/catalog/overrides"));
    let kind = RwSignal::new("model".to_owned());
    let text = RwSignal::new(String::new());
    let submission = Submission::new();
    let Submission {
        busy,
        failure: message,
    } = submission;
    let notice = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        notice.set(None);
        let spec: Value = match serde_json::from_str(&text.get_untracked()) {
            Ok(spec) => spec,
            Err(err) => return submission.refuse(format!("The entry is not valid JSON: {err}")),
        };
        let path = match target(&kind.get_untracked(), &spec) {
            Ok(path) => path,
            Err(err) => return submission.refuse(err),
        };
        submission.send(
            async move { api::put::<_, CatalogChanged>(&path, &spec).await },
            move |done| {
                notice.set(Some(format!(
                    "Saved {}: the catalog now has {} models and {} providers.",
                    done.id, done.models, done.providers
                )));
                list.refetch();
            },
        );
    };
    let edit = move |o: OverrideView| {
        kind.set(o.kind.clone());
        text.set(serde_json::to_string_pretty(&o.spec).unwrap_or_default());
        notice.set(None);
        message.set(None);
    };
    let remove = move |id: String| {
        let Some(path) = delete_path(&id) else { return };
        submission.send(
            async move { api::delete::<CatalogChanged>(&path).await },
            move |_| {
                notice.set(Some(format!(
                    "Removed {id}: the shipped entry applies again."
                )));
                list.refetch();
            },
        );
    };
    view! {
        <Title text="Catalog · Admin" />
        <h1>"Model catalog"</h1>
        <p class="muted">
            "Changes to the shipped catalog take effect at once, without a restart. A change that would leave the catalog invalid is refused with the reason."
        </p>
        <section class="card" aria-labelledby="catalog-editor">
            <h2 id="catalog-editor">"Add or replace an entry"</h2>
            <form class="form" on:submit=save aria-label="Catalog entry">
                <div class="field">
                    <label for="catalog-kind">"Entry kind"</label>
                    <select
                        id="catalog-kind"
                        prop:value=move || kind.get()
                        on:change=move |ev| kind.set(event_target_value(&ev))
                    >
                        <option value="model">"Model (with its endpoints and prices)"</option>
                        <option value="provider">"Provider"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="catalog-spec">"Entry (JSON)"</label>
                    <textarea
                        id="catalog-spec"
                        class="mono"
                        rows="16"
                        spellcheck="false"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    ></textarea>
                    <p class="hint">
                        "The fields of a [[models]] or [[providers]] entry of the catalog file, as JSON. Load a current override below to start from it."
                    </p>
                </div>
                <button type="submit" class="button" disabled=move || busy.get()>
                    "Save catalog entry"
                </button>
            </form>
            <FormError message />
            {move || notice.get().map(|text| view! { <p class="notice notice-ok" role="status">{text}</p> })}
        </section>
        <section aria-labelledby="catalog-overrides">
            <h2 id="catalog-overrides">"Current overrides"</h2>
            <Suspense fallback=|| view! { <Loading label="Loading overrides…" /> }>
                {move || {
                    list.get().map(|result| view! { <Overrides result edit remove busy /> })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Overrides(
    result: Result<OverrideList, ApiFailure>,
    edit: impl Fn(OverrideView) + Copy + 'static,
    remove: impl Fn(String) + Copy + 'static,
    busy: RwSignal<bool>,
) -> impl IntoView {
    match result {
        Err(failure) => view! { <Failure failure /> }.into_any(),
        Ok(list) if list.data.is_empty() => view! {
            <Empty>
                <p>"No overrides: the catalog is as shipped."</p>
            </Empty>
        }
        .into_any(),
        Ok(list) => view! {
            <div class="table-wrap">
                <table class="table" aria-label="Catalog overrides">
                    <thead>
                        <tr>
                            <th scope="col">"Entry"</th>
                            <th scope="col">"Kind"</th>
                            <th scope="col">"Changed (UTC)"</th>
                            <th scope="col">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list
                            .data
                            .into_iter()
                            .map(|o| {
                                let id = o.id.clone();
                                let loaded = o.clone();
                                view! {
                                    <tr>
                                        <th scope="row" class="mono small">{o.id.clone()}</th>
                                        <td>{o.kind.clone()}</td>
                                        <td>{o.updated_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                        <td class="row-actions">
                                            <button
                                                type="button"
                                                class="button button-small button-secondary"
                                                on:click=move |_| edit(loaded.clone())
                                            >
                                                {format!("Edit {}", o.id)}
                                            </button>
                                            <button
                                                type="button"
                                                class="button button-small button-danger"
                                                disabled=move || busy.get()
                                                on:click=move |_| remove(id.clone())
                                            >
                                                {format!("Remove {}", o.id)}
                                            </button>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_go_where_their_ids_say() {
        assert_eq!(
            target("provider", &json!({"slug": "acme"})).as_deref(),
            Ok("/admin/catalog/providers/acme")
        );
        assert_eq!(
            target("model", &json!({"id": "acme/chat-1"})).as_deref(),
            Ok("/admin/catalog/models/acme/chat-1")
        );
        assert!(target("model", &json!({"id": "nochat"})).is_err());
        assert!(target("provider", &json!({})).is_err());
        assert_eq!(
            delete_path("model:acme/chat-1").as_deref(),
            Some("/admin/catalog/models/acme/chat-1")
        );
        assert_eq!(
            delete_path("provider:acme").as_deref(),
            Some("/admin/catalog/providers/acme")
        );
        assert_eq!(delete_path("other"), None);
    }
}
