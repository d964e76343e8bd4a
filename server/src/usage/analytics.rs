//! Analytics over the rollups (never the raw records): which metrics and dimensions exist,
//! and one grouped read of a rollup table that every analytics endpoint builds on. Tenant
//! reads go through [`Over::Org`] with the caller's [`OrgScope`]; only platform-admin
//! handlers use [`Over::Platform`].

use std::collections::BTreeMap;

use api_types::analytics::{MetricValue, Metrics};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};

use super::histogram;
use super::rollup::{Grain, Period, RollupSums, SUM_COLUMNS, histogram_columns};
use crate::accounts::tenant::OrgScope;
use crate::billing::money::Nanos;

/// What analytics can group and filter by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    Model,
    Key,
    Provider,
    App,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [
        Dimension::Model,
        Dimension::Key,
        Dimension::Provider,
        Dimension::App,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Model => "model",
            Dimension::Key => "key",
            Dimension::Provider => "provider",
            Dimension::App => "app",
        }
    }

    pub fn parse(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Dimension::Model => "The model that served",
            Dimension::Key => "The API key's hash",
            Dimension::Provider => "The provider that served ('' when none did)",
            Dimension::App => "The app: the request's HTTP-Referer, else its X-Title ('' for none)",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Dimension::Model => "model",
            Dimension::Key => "api_key_hash",
            Dimension::Provider => "provider",
            Dimension::App => "app",
        }
    }
}

/// What analytics can compute from rollup rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Spend,
    ByokUsage,
    Requests,
    PromptTokens,
    CompletionTokens,
    ReasoningTokens,
    CachedTokens,
    Errors,
    ErrorRate,
    Cancelled,
    LatencyAvg,
    LatencyP50,
    LatencyP90,
    LatencyP99,
    TtftAvg,
    TtftP50,
    TtftP90,
    TtftP99,
}

