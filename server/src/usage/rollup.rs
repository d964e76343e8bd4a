//! Rollups: generation records summed per hour and per UTC day, per organization × key ×
//! model × provider × app (tables `usage_rollups_hourly` and `usage_rollups_daily`), and the
//! same sums at three coarser [`Grain`]s. The usage writer sums each batch's generations here
//! in memory and upserts one row per distinct (period, grain, dimensions) in the batch's
//! transaction, so rollups always equal the sums over the records committed with them.
//! Analytics read rollups only, each query the narrowest table that keeps its dimensions.

use std::collections::{BTreeMap, HashMap};

use entity::generation;

use super::analytics::Dimension;
use super::histogram::{self, BUCKETS};

/// The two rollup periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Hour,
    Day,
}

impl Period {
    pub const ALL: [Period; 2] = [Period::Hour, Period::Day];

    pub fn seconds(self) -> i64 {
        match self {
            Period::Hour => 3_600,
            Period::Day => 86_400,
        }
    }

    /// The table holding this period's rows at `grain`.
    pub fn table(self, grain: Grain) -> &'static str {
        match (self, grain) {
            (Period::Hour, Grain::Full) => "usage_rollups_hourly",
            (Period::Day, Grain::Full) => "usage_rollups_daily",
            (Period::Hour, Grain::Endpoint) => "usage_rollups_hourly_by_endpoint",
            (Period::Day, Grain::Endpoint) => "usage_rollups_daily_by_endpoint",
            (Period::Hour, Grain::Key) => "usage_rollups_hourly_by_key",
            (Period::Day, Grain::Key) => "usage_rollups_daily_by_key",
            (Period::Hour, Grain::App) => "usage_rollups_hourly_by_app",
            (Period::Day, Grain::App) => "usage_rollups_daily_by_app",
        }
    }

    /// The start (Unix seconds, UTC) of the period holding `unix_seconds`.
    pub fn bucket(self, unix_seconds: i64) -> i64 {
        unix_seconds.div_euclid(self.seconds()) * self.seconds()
    }
}

/// Which dimensions a rollup table keeps. Every grain has the same columns; a coarser grain
/// holds `''` in the dimensions it folds, so each of its rows sums all of the full grain's
/// rows that differ only there. The full grain of one busy organization has hundreds of rows
/// an hour (keys × models × providers × apps); a query that groups or filters by models and
/// providers only, or by keys only, or apps only, reads tens (see `migration`
/// `m20261207_000012_rollup_grains` for the figures).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    Full,
    /// Model × provider: an organization's totals, its models and its providers.
    Endpoint,
    Key,
    App,
}

impl Grain {
    pub const ALL: [Grain; 4] = [Grain::Full, Grain::Endpoint, Grain::Key, Grain::App];

    /// Whether the grain's rows keep `dimension` apart.
    pub fn keeps(self, dimension: Dimension) -> bool {
        match self {
            Grain::Full => true,
            Grain::Endpoint => matches!(dimension, Dimension::Model | Dimension::Provider),
            Grain::Key => dimension == Dimension::Key,
            Grain::App => dimension == Dimension::App,
        }
    }

    /// The coarsest grain keeping every dimension of `needed` (those a read groups or filters
    /// by). With none, the endpoint grain: models × providers are bounded by the catalog,
    /// while an organization may provision thousands of keys or name as many apps.
    pub fn narrowest(needed: impl IntoIterator<Item = Dimension> + Clone) -> Grain {
        [Grain::Endpoint, Grain::Key, Grain::App]
            .into_iter()
            .find(|grain| needed.clone().into_iter().all(|d| grain.keeps(d)))
            .unwrap_or(Grain::Full)
    }
}

/// The app a generation is attributed to: its `HTTP-Referer` (OpenRouter's app identifier),
/// else its `X-Title`, else `''` (no app). The one definition of "app", used by the rollups
/// and by the generations list's filter.
pub fn app_of(g: &generation::Model) -> &str {
    app_from(g.http_referer.as_deref(), g.app_title.as_deref())
}

