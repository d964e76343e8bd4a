//! The analytics query (`POST /analytics/query`): validated into a [`Plan`], then answered
//! from the rollups: a series per period and dimension values, totals ranked by a metric and
//! cut to the top `limit`, and optionally the previous period's totals.

use std::collections::{BTreeMap, BTreeSet};

use api_types::analytics::{AnalyticsQuery, AnalyticsResult, SeriesPoint, Total};
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::analytics::{self, Columns, Dimension, Group, Metric, Over, Selection};
use super::rollup::{Period, RollupSums};

/// A query that cannot be answered, naming the field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct InvalidQuery(pub String);

fn invalid(message: impl Into<String>) -> InvalidQuery {
    InvalidQuery(message.into())
}

/// The longest range per period, in days.
pub fn max_days(period: Period) -> u32 {
    match period {
        Period::Hour => 31,
        Period::Day => 366,
    }
}

pub const MAX_METRICS: usize = 16;
pub const MAX_DIMENSIONS: usize = 2;
pub const MAX_FILTER_VALUES: usize = 100;
pub const MAX_LIMIT: u32 = 1_000;

/// A checked query.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub metrics: Vec<Metric>,
    pub dimensions: Vec<Dimension>,
    pub filters: Vec<(Dimension, Vec<String>)>,
    pub period: Period,
    /// Bucket range, Unix seconds, `[start, end)`.
    pub start: i64,
    pub end: i64,
    pub limit: usize,
    pub order_by: Metric,
    pub compare_previous: bool,
}

impl Plan {
    pub fn parse(query: &AnalyticsQuery) -> Result<Plan, InvalidQuery> {
        if query.metrics.is_empty() || query.metrics.len() > MAX_METRICS {
            return Err(invalid(format!("metrics: name 1 to {MAX_METRICS} metrics")));
        }
        let mut metrics = Vec::new();
        for name in &query.metrics {
            let metric = Metric::parse(name)
                .ok_or_else(|| invalid(format!("metrics: unknown metric {name:?}")))?;
            if !metrics.contains(&metric) {
                metrics.push(metric);
            }
        }
        if query.dimensions.len() > MAX_DIMENSIONS {
            return Err(invalid("dimensions: at most two"));
        }
        let mut dimensions = Vec::new();
        for name in &query.dimensions {
            let dimension = Dimension::parse(name)
                .ok_or_else(|| invalid(format!("dimensions: unknown dimension {name:?}")))?;
            if dimensions.contains(&dimension) {
                return Err(invalid(format!("dimensions: {name:?} named twice")));
            }
            dimensions.push(dimension);
        }
        let mut filters = Vec::new();
        for (name, values) in &query.filters {
            let dimension = Dimension::parse(name)
                .ok_or_else(|| invalid(format!("filters: unknown dimension {name:?}")))?;
            if values.is_empty() || values.len() > MAX_FILTER_VALUES {
                return Err(invalid(format!(
                    "filters.{name}: name 1 to {MAX_FILTER_VALUES} values"
                )));
            }
            if values.iter().any(|v| v.chars().count() > 1_000) {
                return Err(invalid(format!(
                    "filters.{name}: values are at most 1000 characters"
                )));
            }
            filters.push((dimension, values.clone()));
        }
        let period = match query.granularity.as_deref() {
            None | Some("day") => Period::Day,
            Some("hour") => Period::Hour,
            Some(other) => {
                return Err(invalid(format!(
                    "granularity: must be \"hour\" or \"day\", not {other:?}"
                )));
            }
        };
        let step = period.seconds();
        let start = period.bucket(query.start.timestamp());
        let end = period.bucket(query.end.timestamp() + step - 1);
        if query.end <= query.start {
            return Err(invalid("end: must be after start"));
        }
        let days = max_days(period);
        if end - start > i64::from(days) * 86_400 {
            return Err(invalid(format!(
                "end: the range may span at most {days} days at {} granularity",
                if period == Period::Hour {
                    "hour"
                } else {
                    "day"
                }
            )));
        }
        let limit = match query.limit {
            None => 100,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n as usize,
            Some(_) => return Err(invalid(format!("limit: must be from 1 to {MAX_LIMIT}"))),
        };
        let order_by = match query.order_by.as_deref() {
            None => metrics[0],
            Some(name) => Metric::parse(name)
                .ok_or_else(|| invalid(format!("order_by: unknown metric {name:?}")))?,
        };
        Ok(Plan {
            metrics,
            dimensions,
            filters,
            period,
            start,
            end,
            limit,
            order_by,
            compare_previous: query.compare_previous,
        })
    }

    /// The columns of the metrics asked for and the one ranked by.
    fn columns(&self) -> Columns {
        Columns::of(self.metrics.iter().chain(std::iter::once(&self.order_by)))
    }

    fn selection<'a>(&self, over: Over<'a>, start: i64, end: i64, series: bool) -> Selection<'a> {
        let bucket = series.then_some(Group::Bucket);
        Selection {
            over,
            period: self.period,
            start,
            end,
            filters: self.filters.clone(),
            group: bucket
                .into_iter()
                .chain(self.dimensions.iter().map(|d| Group::Dimension(*d)))
                .collect(),
            columns: self.columns(),
        }
    }

    fn named(&self, values: &[String]) -> BTreeMap<String, String> {
        self.dimensions
            .iter()
            .zip(values)
            .map(|(d, v)| (d.name().to_owned(), v.clone()))
            .collect()
    }
}

