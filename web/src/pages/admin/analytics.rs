//! `/admin/analytics`: the whole platform over a range of UTC days: credit bought, revenue
//! (purchase and BYOK fees), spend, requests and error rates by provider (an SVG chart and a
//! table), and the organizations that spent most.

use api_types::Usd;
use api_types::analytics::{MetricValue, Metrics, PlatformAnalytics, PlatformAnalyticsResponse};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api;
use crate::components::chart::{Bar, BarChart};
use crate::components::status::{Empty, Failure, Loading};
use crate::money::{usd, usd_cost};

/// A metric's figure as a number, whichever way the JSON number was read (an untagged
/// [`MetricValue`] reads `0.25` as `Usd` and `0` as `Int`), for counts, rates and
/// milliseconds; money goes through [`usd`] on its exact nanos instead.
fn number(metrics: &Metrics, name: &str) -> Option<f64> {
    match metrics.get(name)? {
        MetricValue::Int(n) => Some(*n as f64),
        MetricValue::Usd(v) => Some(v.as_f64()),
        MetricValue::Ratio(r) => Some(*r),
        MetricValue::Null => None,
    }
}

/// A metric as a person reads it, by what the metric is.
fn figure(metrics: &Metrics, name: &str) -> String {
    let dash = || "–".to_owned();
    match name {
        "spend" | "byok_usage" => match metrics.get(name) {
            Some(MetricValue::Usd(v)) => usd(*v),
            Some(MetricValue::Int(n)) => usd(Usd::from_nanos(n.saturating_mul(1_000_000_000))),
            _ => dash(),
        },
        "error_rate" => number(metrics, name).map_or_else(dash, |r| format!("{:.1} %", r * 100.0)),
        _ if name.starts_with("latency") || name.starts_with("ttft") => {
            number(metrics, name).map_or_else(dash, |ms| format!("{} ms", ms.round()))
        }
        _ => number(metrics, name).map_or_else(dash, |n| format!("{}", n.round())),
    }
}

/// Spend in nanodollars, for the bars' heights.
fn spend_nanos(metrics: &Metrics) -> i64 {
    match metrics.get("spend") {
        Some(MetricValue::Usd(v)) => v.to_nanos(),
        Some(MetricValue::Int(n)) => n.saturating_mul(1_000_000_000),
        _ => 0,
    }
}

/// A spend to six decimals when it is under a cent (tests and small platforms), else cents.
fn spend_text(metrics: &Metrics) -> String {
    match metrics.get("spend") {
        Some(MetricValue::Usd(v)) if v.to_nanos().abs() < 10_000_000 => usd_cost(*v),
        _ => figure(metrics, "spend"),
    }
}