/// [`app_of`] from the two columns.
pub fn app_from<'a>(http_referer: Option<&'a str>, app_title: Option<&'a str>) -> &'a str {
    match (http_referer, app_title) {
        (Some(referer), _) if !referer.is_empty() => referer,
        (_, Some(title)) => title,
        _ => "",
    }
}

/// The SQL expression of [`app_of`] over the `generations` table.
pub const APP_SQL: &str = "COALESCE(NULLIF(http_referer, ''), app_title, '')";

/// Total latency (request start to the last byte) and time to first token of a generation,
/// in milliseconds, where known.
pub fn timings(g: &generation::Model) -> (Option<i64>, Option<i64>) {
    let ttft = g.latency_ms;
    let total = g
        .latency_ms
        .map(|first| first.saturating_add(g.generation_time_ms.unwrap_or(0)));
    (total, ttft)
}

/// A rollup row's dimensions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey<'a> {
    pub org_id: &'a str,
    pub bucket: i64,
    pub api_key_hash: &'a str,
    pub model: &'a str,
    pub provider: &'a str,
    pub app: &'a str,
}

impl<'a> RollupKey<'a> {
    /// The key of the row at `grain` that this full-grain row is summed into.
    fn folded(&self, grain: Grain) -> RollupKey<'a> {
        let keep = |dimension, value: &'a str| if grain.keeps(dimension) { value } else { "" };
        RollupKey {
            org_id: self.org_id,
            bucket: self.bucket,
            api_key_hash: keep(Dimension::Key, self.api_key_hash),
            model: keep(Dimension::Model, self.model),
            provider: keep(Dimension::Provider, self.provider),
            app: keep(Dimension::App, self.app),
        }
    }
}

/// The summed columns of a rollup row, in [`SUM_COLUMNS`] order, then the two histograms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollupSums {
    pub sums: [i64; SUM_COLUMNS.len()],
    pub latency: [i64; BUCKETS],
    pub ttft: [i64; BUCKETS],
}

impl Default for RollupSums {
    fn default() -> Self {
        RollupSums {
            sums: [0; SUM_COLUMNS.len()],
            latency: [0; BUCKETS],
            ttft: [0; BUCKETS],
        }
    }
}

/// The summed columns (see the migration `m20261206_000010_usage_rollups`).
pub const SUM_COLUMNS: [&str; 11] = [
    "requests",
    "errors",
    "cancelled",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cost_nanos",
    "byok_usage_nanos",
    "latency_sum_ms",
    "ttft_sum_ms",
];

/// The dimension columns, in [`RollupKey`] order.
pub const KEY_COLUMNS: [&str; 6] = [
    "org_id",
    "bucket",
    "api_key_hash",
    "model",
    "provider",
    "app",
];

/// Every column of a rollup row in bind order: dimensions, sums, histograms.
pub fn columns() -> Vec<String> {
    KEY_COLUMNS
        .iter()
        .chain(SUM_COLUMNS.iter())
        .map(|c| (*c).to_owned())
        .chain(histogram_columns("lat"))
        .chain(histogram_columns("ttft"))
        .collect()
}

/// `lat_0 .. lat_31` (or `ttft_...`).
pub fn histogram_columns(prefix: &str) -> impl Iterator<Item = String> + '_ {
    (0..BUCKETS).map(move |i| format!("{prefix}_{i}"))
}

impl RollupSums {
    fn add(&mut self, g: &generation::Model) {
        let byok = if g.is_byok {
            g.upstream_cost_nanos.unwrap_or(0)
        } else {
            0
        };
        let (total, ttft) = timings(g);
        let add = [
            1,
            i64::from(g.error.is_some()),
            i64::from(g.cancelled),
            g.tokens_prompt,
            g.tokens_completion,
            g.tokens_reasoning,
            g.tokens_cached,
            g.cost_nanos,
            byok,
            total.unwrap_or(0),
            ttft.unwrap_or(0),
        ];
        for (sum, value) in self.sums.iter_mut().zip(add) {
            *sum = sum.saturating_add(value);
        }
        if let Some(total) = total {
            self.latency[histogram::bucket_of(total)] += 1;
        }
        if let Some(ttft) = ttft {
            self.ttft[histogram::bucket_of(ttft)] += 1;
        }
    }

