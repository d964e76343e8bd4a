//! Rollups: generation records summed per hour and per UTC day, per organization × key ×
//! model × provider × app (tables `usage_rollups_hourly` and `usage_rollups_daily`). The
//! usage writer sums each batch's generations here in memory and upserts one row per distinct
//! (period, dimensions) in the batch's transaction, so rollups always equal the sums over the
//! records committed with them. Analytics read rollups only.

use std::collections::BTreeMap;

use entity::generation;

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

    pub fn table(self) -> &'static str {
        match self {
            Period::Hour => "usage_rollups_hourly",
            Period::Day => "usage_rollups_daily",
        }
    }

    /// The start (Unix seconds, UTC) of the period holding `unix_seconds`.
    pub fn bucket(self, unix_seconds: i64) -> i64 {
        unix_seconds.div_euclid(self.seconds()) * self.seconds()
    }
}

/// The app a generation is attributed to: its `HTTP-Referer` (OpenRouter's app identifier),
/// else its `X-Title`, else `''` (no app). The one definition of "app", used by the rollups
/// and by the generations list's filter.
pub fn app_of(g: &generation::Model) -> &str {
    match (g.http_referer.as_deref(), g.app_title.as_deref()) {
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
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RollupKey<'a> {
    pub org_id: &'a str,
    pub bucket: i64,
    pub api_key_hash: &'a str,
    pub model: &'a str,
    pub provider: &'a str,
    pub app: &'a str,
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

/// A batch's generations summed per period and dimensions, in key order (so that concurrent
/// writers lock rows in the same order).
pub type Rollups<'a> = BTreeMap<(Period, RollupKey<'a>), RollupSums>;

/// Adds a generation to both periods' rows.
pub fn add<'a>(rollups: &mut Rollups<'a>, g: &'a generation::Model) {
    let at = g.created_at.timestamp();
    for period in Period::ALL {
        let key = RollupKey {
            org_id: &g.org_id,
            bucket: period.bucket(at),
            api_key_hash: &g.api_key_hash,
            model: &g.model,
            provider: g.provider.as_deref().unwrap_or(""),
            app: app_of(g),
        };
        rollups.entry((period, key)).or_default().add(g);
    }
}

#[cfg(test)]
mod tests {
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
        let mut rollups = Rollups::new();
        for row in &rows {
            add(&mut rollups, row);
        }
        let requests = |period| -> i64 {
            rollups
                .iter()
                .filter(|((p, _), _)| *p == period)
                .map(|(_, s)| s.sums[0])
                .sum()
        };
        assert_eq!((requests(Period::Hour), requests(Period::Day)), (6, 6));
        let cost: i64 = rollups
            .iter()
            .filter(|((p, _), _)| *p == Period::Day)
            .map(|(_, s)| s.sums[7])
            .sum();
        assert_eq!(cost, rows.iter().map(|r| r.cost_nanos).sum::<i64>());
        assert_eq!(columns().len(), 6 + 11 + 64);
    }
}