impl Metric {
    pub const ALL: [Metric; 18] = [
        Metric::Spend,
        Metric::ByokUsage,
        Metric::Requests,
        Metric::PromptTokens,
        Metric::CompletionTokens,
        Metric::ReasoningTokens,
        Metric::CachedTokens,
        Metric::Errors,
        Metric::ErrorRate,
        Metric::Cancelled,
        Metric::LatencyAvg,
        Metric::LatencyP50,
        Metric::LatencyP90,
        Metric::LatencyP99,
        Metric::TtftAvg,
        Metric::TtftP50,
        Metric::TtftP90,
        Metric::TtftP99,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Spend => "spend",
            Metric::ByokUsage => "byok_usage",
            Metric::Requests => "requests",
            Metric::PromptTokens => "prompt_tokens",
            Metric::CompletionTokens => "completion_tokens",
            Metric::ReasoningTokens => "reasoning_tokens",
            Metric::CachedTokens => "cached_tokens",
            Metric::Errors => "errors",
            Metric::ErrorRate => "error_rate",
            Metric::Cancelled => "cancelled",
            Metric::LatencyAvg => "latency_avg",
            Metric::LatencyP50 => "latency_p50",
            Metric::LatencyP90 => "latency_p90",
            Metric::LatencyP99 => "latency_p99",
            Metric::TtftAvg => "ttft_avg",
            Metric::TtftP50 => "ttft_p50",
            Metric::TtftP90 => "ttft_p90",
            Metric::TtftP99 => "ttft_p99",
        }
    }

    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::Spend | Metric::ByokUsage => "usd",
            Metric::ErrorRate => "ratio",
            Metric::LatencyAvg
            | Metric::LatencyP50
            | Metric::LatencyP90
            | Metric::LatencyP99
            | Metric::TtftAvg
            | Metric::TtftP50
            | Metric::TtftP90
            | Metric::TtftP99 => "ms",
            _ => "count",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Metric::Spend => "Spent from credit (generations' cost, BYOK fees included)",
            Metric::ByokUsage => "BYOK requests' upstream cost at the endpoints' prices",
            Metric::Requests => "Generations (served, failed, cancelled or refused)",
            Metric::PromptTokens => "Prompt tokens",
            Metric::CompletionTokens => "Completion tokens",
            Metric::ReasoningTokens => "Reasoning tokens",
            Metric::CachedTokens => "Prompt tokens read from a cache",
            Metric::Errors => "Generations that ended in an error",
            Metric::ErrorRate => "errors / requests",
            Metric::Cancelled => "Generations the client cancelled",
            Metric::LatencyAvg => "Mean latency, request start to last byte",
            Metric::LatencyP50 => "Median latency (from a 32-bucket log histogram)",
            Metric::LatencyP90 => "90th percentile latency",
            Metric::LatencyP99 => "99th percentile latency",
            Metric::TtftAvg => "Mean time to first token",
            Metric::TtftP50 => "Median time to first token",
            Metric::TtftP90 => "90th percentile time to first token",
            Metric::TtftP99 => "99th percentile time to first token",
        }
    }

    /// The rollup columns the metric is computed from.
    pub fn columns(self) -> Columns {
        let sums = Columns::sums;
        let latency = Columns {
            latency: true,
            ..Columns::default()
        };
        let ttft = Columns {
            ttft: true,
            ..Columns::default()
        };
        match self {
            Metric::Spend => sums(&["cost_nanos"]),
            Metric::ByokUsage => sums(&["byok_usage_nanos"]),
            Metric::Requests => sums(&["requests"]),
            Metric::PromptTokens => sums(&["prompt_tokens"]),
            Metric::CompletionTokens => sums(&["completion_tokens"]),
            Metric::ReasoningTokens => sums(&["reasoning_tokens"]),
            Metric::CachedTokens => sums(&["cached_tokens"]),
            Metric::Errors => sums(&["errors"]),
            Metric::ErrorRate => sums(&["errors", "requests"]),
            Metric::Cancelled => sums(&["cancelled"]),
            // The mean divides by the histogram's count: the generations with a timing.
            Metric::LatencyAvg => sums(&["latency_sum_ms"]).with(latency),
            Metric::TtftAvg => sums(&["ttft_sum_ms"]).with(ttft),
            Metric::LatencyP50 | Metric::LatencyP90 | Metric::LatencyP99 => latency,
            Metric::TtftP50 | Metric::TtftP90 | Metric::TtftP99 => ttft,
        }
    }

    /// The metric's value over summed rollup rows.
    pub fn value(self, s: &RollupSums) -> MetricValue {
        let count = |c: &str| MetricValue::Int(s.get(c));
        let usd = |c: &str| MetricValue::Usd(Nanos::from_nanos(s.get(c)).into());
        let mean = |sum: &str, hist: &[i64; histogram::BUCKETS]| {
            let n: i64 = hist.iter().sum();
            if n == 0 {
                MetricValue::Null
            } else {
                MetricValue::Int(s.get(sum) / n)
            }
        };
        let pct = |hist: &[i64; histogram::BUCKETS], p: f64| {
            histogram::percentile(hist, p).map_or(MetricValue::Null, MetricValue::Int)
        };
        match self {
            Metric::Spend => usd("cost_nanos"),
            Metric::ByokUsage => usd("byok_usage_nanos"),
            Metric::Requests => count("requests"),
            Metric::PromptTokens => count("prompt_tokens"),
            Metric::CompletionTokens => count("completion_tokens"),
            Metric::ReasoningTokens => count("reasoning_tokens"),
            Metric::CachedTokens => count("cached_tokens"),
            Metric::Errors => count("errors"),
            Metric::Cancelled => count("cancelled"),
            Metric::ErrorRate => match s.get("requests") {
                0 => MetricValue::Null,
                n => MetricValue::Ratio(s.get("errors") as f64 / n as f64),
            },
            Metric::LatencyAvg => mean("latency_sum_ms", &s.latency),
            Metric::TtftAvg => mean("ttft_sum_ms", &s.ttft),
            Metric::LatencyP50 => pct(&s.latency, 0.5),
            Metric::LatencyP90 => pct(&s.latency, 0.9),
            Metric::LatencyP99 => pct(&s.latency, 0.99),
            Metric::TtftP50 => pct(&s.ttft, 0.5),
            Metric::TtftP90 => pct(&s.ttft, 0.9),
            Metric::TtftP99 => pct(&s.ttft, 0.99),
        }
    }

    /// A value's rank for top-N ordering (nulls last).
    pub fn rank(value: &MetricValue) -> f64 {
        match value {
            MetricValue::Int(n) => *n as f64,
            MetricValue::Usd(usd) => usd.as_f64(),
            MetricValue::Ratio(r) => *r,
            MetricValue::Null => f64::NEG_INFINITY,
        }
    }
}

/// The metrics' values, by name.
pub fn metrics(wanted: &[Metric], sums: &RollupSums) -> Metrics {
    wanted
        .iter()
        .map(|m| (m.name().to_owned(), m.value(sums)))
        .collect()
}

/// Which rollup columns a read sums: some of [`SUM_COLUMNS`] and either histogram. A read
/// sums only these (a percentile needs 32 columns, a spend chart one), and leaves the others
/// of its rows' [`RollupSums`] at 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    /// Bit `i`: `SUM_COLUMNS[i]`.
    sums: u16,
    latency: bool,
    ttft: bool,
}

impl Columns {
    /// The named sum columns (names of [`SUM_COLUMNS`]; any other name is a bug).
    pub fn sums(names: &[&str]) -> Columns {
        let mut sums = 0;
        for name in names {
            let position = SUM_COLUMNS.iter().position(|c| c == name);
            debug_assert!(position.is_some(), "no rollup sum column {name}");
            sums |= position.map_or(0, |i| 1 << i);
        }
        Columns {
            sums,
            ..Columns::default()
        }
    }

    /// The columns of every metric.
    pub fn of<'m>(metrics: impl IntoIterator<Item = &'m Metric>) -> Columns {
        metrics
            .into_iter()
            .fold(Columns::default(), |columns, m| columns.with(m.columns()))
    }

    pub fn with(self, other: Columns) -> Columns {
        Columns {
            sums: self.sums | other.sums,
            latency: self.latency || other.latency,
            ttft: self.ttft || other.ttft,
        }
    }

    /// The indexes into [`SUM_COLUMNS`] summed.
    fn sum_indexes(self) -> impl Iterator<Item = usize> {
        (0..SUM_COLUMNS.len()).filter(move |i| self.sums & (1 << i) != 0)
    }
}

