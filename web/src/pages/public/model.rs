//! `/models/{author}/{slug}`: one model, its endpoints per provider with prices and the
//! health board's latency, throughput and uptime.

use api_types::catalog::{ListEndpointsResponse, PublicEndpoint};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::code::CodeTabs;
use crate::components::status::{Empty, Failure, Loading};
use crate::money::{price_per_million, tokens};

#[component]
pub fn ModelPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        let params = params.read();
        format!(
            "{}/{}",
            params.get("author").unwrap_or_default(),
            params.get("slug").unwrap_or_default()
        )
    };
    let model = LocalResource::new(move || {
        let id = id();
        async move { api::get::<ListEndpointsResponse>(&format!("/models/{id}/endpoints")).await }
    });

    view! {
        <Title text=id />
        <p class="crumbs">
            <A href="/models">"← All models"</A>
        </p>
        <h1 class="mono-title">{id}</h1>
        <Suspense fallback=|| view! { <Loading label="Loading the model…" /> }>
            {move || {
                model
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(found) => {
                            let data = found.data;
                            let context = data.endpoints.iter().map(|e| e.context_length).max();
                            let model_id = data.id.clone();
                            view! {
                                <h2 class="model-name">{data.name.clone()}</h2>
                                <p class="lead">{data.description.clone()}</p>
                                <dl class="facts">
                                    <dt>"Context"</dt>
                                    <dd>{context.map(tokens).unwrap_or_else(|| "—".into())}" tokens"</dd>
                                    <dt>"Input"</dt>
                                    <dd>{data.architecture.input_modalities.join(", ")}</dd>
                                    <dt>"Output"</dt>
                                    <dd>{data.architecture.output_modalities.join(", ")}</dd>
                                </dl>
                                <h2>"Providers"</h2>
                                <EndpointTable endpoints=data.endpoints />
                                <h2>"Use it"</h2>
                                <CodeTabs model=model_id label="Code samples for this model" />
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v:.1} %"))
}

#[component]
fn EndpointTable(endpoints: Vec<PublicEndpoint>) -> impl IntoView {
    if endpoints.is_empty() {
        return view! {
            <Empty>
                <p>"No provider serves this model right now."</p>
            </Empty>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Providers">
                <thead>
                    <tr>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"Context"</th>
                        <th scope="col">"Input / M"</th>
                        <th scope="col">"Output / M"</th>
                        <th scope="col">"Latency (p50)"</th>
                        <th scope="col">"Throughput (p50)"</th>
                        <th scope="col">"Uptime (30 min)"</th>
                    </tr>
                </thead>
                <tbody>
                    {endpoints
                        .into_iter()
                        .map(|e| {
                            view! {
                                <tr>
                                    <td>{e.provider_name.clone()}</td>
                                    <td>{tokens(e.context_length)}</td>
                                    <td>{price_per_million(&e.pricing.prompt)}</td>
                                    <td>{price_per_million(&e.pricing.completion)}</td>
                                    <td>
                                        {e.latency_last_30m.map_or_else(|| "—".into(), |l| format!("{:.0} ms", l.p50))}
                                    </td>
                                    <td>
                                        {e.throughput_last_30m.map_or_else(|| "—".into(), |t| format!("{:.0} tok/s", t.p50))}
                                    </td>
                                    <td>{percent(e.uptime_last_30m)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <p class="muted small">"Latency is the time to the first token; “—” until this server has seen traffic."</p>
    }
    .into_any()
}