    /// Adds another row's sums and histograms.
    pub fn merge(&mut self, other: &RollupSums) {
        for (a, b) in self.sums.iter_mut().zip(other.sums) {
            *a = a.saturating_add(b);
        }
        for (a, b) in self.latency.iter_mut().zip(other.latency) {
            *a = a.saturating_add(b);
        }
        for (a, b) in self.ttft.iter_mut().zip(other.ttft) {
            *a = a.saturating_add(b);
        }
    }

    /// The sum of a column of [`SUM_COLUMNS`].
    pub fn get(&self, column: &str) -> i64 {
        SUM_COLUMNS
            .iter()
            .position(|c| *c == column)
            .map_or(0, |i| self.sums[i])
    }

    /// The values after the key, in [`columns`] order.
    pub fn values(&self) -> impl Iterator<Item = i64> + '_ {
        self.sums
            .iter()
            .chain(self.latency.iter())
            .chain(self.ttft.iter())
            .copied()
    }
}

/// A batch's generations summed per period, grain and dimensions, in key order (so that
/// concurrent writers lock rows in the same order).
pub type Rollups<'a> = BTreeMap<(Period, Grain, RollupKey<'a>), RollupSums>;

/// A batch's generations summed per hour at the full grain: one lookup and one addition per
/// generation. Every period's and grain's rows are then folded from these few rows
/// ([`Self::fold`]), instead of each generation being added to eight rows found by comparing
/// their keys' strings (a seventh of the usage writer's time under load).
#[derive(Default)]
pub struct Hourly<'a>(HashMap<RollupKey<'a>, RollupSums>);

impl<'a> Hourly<'a> {
    pub fn add(&mut self, g: &'a generation::Model) {
        let key = RollupKey {
            org_id: &g.org_id,
            bucket: Period::Hour.bucket(g.created_at.timestamp()),
            api_key_hash: &g.api_key_hash,
            model: &g.model,
            provider: g.provider.as_deref().unwrap_or(""),
            app: app_of(g),
        };
        self.0.entry(key).or_default().add(g);
    }

