//! `/app/activity`: what the organization's requests cost and did. A chart of spend, requests
//! or tokens over a chosen range, with the totals by model, key, provider or app (from
//! `POST /analytics/query`), then the generations themselves ([`generations`]).

mod generations;

use std::collections::BTreeMap;

use api_types::Usd;
use api_types::analytics::{AnalyticsQuery, AnalyticsResponse, AnalyticsResult, MetricValue};
use api_types::keys::KeyList;
use chrono::{DateTime, Duration, DurationRound, Utc};
use leptos::prelude::*;
use leptos_meta::Title;

use super::layout::{org_resource, use_session};
use crate::api::{self, ApiFailure};
use crate::components::chart::{Bar, BarChart};
use crate::components::status::{Empty, Failure, Loading};
use crate::money::usd_cost;

/// The ranges a person picks from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    Day,
    Week,
    Month,
}

impl Range {
    pub const ALL: [Range; 3] = [Range::Day, Range::Week, Range::Month];

    pub fn value(self) -> &'static str {
        match self {
            Range::Day => "24h",
            Range::Week => "7d",
            Range::Month => "30d",
        }
    }

    pub fn parse(value: &str) -> Range {
        Range::ALL
            .into_iter()
            .find(|r| r.value() == value)
            .unwrap_or(Range::Week)
    }

    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "Last 24 hours (hourly)",
            Range::Week => "Last 7 days (daily)",
            Range::Month => "Last 30 days (daily)",
        }
    }

    fn granularity(self) -> &'static str {
        match self {
            Range::Day => "hour",
            Range::Week | Range::Month => "day",
        }
    }

    fn step(self) -> Duration {
        match self {
            Range::Day => Duration::hours(1),
            Range::Week | Range::Month => Duration::days(1),
        }
    }

    /// The periods of the range ending with the one holding `now`, oldest first.
    pub fn periods(self, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let count = match self {
            Range::Day => 24,
            Range::Week => 7,
            Range::Month => 30,
        };
        let step = self.step();
        let current = now.duration_trunc(step).unwrap_or(now);
        (0..count).rev().map(|i| current - step * i).collect()
    }

    fn period_label(self, time: DateTime<Utc>) -> String {
        match self {
            Range::Day => time.format("%H:00").to_string(),
            Range::Week | Range::Month => time.format("%b %-d").to_string(),
        }
    }
}

/// What the chart measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Spend,
    Requests,
    Tokens,
}

impl Measure {
    pub const ALL: [Measure; 3] = [Measure::Spend, Measure::Requests, Measure::Tokens];

    pub fn value(self) -> &'static str {
        match self {
            Measure::Spend => "spend",
            Measure::Requests => "requests",
            Measure::Tokens => "tokens",
        }
    }

    pub fn parse(value: &str) -> Measure {
        Measure::ALL
            .into_iter()
            .find(|m| m.value() == value)
            .unwrap_or(Measure::Spend)
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::Spend => "Spend",
            Measure::Requests => "Requests",
            Measure::Tokens => "Tokens",
        }
    }

    /// The API's metrics summed into this measure.
    fn metrics(self) -> &'static [&'static str] {
        match self {
            Measure::Spend => &["spend"],
            Measure::Requests => &["requests"],
            Measure::Tokens => &["prompt_tokens", "completion_tokens"],
        }
    }

    /// The measure in integers: nanodollars for spend (exact), counts otherwise.
    pub fn amount(self, metrics: &BTreeMap<String, MetricValue>) -> i64 {
        self.metrics()
            .iter()
            .filter_map(|name| metrics.get(*name))
            .map(|value| match (self, value) {
                (Measure::Spend, MetricValue::Usd(usd)) => usd.to_nanos(),
                // A whole number of dollars reads as an integer.
                (Measure::Spend, MetricValue::Int(n)) => n.saturating_mul(1_000_000_000),
                (_, MetricValue::Int(n)) => *n,
                (_, MetricValue::Usd(usd)) => usd.to_nanos() / 1_000_000_000,
                _ => 0,
            })
            .sum()
    }

    pub fn text(self, amount: i64) -> String {
        match self {
            Measure::Spend => usd_cost(Usd::from_nanos(amount)),
            Measure::Requests | Measure::Tokens => amount.to_string(),
        }
    }
}

