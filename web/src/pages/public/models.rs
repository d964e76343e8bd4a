//! `/models`: the catalog, with search, filters and sorting, prices per million tokens.

use std::cmp::Reverse;

use api_types::catalog::{ModelView, ModelsListResponse};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api;
use crate::components::status::{Empty, Failure, Loading};
use crate::money::{per_million_value, price_per_million, tokens};

/// How the list is ordered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sort {
    Name,
    Newest,
    Context,
    PriceLow,
    PriceHigh,
}

impl Sort {
    const ALL: [(Sort, &'static str, &'static str); 5] = [
        (Sort::Name, "name", "Name"),
        (Sort::Newest, "newest", "Newest"),
        (Sort::Context, "context", "Longest context"),
        (Sort::PriceLow, "price-low", "Price: low to high"),
        (Sort::PriceHigh, "price-high", "Price: high to low"),
    ];

    fn parse(value: &str) -> Sort {
        Sort::ALL
            .iter()
            .find(|(_, v, _)| *v == value)
            .map_or(Sort::Name, |(s, _, _)| *s)
    }
}

/// The filters a visitor sets.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    search: String,
    author: String,
    modality: String,
    min_context: u64,
    /// Largest input price per million tokens (exclusive of free-only "0").
    max_price: Option<f64>,
}

fn author_of(model: &ModelView) -> &str {
    model.id.split('/').next().unwrap_or_default()
}

fn prompt_price(model: &ModelView) -> f64 {
    per_million_value(&model.pricing.prompt)
}

fn keep(model: &ModelView, f: &Filters) -> bool {
    let search = f.search.trim().to_lowercase();
    (search.is_empty()
        || model.id.to_lowercase().contains(&search)
        || model.name.to_lowercase().contains(&search)
        || model.description.to_lowercase().contains(&search))
        && (f.author.is_empty() || author_of(model) == f.author)
        && (f.modality.is_empty() || model.architecture.input_modalities.contains(&f.modality))
        && model.context_length.unwrap_or(0) >= f.min_context
        && f.max_price.is_none_or(|max| prompt_price(model) <= max)
}

fn sorted(mut models: Vec<ModelView>, sort: Sort) -> Vec<ModelView> {
    let price = |m: &ModelView| prompt_price(m) + per_million_value(&m.pricing.completion);
    match sort {
        Sort::Name => models.sort_by_key(|m| m.name.to_lowercase()),
        Sort::Newest => models.sort_by_key(|m| Reverse(m.created)),
        Sort::Context => models.sort_by_key(|m| Reverse(m.context_length)),
        Sort::PriceLow => models.sort_by(|a, b| price(a).total_cmp(&price(b))),
        Sort::PriceHigh => models.sort_by(|a, b| price(b).total_cmp(&price(a))),
    }
    models
}

fn event_value(ev: &leptos::ev::Event) -> String {
    event_target_value(ev)
}

#[component]
pub fn Models() -> impl IntoView {
    let catalog = LocalResource::new(|| api::get::<ModelsListResponse>("/models"));
    let filters = RwSignal::new(Filters::default());
    let sort = RwSignal::new(Sort::Name);

    let authors = move || {
        let mut authors: Vec<String> = catalog
            .get()
            .and_then(Result::ok)
            .map(|list| list.data.iter().map(|m| author_of(m).to_owned()).collect())
            .unwrap_or_default();
        authors.sort();
        authors.dedup();
        authors
    };

    view! {
        <Title text="Models" />
        <h1>"Models"</h1>
        <p class="muted">"Every model this gateway serves. Prices are USD per million tokens."</p>
        <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="model-search">"Search"</label>
                <input
                    id="model-search"
                    type="search"
                    placeholder="Name, id or description"
                    on:input=move |ev| filters.update(|f| f.search = event_value(&ev))
                />
            </div>
            <div class="field">
                <label for="model-author">"Author"</label>
                <select
                    id="model-author"
                    on:change=move |ev| filters.update(|f| f.author = event_value(&ev))
                >
                    <option value="">"All authors"</option>
                    {move || {
                        authors()
                            .into_iter()
                            .map(|a| view! { <option value=a.clone()>{a.clone()}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            <div class="field">
                <label for="model-modality">"Input"</label>
                <select
                    id="model-modality"
                    on:change=move |ev| filters.update(|f| f.modality = event_value(&ev))
                >
                    <option value="">"Any input"</option>
                    <option value="text">"Text"</option>
                    <option value="image">"Images"</option>
                    <option value="audio">"Audio"</option>
                    <option value="file">"Files"</option>
                </select>
            </div>
            <div class="field">
                <label for="model-context">"Context length"</label>
                <select
                    id="model-context"
                    on:change=move |ev| {
                        filters.update(|f| f.min_context = event_value(&ev).parse().unwrap_or(0))
                    }
                >
                    <option value="0">"Any length"</option>
                    <option value="32000">"32K or more"</option>
                    <option value="128000">"128K or more"</option>
                    <option value="1000000">"1M or more"</option>
                </select>
            </div>
            <div class="field">
                <label for="model-price">"Input price"</label>
                <select
                    id="model-price"
                    on:change=move |ev| {
                        filters.update(|f| f.max_price = event_value(&ev).parse().ok())
                    }
                >
                    <option value="">"Any price"</option>
                    <option value="0">"Free"</option>
                    <option value="1">"Up to $1 / M"</option>
                    <option value="5">"Up to $5 / M"</option>
                </select>
            </div>
            <div class="field">
                <label for="model-sort">"Sort by"</label>
                <select id="model-sort" on:change=move |ev| sort.set(Sort::parse(&event_value(&ev)))>
                    {Sort::ALL
                        .iter()
                        .map(|(_, value, label)| view! { <option value=*value>{*label}</option> })
                        .collect_view()}
                </select>
            </div>
        </form>
        <Suspense fallback=|| view! { <Loading label="Loading models…" /> }>
            {move || {
                catalog
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(list) => {
                            let shown = sorted(
                                list.data.into_iter().filter(|m| keep(m, &filters.read())).collect(),
                                sort.get(),
                            );
                            let total = list.total_count;
                            view! { <ModelTable models=shown total /> }.into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn ModelTable(models: Vec<ModelView>, total: usize) -> impl IntoView {
    if models.is_empty() {
        return view! {
            <Empty>
                <p>"No model matches these filters."</p>
            </Empty>
        }
        .into_any();
    }
    let count = models.len();
    view! {
        <p class="muted" role="status" data-testid="model-count">
            {format!("{count} of {total} models")}
        </p>
        <div class="table-wrap">
            <table class="table" aria-label="Models">
                <thead>
                    <tr>
                        <th scope="col">"Model"</th>
                        <th scope="col">"Context"</th>
                        <th scope="col">"Input / M"</th>
                        <th scope="col">"Output / M"</th>
                        <th scope="col">"Input modalities"</th>
                    </tr>
                </thead>
                <tbody>
                    {models
                        .into_iter()
                        .map(|m| {
                            let href = format!("/models/{}", m.id);
                            view! {
                                <tr>
                                    <td>
                                        <A href=href>{m.name.clone()}</A>
                                        <div class="muted small mono">{m.id.clone()}</div>
                                    </td>
                                    <td>{m.context_length.map(tokens).unwrap_or_else(|| "—".into())}</td>
                                    <td>{price_per_million(&m.pricing.prompt)}</td>
                                    <td>{price_per_million(&m.pricing.completion)}</td>
                                    <td>{m.architecture.input_modalities.join(", ")}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