#[component]
pub fn AdminAnalytics() -> impl IntoView {
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let range = RwSignal::new((String::new(), String::new()));
    let data = LocalResource::new(move || {
        let (start, end) = range.get();
        async move {
            let query = api::query_string(&[("start", &start), ("end", &end)]);
            let path = if query.is_empty() {
                "/admin/analytics".to_owned()
            } else {
                format!("/admin/analytics?{query}")
            };
            api::get::<PlatformAnalyticsResponse>(&path).await
        }
    });
    let show = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        range.set((start.get_untracked(), end.get_untracked()));
    };
    view! {
        <Title text="Platform analytics · Admin" />
        <h1>"Platform analytics"</h1>
        <form class="form form-inline" on:submit=show aria-label="Range">
            <div class="field">
                <label for="platform-start">"From (UTC day)"</label>
                <input
                    id="platform-start"
                    type="date"
                    prop:value=move || start.get()
                    on:input=move |ev| start.set(event_target_value(&ev))
                />
            </div>
            <div class="field">
                <label for="platform-end">"To (UTC day, included)"</label>
                <input
                    id="platform-end"
                    type="date"
                    prop:value=move || end.get()
                    on:input=move |ev| end.set(event_target_value(&ev))
                />
            </div>
            <button type="submit" class="button">"Show range"</button>
        </form>
        <p class="muted small">"Empty dates: the last 30 days."</p>
        <Suspense fallback=|| view! { <Loading label="Loading platform analytics…" /> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(reply) => view! { <Figures data=reply.data /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn Figures(data: PlatformAnalytics) -> impl IntoView {
    let period = format!(
        "{} to {} (UTC)",
        data.start.format("%Y-%m-%d"),
        (data.end - chrono::Duration::days(1)).format("%Y-%m-%d")
    );
    let bars: Vec<Bar> = data
        .providers
        .iter()
        .map(|p| Bar {
            label: p.dimensions.get("provider").cloned().unwrap_or_default(),
            value: spend_nanos(&p.metrics),
            text: spend_text(&p.metrics),
        })
        .collect();
    let no_traffic = data.providers.is_empty();
    view! {
        <section class="card" aria-labelledby="platform-totals">
            <h2 id="platform-totals">{format!("Totals, {period}")}</h2>
            <dl class="facts">
                <dt>"Credit bought"</dt>
                <dd>{usd(data.purchases)}</dd>
                <dt>"Revenue (fees)"</dt>
                <dd>{usd(data.fees)}</dd>
                <dt>"Spend"</dt>
                <dd>{spend_text(&data.overall)}</dd>
                <dt>"Requests"</dt>
                <dd>{figure(&data.overall, "requests")}</dd>
                <dt>"Error rate"</dt>
                <dd>{figure(&data.overall, "error_rate")}</dd>
                <dt>"Latency (median)"</dt>
                <dd>{figure(&data.overall, "latency_p50")}</dd>
            </dl>
        </section>
        <section aria-labelledby="platform-providers">
            <h2 id="platform-providers">"By provider"</h2>
            {if no_traffic {
                view! {
                    <Empty>
                        <p>"No requests in this range."</p>
                    </Empty>
                }
                    .into_any()
            } else {
                view! {
                    <BarChart id="platform-spend" title="Spend by provider".to_owned() bars />
                    <div class="table-wrap">
                        <table class="table" aria-label="Providers">
                            <thead>
                                <tr>
                                    <th scope="col">"Provider"</th>
                                    <th scope="col">"Spend"</th>
                                    <th scope="col">"Requests"</th>
                                    <th scope="col">"Errors"</th>
                                    <th scope="col">"Error rate"</th>
                                    <th scope="col">"Latency p50"</th>
                                    <th scope="col">"Latency p99"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {data
                                    .providers
                                    .iter()
                                    .map(|p| {
                                        let m = &p.metrics;
                                        view! {
                                            <tr>
                                                <th scope="row">
                                                    {p.dimensions.get("provider").cloned().unwrap_or_default()}
                                                </th>
                                                <td>{spend_text(m)}</td>
                                                <td>{figure(m, "requests")}</td>
                                                <td>{figure(m, "errors")}</td>
                                                <td>{figure(m, "error_rate")}</td>
                                                <td>{figure(m, "latency_p50")}</td>
                                                <td>{figure(m, "latency_p99")}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
        <section aria-labelledby="platform-orgs">
            <h2 id="platform-orgs">"Top organizations"</h2>
            {if data.top_organizations.is_empty() {
                view! {
                    <Empty>
                        <p>"No organization spent anything in this range."</p>
                    </Empty>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" aria-label="Top organizations">
                            <thead>
                                <tr>
                                    <th scope="col">"Organization"</th>
                                    <th scope="col">"Spend"</th>
                                    <th scope="col">"Requests"</th>
                                    <th scope="col">"Error rate"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {data
                                    .top_organizations
                                    .iter()
                                    .map(|o| {
                                        let id = o.dimensions.get("organization").cloned().unwrap_or_default();
                                        view! {
                                            <tr>
                                                <th scope="row">
                                                    <a class="mono small" href=format!("/admin/organizations/{id}")>
                                                        {id.clone()}
                                                    </a>
                                                </th>
                                                <td>{spend_text(&o.metrics)}</td>
                                                <td>{figure(&o.metrics, "requests")}</td>
                                                <td>{figure(&o.metrics, "error_rate")}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_write_them() {
        // As the API writes them, read as the page reads them.
        let metrics: Metrics = serde_json::from_str(
            r#"{"spend": 0.001234, "requests": 12, "error_rate": 0.25, "latency_p50": 140,
                "latency_p99": null, "byok_usage": 3}"#,
        )
        .unwrap();
        assert_eq!(spend_text(&metrics), "$0.001234");
        assert_eq!(spend_nanos(&metrics), 1_234_000);
        assert_eq!(figure(&metrics, "requests"), "12");
        assert_eq!(figure(&metrics, "error_rate"), "25.0 %");
        assert_eq!(figure(&metrics, "latency_p50"), "140 ms");
        assert_eq!(figure(&metrics, "latency_p99"), "–");
        assert_eq!(figure(&metrics, "errors"), "–");
        assert_eq!(figure(&metrics, "byok_usage"), "$3.00");
        let none: Metrics = serde_json::from_str(r#"{"error_rate": 0}"#).unwrap();
        assert_eq!(figure(&none, "error_rate"), "0.0 %");
    }
}