fn time(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).single().unwrap_or_default()
}

/// Answers a checked query.
pub async fn run(
    db: &impl ConnectionTrait,
    over: Over<'_>,
    plan: &Plan,
) -> Result<AnalyticsResult, DbErr> {
    let rows = analytics::read(db, &plan.selection(over, plan.start, plan.end, true)).await?;
    let totals = analytics::totals(&rows);
    let mut ranked: Vec<(&Vec<String>, &RollupSums)> = totals.iter().collect();
    // Descending by the metric; ties in dimension order (the map's), so the cut is stable.
    ranked.sort_by(|a, b| {
        let (ra, rb) = (
            Metric::rank(&plan.order_by.value(a.1)),
            Metric::rank(&plan.order_by.value(b.1)),
        );
        rb.total_cmp(&ra)
    });
    ranked.truncate(plan.limit);
    let kept: BTreeSet<&Vec<String>> = ranked.iter().map(|(k, _)| *k).collect();
    let previous = if plan.compare_previous {
        let length = plan.end - plan.start;
        let earlier = plan.selection(over, plan.start - length, plan.start, false);
        Some(analytics::totals(&analytics::read(db, &earlier).await?))
    } else {
        None
    };
    let series = rows
        .iter()
        .filter(|row| kept.contains(&row.groups))
        .map(|row| SeriesPoint {
            time: time(row.bucket.unwrap_or(plan.start)),
            dimensions: plan.named(&row.groups),
            metrics: analytics::metrics(&plan.metrics, &row.sums),
        })
        .collect();
    let empty = RollupSums::default();
    let totals = ranked
        .into_iter()
        .map(|(groups, sums)| Total {
            dimensions: plan.named(groups),
            metrics: analytics::metrics(&plan.metrics, sums),
            previous: previous.as_ref().map(|earlier| {
                analytics::metrics(&plan.metrics, earlier.get(groups).unwrap_or(&empty))
            }),
        })
        .collect();
    Ok(AnalyticsResult {
        granularity: match plan.period {
            Period::Hour => "hour",
            Period::Day => "day",
        }
        .into(),
        start: time(plan.start),
        end: time(plan.end),
        series,
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(json: serde_json::Value) -> Result<Plan, InvalidQuery> {
        Plan::parse(&serde_json::from_value(json).unwrap())
    }

    #[test]
    fn ranges_round_to_the_granularity_and_are_bounded() {
        let plan = query(
            serde_json::json!({"metrics": ["spend"], "granularity": "hour",
            "start": "2026-11-01T10:30:00Z", "end": "2026-11-01T12:00:01Z"}),
        )
        .unwrap();
        assert_eq!(plan.end - plan.start, 3 * 3600);
        let day = query(serde_json::json!({"metrics": ["spend"],
            "start": "2026-11-01T10:30:00Z", "end": "2026-11-02T00:00:00Z"}))
        .unwrap();
        assert_eq!(day.end - day.start, 86_400);
        let long = query(
            serde_json::json!({"metrics": ["spend"], "granularity": "hour",
            "start": "2026-10-01T00:00:00Z", "end": "2026-11-02T00:00:00Z"}),
        );
        assert!(long.unwrap_err().0.starts_with("end:"));
        let backwards = query(serde_json::json!({"metrics": ["spend"],
            "start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"}));
        assert!(backwards.unwrap_err().0.starts_with("end:"));
    }

    #[test]
    fn errors_name_the_field() {
        let base = |extra: serde_json::Value| {
            let mut q = serde_json::json!({"metrics": ["requests"],
                "start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z"});
            for (k, v) in extra.as_object().unwrap() {
                q[k] = v.clone();
            }
            query(q)
                .err()
                .map(|e| e.0.split(':').next().unwrap().to_owned())
        };
        assert_eq!(
            base(serde_json::json!({"metrics": ["nope"]})).as_deref(),
            Some("metrics")
        );
        assert_eq!(
            base(serde_json::json!({"metrics": []})).as_deref(),
            Some("metrics")
        );
        assert_eq!(
            base(serde_json::json!({"dimensions": ["model", "key", "app"]})).as_deref(),
            Some("dimensions")
        );
        assert_eq!(
            base(serde_json::json!({"dimensions": ["x"]})).as_deref(),
            Some("dimensions")
        );
        assert_eq!(
            base(serde_json::json!({"filters": {"x": ["a"]}})).as_deref(),
            Some("filters")
        );
        assert_eq!(
            base(serde_json::json!({"filters": {"model": []}})).as_deref(),
            Some("filters.model")
        );
        assert_eq!(
            base(serde_json::json!({"granularity": "week"})).as_deref(),
            Some("granularity")
        );
        assert_eq!(
            base(serde_json::json!({"limit": 0})).as_deref(),
            Some("limit")
        );
        assert_eq!(
            base(serde_json::json!({"order_by": "x"})).as_deref(),
            Some("order_by")
        );
        assert_eq!(
            base(serde_json::json!({"dimensions": ["model", "key"]})),
            None
        );
    }
}
