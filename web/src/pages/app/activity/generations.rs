//! The generations of `/app/activity`: the filtered list (`GET /generations`, newest first,
//! a page at a time by cursor), one generation's detail, and the CSV export of the filtered
//! list (`GET /generations/export`).

use api_types::analytics::{GenerationPage, GenerationSummary};
use api_types::keys::KeyList;
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::key_name;
use crate::api::{self, API_BASE, ApiFailure};
use crate::bind;
use crate::components::field::{Kind, SelectField, TextField};
use crate::components::status::{Empty, Failure, FormError, Loading};
use crate::money::usd_cost;

/// Rows per page.
const PER_PAGE: &str = "25";

/// The filters as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub model: String,
    /// An API key's hash, or empty for every key.
    pub key: String,
    pub provider: String,
    /// `success`, `error`, `cancelled` or empty.
    pub status: String,
    /// `YYYY-MM-DD`, from the start of that UTC day.
    pub from: String,
    /// `YYYY-MM-DD`, to the end of that UTC day.
    pub to: String,
}

impl Filters {
    /// The filters as the API's query parameters, or what to fix.
    pub fn params(&self) -> Result<Vec<(&'static str, String)>, String> {
        let day = |text: &str, which: &str| -> Result<Option<NaiveDate>, String> {
            match text.trim() {
                "" => Ok(None),
                t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| format!("Pick the {which} date from the calendar.")),
            }
        };
        let from = day(&self.from, "“from”")?;
        let to = day(&self.to, "“to”")?;
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err("The “to” date is before the “from” date.".into());
        }
        let midnight = |d: NaiveDate| format!("{}T00:00:00Z", d.format("%Y-%m-%d"));
        Ok([
            ("model", self.model.trim().to_owned()),
            ("api_key_hash", self.key.clone()),
            ("provider", self.provider.trim().to_owned()),
            ("status", self.status.clone()),
            ("start", from.map(midnight).unwrap_or_default()),
            // The API's end is exclusive: the day after "to".
            (
                "end",
                to.and_then(|d| d.succ_opt())
                    .map(midnight)
                    .unwrap_or_default(),
            ),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .collect())
    }
}

