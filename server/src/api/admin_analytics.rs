//! Platform analytics for platform admins (`GET /admin/analytics`): purchases and fees from
//! the ledger; spend, requests, errors and latency by provider and endpoint, and the top
//! organizations, from the daily rollups of every organization.

use actix_web::{HttpRequest, get, web};
use api_types::analytics::{PlatformAnalytics, PlatformAnalyticsResponse, Total};
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::error::{ApiError, extractors};
use super::extract::PlatformAdmin;
use super::openapi::ErrorBody;
use crate::billing::ledger::{self, EntryKind};
use crate::billing::money::Nanos;
use crate::state::AppState;
use crate::usage::analytics::{self, Columns, Dimension, Group, Metric, Over, Selection};
use crate::usage::rollup::{Period, RollupSums};

/// Figures per group.
const METRICS: [Metric; 8] = [
    Metric::Spend,
    Metric::ByokUsage,
    Metric::Requests,
    Metric::Errors,
    Metric::ErrorRate,
    Metric::LatencyP50,
    Metric::LatencyP99,
    Metric::TtftP50,
];
const TOP_ORGANIZATIONS: usize = 20;
const MAX_DAYS: i64 = 366;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlatformQuery {
    /// First UTC day, `YYYY-MM-DD` (default: 30 days before `end`).
    #[param(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub start: Option<String>,
    /// Last UTC day, inclusive, `YYYY-MM-DD` (default: today). At most 366 days in all.
    #[param(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub end: Option<String>,
}

fn day(text: Option<&str>, field: &str) -> Result<Option<i64>, ApiError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .filter(|_| t.len() == 10)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d).timestamp())
            .ok_or_else(|| ApiError::bad_request(format!("{field}: must be a date as YYYY-MM-DD")))
    })
    .transpose()
}

fn ranked(
    totals: std::collections::BTreeMap<Vec<String>, RollupSums>,
    names: &[&str],
    limit: usize,
) -> Vec<Total> {
    let mut rows: Vec<_> = totals.into_iter().collect();
    rows.sort_by_key(|(_, sums)| std::cmp::Reverse(sums.get("cost_nanos")));
    rows.truncate(limit);
    rows.into_iter()
        .map(|(groups, sums)| Total {
            dimensions: names.iter().map(|n| (*n).to_owned()).zip(groups).collect(),
            metrics: analytics::metrics(&METRICS, &sums),
            previous: None,
        })
        .collect()
}

/// The platform over a range of UTC days.
#[utoipa::path(tag = "admin", params(PlatformQuery), responses(
    (status = 200, body = PlatformAnalyticsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/admin/analytics")]
pub async fn platform(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    req: HttpRequest,
) -> Result<web::Json<PlatformAnalyticsResponse>, ApiError> {
    let query: PlatformQuery = extractors::query(&req)?;
    let today = Period::Day.bucket(Utc::now().timestamp());
    let end = day(query.end.as_deref(), "end")?.unwrap_or(today) + 86_400;
    let start = day(query.start.as_deref(), "start")?.unwrap_or(end - 30 * 86_400);
    if end <= start {
        return Err(ApiError::bad_request("end: must not be before start"));
    }
    if end - start > MAX_DAYS * 86_400 {
        return Err(ApiError::bad_request("end: at most 366 days from start"));
    }
    let read = |group: Vec<Group>| Selection {
        over: Over::Platform,
        period: Period::Day,
        start,
        end,
        filters: Vec::new(),
        group,
        columns: Columns::of(&METRICS),
    };
    let db = &state.db;
    let providers = analytics::read(db, &read(vec![Group::Dimension(Dimension::Provider)])).await?;
    let endpoints = analytics::read(
        db,
        &read(vec![
            Group::Dimension(Dimension::Model),
            Group::Dimension(Dimension::Provider),
        ]),
    )
    .await?;
    let organizations = analytics::read(db, &read(vec![Group::Org])).await?;
    let mut overall = RollupSums::default();
    for row in &providers {
        overall.merge(&row.sums);
    }
    let time = |t: i64| Utc.timestamp_opt(t, 0).single().unwrap_or_default();
    let mut purchases = Nanos::ZERO;
    let mut fees = Nanos::ZERO;
    for (kind, sum) in ledger::sums_by_kind(db, time(start), time(end)).await? {
        match kind {
            EntryKind::Purchase | EntryKind::AutoTopup | EntryKind::Refund => {
                purchases = purchases.saturating_add(sum)
            }
            // Fees are negative entries on the organizations' side: the platform's revenue.
            EntryKind::PurchaseFee | EntryKind::ByokFee => {
                fees = fees.saturating_add(Nanos::from_nanos(sum.as_nanos().saturating_neg()))
            }
            _ => {}
        }
    }
    Ok(web::Json(PlatformAnalyticsResponse {
        data: PlatformAnalytics {
            start: time(start),
            end: time(end),
            purchases: purchases.into(),
            fees: fees.into(),
            overall: analytics::metrics(&METRICS, &overall),
            providers: ranked(analytics::totals(&providers), &["provider"], usize::MAX),
            endpoints: ranked(
                analytics::totals(&endpoints),
                &["model", "provider"],
                usize::MAX,
            ),
            top_organizations: ranked(
                analytics::totals(&organizations),
                &["organization"],
                TOP_ORGANIZATIONS,
            ),
        },
    }))
}