/// The dimension the totals are split by.
pub const GROUPS: [(&str, &str); 4] = [
    ("model", "Model"),
    ("key", "API key"),
    ("provider", "Provider"),
    ("app", "App"),
];

fn group_label(group: &str) -> &'static str {
    GROUPS
        .iter()
        .find(|(value, _)| *value == group)
        .map_or("Model", |(_, label)| label)
}

/// The query behind the chart and the totals.
pub fn analytics_query(
    range: Range,
    measure: Measure,
    group: &str,
    now: DateTime<Utc>,
) -> AnalyticsQuery {
    let periods = range.periods(now);
    let start = periods.first().copied().unwrap_or(now);
    let end = periods.last().copied().unwrap_or(now) + range.step();
    AnalyticsQuery {
        metrics: measure.metrics().iter().map(|m| m.to_string()).collect(),
        dimensions: vec![group.to_owned()],
        filters: BTreeMap::new(),
        granularity: Some(range.granularity().into()),
        start,
        end,
        limit: Some(20),
        order_by: None,
        compare_previous: false,
    }
}

/// One bar per period of the range (periods without requests are zero).
pub fn bars(range: Range, measure: Measure, result: &AnalyticsResult) -> Vec<Bar> {
    let mut per_period: BTreeMap<DateTime<Utc>, i64> = BTreeMap::new();
    for point in &result.series {
        *per_period.entry(point.time).or_default() += measure.amount(&point.metrics);
    }
    range
        .periods(result.end - range.step())
        .into_iter()
        .map(|time| {
            let value = per_period.get(&time).copied().unwrap_or(0);
            Bar {
                label: range.period_label(time),
                value,
                text: measure.text(value),
            }
        })
        .collect()
}

/// The browser's clock (the server renders no figures, so it never needs one).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(api::now_ms() as i64).unwrap_or_default()
}