fn query(params: &[(&'static str, String)], extra: &[(&'static str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.extend_from_slice(extra);
    api::query_string(&pairs)
}

/// A generation's total latency: to the first token, then generating.
fn total_ms(g: &GenerationSummary) -> Option<i64> {
    Some(g.latency? + g.generation_time.unwrap_or(0))
}

fn ms(value: Option<i64>) -> String {
    value.map_or_else(|| "—".into(), |ms| format!("{ms} ms"))
}

#[component]
pub fn Generations(keys: LocalResource<Result<KeyList, ApiFailure>>) -> impl IntoView {
    let session = super::use_session();
    let form = RwSignal::new(Filters::default());
    let applied = RwSignal::new(Vec::<(&'static str, String)>::new());
    // The cursors of the pages before this one (to go back), and this page's.
    let cursors = RwSignal::new(Vec::<String>::new());
    let failure = RwSignal::new(None::<String>);
    let selected = RwSignal::new(None::<GenerationSummary>);
    let page = LocalResource::new(move || {
        session.org.track();
        let cursor = cursors.read().last().cloned().unwrap_or_default();
        let path = format!(
            "/generations?{}",
            query(
                &applied.read(),
                &[("per_page", PER_PAGE), ("before", &cursor)]
            )
        );
        async move { api::get::<GenerationPage>(&path).await }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match form.read_untracked().params() {
            Ok(params) => {
                failure.set(None);
                selected.set(None);
                cursors.set(Vec::new());
                applied.set(params);
            }
            Err(message) => failure.set(Some(message)),
        }
    };
    let clear = move |_| {
        form.set(Filters::default());
        failure.set(None);
        cursors.set(Vec::new());
        applied.set(Vec::new());
    };
    let export_path = move || format!("/generations/export?{}", query(&applied.read(), &[]));
    let export_error = RwSignal::new(None::<String>);
    let export = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let path = export_path();
        spawn_local(async move {
            match api::download(&path, "generations.csv").await {
                Ok(()) => export_error.set(None),
                Err(err) => export_error.set(Some(err.message)),
            }
        });
    };

    view! {
        <h2>"Generations"</h2>
        <form class="form form-inline card" aria-label="Filter generations" on:submit=apply>
            <TextField
                id="gen-model"
                label="Model"
                placeholder="e.g. openai/gpt-4o-mini"
                bind=bind!(form.model)
            />
            <SelectField
                id="gen-key"
                label="API key"
                bind=bind!(form.key)
            >
                <option value="">"Any key"</option>
                {move || {
                    keys.get()
                        .and_then(Result::ok)
                        .map(|list| {
                            list.data
                                .into_iter()
                                .map(|k| view! { <option value=k.hash>{k.name}</option> })
                                .collect_view()
                        })
                }}
            </SelectField>
            <TextField
                id="gen-provider"
                label="Provider"
                placeholder="e.g. openai"
                bind=bind!(form.provider)
            />
            <SelectField
                id="gen-status"
                label="Status"
                bind=bind!(form.status)
            >
                <option value="">"Any status"</option>
                <option value="success">"Success"</option>
                <option value="error">"Error"</option>
                <option value="cancelled">"Cancelled"</option>
            </SelectField>
            <TextField
                id="gen-from"
                label="From (UTC)"
                kind=Kind::Date
                bind=bind!(form.from)
            />
            <TextField
                id="gen-to"
                label="To (UTC)"
                kind=Kind::Date
                bind=bind!(form.to)
            />
            <FormError message=failure />
            <button type="submit" class="button">"Apply filters"</button>
            <button type="button" class="button button-secondary" on:click=clear>
                "Clear filters"
            </button>
            <a
                class="button button-secondary"
                href=move || format!("{API_BASE}{}", export_path())
                download="generations.csv"
                on:click=export
            >
                "Export CSV"
            </a>
        </form>
        <FormError message=export_error />
        <Show when=move || selected.read().is_some()>
            <Detail selected keys />
        </Show>
        <Suspense fallback=|| view! { <Loading label="Loading generations…" /> }>
            {move || {
                page.get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(page) if page.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>"No generations match. Requests show here once they are made."</p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(page) => {
                            let next = page.next_before.clone();
                            view! {
                                <GenerationTable rows=page.data selected keys />
                                <div class="row-actions pager">
                                    <Show when=move || !cursors.read().is_empty()>
                                        <button
                                            type="button"
                                            class="button button-secondary"
                                            on:click=move |_| cursors.update(|c| { c.pop(); })
                                        >
                                            "Previous page"
                                        </button>
                                    </Show>
                                    {next.map(|cursor| {
                                        view! {
                                            <button
                                                type="button"
                                                class="button button-secondary"
                                                on:click=move |_| {
                                                    let cursor = cursor.clone();
                                                    cursors.update(|c| c.push(cursor));
                                                }
                                            >
                                                "Next page"
                                            </button>
                                        }
                                    })}
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
fn GenerationTable(
    rows: Vec<GenerationSummary>,
    selected: RwSignal<Option<GenerationSummary>>,
    keys: LocalResource<Result<KeyList, ApiFailure>>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Generations">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Generation"</th>
                        <th scope="col">"Model"</th>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Tokens"</th>
                        <th scope="col">"Cost"</th>
                        <th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|g| {
                            let hash = g.api_key_hash.clone();
                            let label = format!("Show generation {}", g.id);
                            let status_class = if g.status == "success" {
                                "badge badge-on"
                            } else {
                                "badge badge-off"
                            };
                            let shown = g.clone();
                            view! {
                                <tr>
                                    <td>{g.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                    <td class="mono small">{g.id.clone()}</td>
                                    <td>{g.model.clone()}</td>
                                    <td>{g.provider_name.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td>{move || key_name(&hash, keys)}</td>
                                    <td>
                                        <span class=status_class>{g.status.clone()}</span>
                                    </td>
                                    <td>{g.tokens_prompt + g.tokens_completion}</td>
                                    <td data-label="Cost">{usd_cost(g.total_cost)}</td>
                                    <td>
                                        <button
                                            type="button"
                                            class="button button-small button-secondary"
                                            aria-label=label
                                            on:click=move |_| selected.set(Some(shown.clone()))
                                        >
                                            "Show"
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
}

/// One generation's figures.
#[component]
fn Detail(
    selected: RwSignal<Option<GenerationSummary>>,
    keys: LocalResource<Result<KeyList, ApiFailure>>,
) -> impl IntoView {
    move || {
        selected.get().map(|g| {
            let tokens = if g.tokens_reasoning > 0 {
                format!(
                    "{} prompt + {} completion ({} reasoning)",
                    g.tokens_prompt, g.tokens_completion, g.tokens_reasoning
                )
            } else {
                format!(
                    "{} prompt + {} completion",
                    g.tokens_prompt, g.tokens_completion
                )
            };
            let cost = if g.is_byok {
                format!("{} (your provider key)", usd_cost(g.total_cost))
            } else {
                usd_cost(g.total_cost)
            };
            let hash = g.api_key_hash.clone();
            view! {
                <section class="card" role="region" aria-label="Generation details">
                    <h3 class="mono">{g.id.clone()}</h3>
                    <dl class="facts">
                        <dt>"Model"</dt>
                        <dd>{g.model.clone()}</dd>
                        <dt>"Provider"</dt>
                        <dd>{g.provider_name.clone().unwrap_or_else(|| "none".into())}</dd>
                        <dt>"Status"</dt>
                        <dd>
                            {match &g.error {
                                Some(error) => format!("{}: {error}", g.status),
                                None => g.status.clone(),
                            }}
                        </dd>
                        <dt>"Tokens"</dt>
                        <dd>{tokens}</dd>
                        <dt>"Cost"</dt>
                        <dd data-testid="generation-cost">{cost}</dd>
                        <dt>"Time to first token"</dt>
                        <dd>{ms(g.latency)}</dd>
                        <dt>"Latency (total)"</dt>
                        <dd>{ms(total_ms(&g))}</dd>
                        <dt>"API key"</dt>
                        <dd>{move || key_name(&hash, keys)}</dd>
                        <dt>"App"</dt>
                        <dd>{g.app.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Finish reason"</dt>
                        <dd>{g.finish_reason.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Streamed"</dt>
                        <dd>{if g.streamed { "yes" } else { "no" }}</dd>
                    </dl>
                    <button
                        type="button"
                        class="button button-small button-secondary"
                        on:click=move |_| selected.set(None)
                    >
                        "Close details"
                    </button>
                </section>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_the_apis_parameters() {
        let mut f = Filters::default();
        assert_eq!(f.params().unwrap(), vec![]);
        f.model = " openai/gpt-4o ".into();
        f.status = "error".into();
        f.from = "2026-12-01".into();
        f.to = "2026-12-05".into();
        assert_eq!(
            f.params().unwrap(),
            vec![
                ("model", "openai/gpt-4o".to_string()),
                ("status", "error".to_string()),
                ("start", "2026-12-01T00:00:00Z".to_string()),
                ("end", "2026-12-06T00:00:00Z".to_string()),
            ]
        );
        f.to = "2026-11-30".into();
        assert!(f.params().is_err());
        f.to = "yesterday".into();
        assert!(f.params().is_err());
    }
}