    /// The rows of every period and grain: each hour's row is summed into its day's (UTC days
    /// are whole hours), and each full-grain row into the coarser grains' rows it folds into.
    pub fn fold(&self) -> Rollups<'a> {
        let mut rollups = Rollups::new();
        for (hour, sums) in &self.0 {
            for period in Period::ALL {
                let key = RollupKey {
                    bucket: period.bucket(hour.bucket),
                    ..hour.clone()
                };
                for grain in Grain::ALL {
                    rollups
                        .entry((period, grain, key.folded(grain)))
                        .or_default()
                        .merge(sums);
                }
            }
        }
        rollups
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn periods_start_on_utc_hours_and_days() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T01:02:03Z")
            .unwrap()
            .timestamp();
        assert_eq!(Period::Hour.bucket(at), at - 2 * 60 - 3);
        assert_eq!(Period::Day.bucket(at), at - 3_600 - 2 * 60 - 3);
        assert_eq!(Period::Day.bucket(-1), -86_400);
    }

    #[test]
    fn a_batch_sums_per_period_and_dimensions() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T01:02:03Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let rows: Vec<_> = (0..6)
            .map(|n| crate::usage::tests::generation(n, at + chrono::Duration::hours(n as i64)))
            .collect();
        let mut hourly = Hourly::default();
        for row in &rows {
            hourly.add(row);
        }
        let rollups = hourly.fold();
        for grain in Grain::ALL {
            let requests = |period| -> i64 {
                rollups
                    .iter()
                    .filter(|((p, g, _), _)| *p == period && *g == grain)
                    .map(|(_, s)| s.sums[0])
                    .sum()
            };
            assert_eq!((requests(Period::Hour), requests(Period::Day)), (6, 6));
            let cost: i64 = rollups
                .iter()
                .filter(|((p, g, _), _)| *p == Period::Day && *g == grain)
                .map(|(_, s)| s.sums[7])
                .sum();
            assert_eq!(cost, rows.iter().map(|r| r.cost_nanos).sum::<i64>());
        }
        assert_eq!(columns().len(), 6 + 11 + 64);
    }

    /// Folding the batch's hourly full-grain rows gives the rows of adding each generation to
    /// its row of every period and grain, over hours, days, keys, providers and apps.
    #[test]
    fn folded_rows_equal_each_generation_added_to_every_row() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T22:58:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let rows: Vec<_> = (0..40)
            .map(|n| {
                let mut row = crate::usage::tests::generation(n, at);
                row.created_at = at + chrono::Duration::minutes(7 * n as i64);
                row.http_referer =
                    (!n.is_multiple_of(3)).then(|| format!("https://app-{}.example", n % 2));
                row.app_title = Some("Titled".into());
                row.error = n.is_multiple_of(5).then(|| "upstream".into());
                row
            })
            .collect();
        let mut each = Rollups::new();
        for g in &rows {
            for period in Period::ALL {
                let key = RollupKey {
                    org_id: &g.org_id,
                    bucket: period.bucket(g.created_at.timestamp()),
                    api_key_hash: &g.api_key_hash,
                    model: &g.model,
                    provider: g.provider.as_deref().unwrap_or(""),
                    app: app_of(g),
                };
                for grain in Grain::ALL {
                    each.entry((period, grain, key.folded(grain)))
                        .or_default()
                        .add(g);
                }
            }
        }
        let mut hourly = Hourly::default();
        for g in &rows {
            hourly.add(g);
        }
        let folded = hourly.fold();
        assert_eq!(folded, each);
        let days: BTreeSet<i64> = folded
            .keys()
            .filter(|k| k.0 == Period::Day)
            .map(|k| k.2.bucket)
            .collect();
        assert_eq!(days.len(), 2, "the batch spans midnight");
    }

    #[test]
    fn coarser_grains_fold_the_dimensions_they_do_not_keep() {
        let at = chrono::Utc::now();
        let mut rows: Vec<_> = (0..4)
            .map(|n| crate::usage::tests::generation(n, at))
            .collect();
        for (n, row) in rows.iter_mut().enumerate() {
            row.api_key_hash = format!("key-{}", n % 2);
            row.http_referer = Some(format!("https://app-{}.example", n % 2));
            row.model = "m".into();
            row.provider = Some("p".into());
        }
        let mut hourly = Hourly::default();
        for row in &rows {
            hourly.add(row);
        }
        let rollups = hourly.fold();
        let hourly = |grain| -> Vec<(&str, &str, &str, &str, i64)> {
            rollups
                .iter()
                .filter(|((p, g, _), _)| *p == Period::Hour && *g == grain)
                .map(|((_, _, k), s)| (k.api_key_hash, k.model, k.provider, k.app, s.sums[0]))
                .collect()
        };
        assert_eq!(hourly(Grain::Endpoint), [("", "m", "p", "", 4)]);
        assert_eq!(
            hourly(Grain::Key),
            [("key-0", "", "", "", 2), ("key-1", "", "", "", 2)]
        );
        assert_eq!(
            hourly(Grain::App),
            [
                ("", "", "", "https://app-0.example", 2),
                ("", "", "", "https://app-1.example", 2)
            ]
        );
        assert_eq!(hourly(Grain::Full).len(), 2);
    }

    #[test]
    fn a_read_takes_the_coarsest_grain_keeping_its_dimensions() {
        use Dimension::*;
        assert_eq!(Grain::narrowest([]), Grain::Endpoint);
        assert_eq!(Grain::narrowest([Model]), Grain::Endpoint);
        assert_eq!(Grain::narrowest([Model, Provider]), Grain::Endpoint);
        assert_eq!(Grain::narrowest([Key]), Grain::Key);
        assert_eq!(Grain::narrowest([Key, Key]), Grain::Key);
        assert_eq!(Grain::narrowest([App]), Grain::App);
        assert_eq!(Grain::narrowest([Model, Key]), Grain::Full);
        assert_eq!(Grain::narrowest([App, Provider]), Grain::Full);
    }
}