#[component]
pub fn Activity() -> impl IntoView {
    let session = use_session();
    let range = RwSignal::new(Range::Week);
    let measure = RwSignal::new(Measure::Spend);
    let group = RwSignal::new("model".to_string());
    let keys = org_resource::<KeyList>(|| "/keys?include_disabled=true".into());
    // The answer carries the settings it was asked with, so the chart never pairs an answer
    // with settings changed since.
    let analytics = LocalResource::new(move || {
        session.org.track();
        let (range, measure, group) = (range.get(), measure.get(), group.get());
        let query = analytics_query(range, measure, &group, now());
        async move {
            api::post::<_, AnalyticsResponse>("/analytics/query", &query)
                .await
                .map(|answer| (answer.data, range, measure, group))
        }
    });

    view! {
        <Title text="Activity" />
        <h1>"Activity"</h1>
        <p class="muted">
            "What this organization's requests cost, how many there were and the tokens they used."
        </p>
        <form class="form form-inline" aria-label="Chart settings" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="activity-range">"Range"</label>
                <select
                    id="activity-range"
                    on:change=move |ev| range.set(Range::parse(&event_target_value(&ev)))
                >
                    {Range::ALL
                        .into_iter()
                        .map(|r| {
                            view! {
                                <option value=r.value() selected=move || range.get() == r>
                                    {r.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="activity-measure">"Show"</label>
                <select
                    id="activity-measure"
                    on:change=move |ev| measure.set(Measure::parse(&event_target_value(&ev)))
                >
                    {Measure::ALL
                        .into_iter()
                        .map(|m| {
                            view! {
                                <option value=m.value() selected=move || measure.get() == m>
                                    {m.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="activity-group">"By"</label>
                <select id="activity-group" on:change=move |ev| group.set(event_target_value(&ev))>
                    {GROUPS
                        .into_iter()
                        .map(|(value, label)| {
                            view! {
                                <option value=value selected=move || *group.read() == value>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
        </form>
        <Suspense fallback=|| view! { <Loading label="Loading the chart…" /> }>
            {move || {
                analytics
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok((answer, range, measure, group)) => {
                            view! { <Figures answer range measure group keys /> }.into_any()
                        }
                    })
            }}
        </Suspense>
        <generations::Generations keys />
    }
}

/// The chart and the totals table of one answer.
#[component]
fn Figures(
    answer: AnalyticsResult,
    range: Range,
    measure: Measure,
    group: String,
    keys: LocalResource<Result<KeyList, ApiFailure>>,
) -> impl IntoView {
    let title = format!("{} per {}, {}", measure.label(), range.granularity(), {
        let label = range.label();
        label.split(" (").next().unwrap_or(label).to_lowercase()
    });
    let bars = bars(range, measure, &answer);
    let by = group_label(&group);
    let totals_label = format!("{} by {}", measure.label(), by.to_lowercase());
    let rows = answer
        .totals
        .iter()
        .map(|total| {
            let value = total.dimensions.get(&group).cloned().unwrap_or_default();
            (value, measure.amount(&total.metrics))
        })
        .collect::<Vec<_>>();
    let group_name = group.clone();
    view! {
        <section class="card" aria-label="Chart">
            <BarChart id="activity-chart" title bars />
        </section>
        {if rows.is_empty() {
            view! {
                <Empty>
                    <p>"No requests in this range yet."</p>
                </Empty>
            }
                .into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="table" aria-label=totals_label>
                        <thead>
                            <tr>
                                <th scope="col">{by}</th>
                                <th scope="col">{measure.label()}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|(value, amount)| {
                                    let group = group_name.clone();
                                    view! {
                                        <tr>
                                            <td>{move || dimension_name(&group, &value, keys)}</td>
                                            <td>{measure.text(amount)}</td>
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
    }
}

/// A dimension value as a person knows it: a key by its name, none as "(none)".
pub fn dimension_name(
    group: &str,
    value: &str,
    keys: LocalResource<Result<KeyList, ApiFailure>>,
) -> String {
    if value.is_empty() {
        return "(none)".into();
    }
    if group == "key" {
        return key_name(value, keys);
    }
    value.to_owned()
}

/// The organization's key with this hash, by name (a deleted key by the start of its hash).
pub fn key_name(hash: &str, keys: LocalResource<Result<KeyList, ApiFailure>>) -> String {
    keys.get()
        .and_then(Result::ok)
        .and_then(|list| list.data.into_iter().find(|k| k.hash == hash))
        .map(|k| k.name)
        .unwrap_or_else(|| format!("Key {}…", hash.get(..8).unwrap_or(hash)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::analytics::SeriesPoint;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn ranges_end_with_the_current_period() {
        let now = at("2026-12-06T03:50:29Z");
        let days = Range::Week.periods(now);
        assert_eq!(days.len(), 7);
        assert_eq!(days[6], at("2026-12-06T00:00:00Z"));
        assert_eq!(days[0], at("2026-11-30T00:00:00Z"));
        let hours = Range::Day.periods(now);
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[23], at("2026-12-06T03:00:00Z"));
        let query = analytics_query(Range::Week, Measure::Tokens, "model", now);
        assert_eq!(query.start, at("2026-11-30T00:00:00Z"));
        assert_eq!(query.end, at("2026-12-07T00:00:00Z"));
        assert_eq!(query.metrics, ["prompt_tokens", "completion_tokens"]);
        assert_eq!(query.granularity.as_deref(), Some("day"));
    }

    #[test]
    fn bars_sum_the_dimensions_of_each_period_exactly() {
        let point = |time: &str, model: &str, nanos: i64| SeriesPoint {
            time: at(time),
            dimensions: BTreeMap::from([("model".to_string(), model.to_string())]),
            metrics: BTreeMap::from([(
                "spend".to_string(),
                MetricValue::Usd(Usd::from_nanos(nanos)),
            )]),
        };
        let result = AnalyticsResult {
            granularity: "day".into(),
            start: at("2026-11-30T00:00:00Z"),
            end: at("2026-12-07T00:00:00Z"),
            series: vec![
                point("2026-12-05T00:00:00Z", "a", 100_000),
                point("2026-12-05T00:00:00Z", "b", 200_000),
                point("2026-12-06T00:00:00Z", "a", 1_500),
            ],
            totals: vec![],
        };
        let bars = bars(Range::Week, Measure::Spend, &result);
        assert_eq!(bars.len(), 7);
        assert_eq!(bars[0].label, "Nov 30");
        assert_eq!(bars[5].value, 300_000);
        assert_eq!(bars[5].text, "$0.000300");
        assert_eq!(bars[6].text, "$0.000002");
        assert_eq!(bars[1].text, "$0.000000");
    }
}