/// Whose rows a read covers.
#[derive(Clone, Copy, Debug)]
pub enum Over<'a> {
    /// One organization's (every tenant read).
    Org(&'a OrgScope),
    /// Every organization's: platform admins' handlers only.
    Platform,
}

/// A grouping column of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The period's start.
    Bucket,
    Dimension(Dimension),
    /// The organization (platform reads).
    Org,
}

impl Group {
    fn column(self) -> &'static str {
        match self {
            Group::Bucket => "bucket",
            Group::Dimension(d) => d.column(),
            Group::Org => "org_id",
        }
    }
}

/// One grouped read of the rollups: rows of `period` whose bucket is in `[start, end)` (Unix
/// seconds), filtered, grouped by `group`, from the coarsest grain that keeps the dimensions
/// grouped and filtered by.
#[derive(Clone, Debug)]
pub struct Selection<'a> {
    pub over: Over<'a>,
    pub period: Period,
    pub start: i64,
    pub end: i64,
    pub filters: Vec<(Dimension, Vec<String>)>,
    pub group: Vec<Group>,
    /// The columns to sum.
    pub columns: Columns,
}

impl Selection<'_> {
    fn grain(&self) -> Grain {
        let grouped = self.group.iter().filter_map(|group| match group {
            Group::Dimension(d) => Some(*d),
            Group::Bucket | Group::Org => None,
        });
        let filtered = self.filters.iter().map(|(d, _)| *d);
        Grain::narrowest(grouped.chain(filtered).collect::<Vec<_>>())
    }
}

/// A grouped row: the bucket (when grouped by it), the other groups' values in order, sums.
#[derive(Clone, Debug)]
pub struct Row {
    pub bucket: Option<i64>,
    pub groups: Vec<String>,
    pub sums: RollupSums,
}

/// Runs the read.
pub async fn read(db: &impl ConnectionTrait, selection: &Selection<'_>) -> Result<Vec<Row>, DbErr> {
    let table = Alias::new(selection.period.table(selection.grain()));
    let mut query = Query::select();
    query.from(table);
    for group in &selection.group {
        query.column(Alias::new(group.column()));
    }
    let columns = selection.columns;
    let histograms = [("lat", columns.latency), ("ttft", columns.ttft)]
        .into_iter()
        .filter(|(_, wanted)| *wanted)
        .flat_map(|(prefix, _)| histogram_columns(prefix));
    let summed = columns
        .sum_indexes()
        .map(|i| SUM_COLUMNS[i].to_owned())
        .chain(histograms);
    for column in summed {
        // Constant column names only; CAST: PostgreSQL's SUM of bigint is numeric.
        query.expr(Expr::cust(format!("CAST(SUM({column}) AS BIGINT)")));
    }
    if let Over::Org(scope) = selection.over {
        query.and_where(Expr::col(Alias::new("org_id")).eq(scope.org_id()));
    }
    query
        .and_where(Expr::col(Alias::new("bucket")).gte(selection.start))
        .and_where(Expr::col(Alias::new("bucket")).lt(selection.end));
    for (dimension, values) in &selection.filters {
        query.and_where(Expr::col(Alias::new(dimension.column())).is_in(values.iter().cloned()));
    }
    for group in &selection.group {
        query.group_by_col(Alias::new(group.column()));
        if *group == Group::Bucket {
            query.order_by(Alias::new("bucket"), Order::Asc);
        }
    }
    let rows = db.query_all(&query).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut bucket = None;
        let mut groups = Vec::new();
        for (i, group) in selection.group.iter().enumerate() {
            if *group == Group::Bucket {
                bucket = Some(row.try_get_by_index::<i64>(i)?);
            } else {
                groups.push(row.try_get_by_index::<String>(i)?);
            }
        }
        // The summed columns follow the groups, in the order they were selected.
        let mut next = selection.group.len()..;
        let mut value = || -> Result<i64, DbErr> {
            let index = next.next().unwrap_or_default();
            Ok(row.try_get_by_index::<Option<i64>>(index)?.unwrap_or(0))
        };
        let mut sums = RollupSums::default();
        for i in columns.sum_indexes() {
            sums.sums[i] = value()?;
        }
        for (wanted, histogram) in [
            (columns.latency, &mut sums.latency),
            (columns.ttft, &mut sums.ttft),
        ] {
            if wanted {
                for count in histogram.iter_mut() {
                    *count = value()?;
                }
            }
        }
        out.push(Row {
            bucket,
            groups,
            sums,
        });
    }
    Ok(out)
}

/// Rows summed by their groups (the bucket dropped), in group order.
pub fn totals(rows: &[Row]) -> BTreeMap<Vec<String>, RollupSums> {
    let mut totals: BTreeMap<Vec<String>, RollupSums> = BTreeMap::new();
    for row in rows {
        totals
            .entry(row.groups.clone())
            .or_default()
            .merge(&row.sums);
    }
    totals
}
