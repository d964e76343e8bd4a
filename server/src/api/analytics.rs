//! Usage analytics of the caller's organization, read from the rollups: `/activity`
//! (OpenRouter's shape), `/analytics/meta` and `/analytics/query`. A member's session or a
//! management key.

use actix_web::{HttpRequest, get, post, web};
use api_types::analytics::{
    ActivityResponse, ActivityRow, AnalyticsMeta, AnalyticsMetaResponse, AnalyticsQuery,
    AnalyticsResponse, MetaEntry,
};
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::error::{ApiError, extractors};
use super::extract::OrgCaller;
use super::openapi::ErrorBody;
use crate::billing::money::Nanos;
use crate::state::AppState;
use crate::usage::analytics::{self, Columns, Dimension, Group, Metric, Over, Selection};
use crate::usage::query::{self, Plan};
use crate::usage::rollup::Period;

/// Completed days `/activity` covers without `date`.
const ACTIVITY_DAYS: i64 = 30;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// One UTC day, `YYYY-MM-DD`: today (partial figures) or one of the last 30 completed
    /// days. Without it, the last 30 completed UTC days.
    #[param(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date: Option<String>,
    /// Only this API key's requests (its hash). A key of another organization matches
    /// nothing: the answer is an empty list.
    #[param(pattern = "^[0-9a-f]{64}$")]
    pub api_key_hash: Option<String>,
}

/// Whether `text` looks like an API key's hash (64 lower-case hex digits).
pub fn is_key_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The organization's daily spend, requests and tokens per model, endpoint and provider,
/// newest day first.
#[utoipa::path(tag = "analytics", params(ActivityQuery), responses(
    (status = 200, body = ActivityResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/activity")]
pub async fn activity(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<ActivityResponse>, ApiError> {
    let query: ActivityQuery = extractors::query(&req)?;
    let today = Period::Day.bucket(Utc::now().timestamp());
    let (start, end) = match query.date.as_deref() {
        None => (today - ACTIVITY_DAYS * 86_400, today),
        Some(text) => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|_| text.len() == 10)
                .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()))
                .map(|d| d.timestamp())
                .ok_or_else(|| ApiError::bad_request("date: must be a date as YYYY-MM-DD"))?;
            if day > today || day < today - ACTIVITY_DAYS * 86_400 {
                return Err(ApiError::bad_request(
                    "date: must be today or one of the last 30 completed UTC days",
                ));
            }
            (day, day + 86_400)
        }
    };
    let mut filters = Vec::new();
    if let Some(hash) = query.api_key_hash {
        if !is_key_hash(&hash) {
            return Err(ApiError::bad_request(
                "api_key_hash: must be a key hash (64 lower-case hex digits)",
            ));
        }
        filters.push((Dimension::Key, vec![hash]));
    }
    let selection = Selection {
        over: Over::Org(&caller.scope),
        period: Period::Day,
        start,
        end,
        filters,
        group: vec![
            Group::Bucket,
            Group::Dimension(Dimension::Model),
            Group::Dimension(Dimension::Provider),
        ],
        columns: Columns::sums(&[
            "cost_nanos",
            "byok_usage_nanos",
            "requests",
            "prompt_tokens",
            "completion_tokens",
            "reasoning_tokens",
        ]),
    };
    let mut rows = analytics::read(&state.db, &selection).await?;
    rows.sort_by(|a, b| {
        b.bucket
            .cmp(&a.bucket)
            .then_with(|| a.groups.cmp(&b.groups))
    });
    let data = rows
        .into_iter()
        .map(|row| {
            let date = Utc
                .timestamp_opt(row.bucket.unwrap_or(start), 0)
                .single()
                .unwrap_or_default()
                .format("%Y-%m-%d")
                .to_string();
            let [model, provider] = <[String; 2]>::try_from(row.groups).unwrap_or_default();
            let s = &row.sums;
            ActivityRow {
                date,
                model_permaslug: model.clone(),
                endpoint_id: format!("{model}:{provider}"),
                model,
                provider_name: provider,
                usage: Nanos::from_nanos(s.get("cost_nanos")).into(),
                byok_usage_inference: Nanos::from_nanos(s.get("byok_usage_nanos")).into(),
                requests: s.get("requests"),
                prompt_tokens: s.get("prompt_tokens"),
                completion_tokens: s.get("completion_tokens"),
                reasoning_tokens: s.get("reasoning_tokens"),
            }
        })
        .collect();
    Ok(web::Json(ActivityResponse { data }))
}

/// The metrics, dimensions and granularities `/analytics/query` offers.
pub fn meta() -> AnalyticsMeta {
    AnalyticsMeta {
        metrics: Metric::ALL
            .iter()
            .map(|m| MetaEntry {
                name: m.name().into(),
                description: m.description().into(),
                unit: m.unit().into(),
            })
            .collect(),
        dimensions: Dimension::ALL
            .iter()
            .map(|d| MetaEntry {
                name: d.name().into(),
                description: d.description().into(),
                unit: "string".into(),
            })
            .collect(),
        granularities: vec!["hour".into(), "day".into()],
        max_days: [
            ("hour".to_owned(), query::max_days(Period::Hour)),
            ("day".to_owned(), query::max_days(Period::Day)),
        ]
        .into(),
    }
}

/// The metrics and dimensions on offer.
#[utoipa::path(tag = "analytics", responses(
    (status = 200, body = AnalyticsMetaResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/analytics/meta")]
pub async fn analytics_meta(_caller: OrgCaller) -> web::Json<AnalyticsMetaResponse> {
    web::Json(AnalyticsMetaResponse { data: meta() })
}

/// A time series and totals of the organization's usage: metrics by up to two dimensions,
/// per hour or day, the top `limit` by `order_by`, optionally against the previous period.
#[utoipa::path(tag = "analytics", request_body = AnalyticsQuery, responses(
    (status = 200, body = AnalyticsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[post("/analytics/query")]
pub async fn analytics_query(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<AnalyticsResponse>, ApiError> {
    let request: AnalyticsQuery = super::json::body(&req, payload).await?;
    let plan = Plan::parse(&request)?;
    let data = query::run(&state.db, Over::Org(&caller.scope), &plan).await?;
    Ok(web::Json(AnalyticsResponse { data }))
}

/// Writes the query's rules into the document's `AnalyticsQuery` schema (the shared type in
/// `api_types` cannot see the metric and dimension lists): 1 to 16 known metrics, at most two
/// distinct known dimensions, filters by known dimensions with 1 to 100 values of at most
/// 1000 characters, `granularity` `hour` or `day`, `limit` 1 to 1000, `order_by` a known
/// metric. That `end` is after `start` and the range's length are stated in words.
pub(crate) fn document_query_rules(doc: &mut serde_json::Value) {
    use serde_json::json;

    use crate::usage::query::{MAX_DIMENSIONS, MAX_FILTER_VALUES, MAX_LIMIT, MAX_METRICS};

    let schema = &mut doc["components"]["schemas"]["AnalyticsQuery"];
    if !schema.is_object() {
        return;
    }
    let metrics: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
    let dimensions: Vec<&str> = Dimension::ALL.iter().map(|d| d.name()).collect();
    let properties = &mut schema["properties"];
    properties["metrics"] = json!({ "type": "array", "items": { "type": "string", "enum": metrics },
        "minItems": 1, "maxItems": MAX_METRICS,
        "description": "One to sixteen metric names (see `/analytics/meta`)." });
    properties["dimensions"] = json!({ "type": "array",
        "items": { "type": "string", "enum": dimensions },
        "maxItems": MAX_DIMENSIONS, "uniqueItems": true,
        "description": "Up to two distinct dimensions." });
    properties["filters"] = json!({ "type": "object",
        "propertyNames": { "enum": dimensions },
        "additionalProperties": { "type": "array", "minItems": 1, "maxItems": MAX_FILTER_VALUES,
            "items": { "type": "string", "maxLength": 1000 } },
        "description": "Only rows whose dimension is one of the values (`{\"model\": [\"openai/gpt-4o\"]}`); `key` takes API key hashes." });
    properties["granularity"] = json!({ "type": ["string", "null"], "enum": ["hour", "day", null],
        "description": "`hour` (ranges up to 31 days) or `day` (up to 366 days; the default)." });
    properties["limit"] = json!({ "type": ["integer", "null"], "minimum": 1, "maximum": MAX_LIMIT,
        "description": "The top `limit` dimension values by `order_by` (default 100)." });
    let mut order_by: Vec<serde_json::Value> = metrics.iter().map(|m| json!(m)).collect();
    order_by.push(serde_json::Value::Null);
    properties["order_by"] = json!({ "type": ["string", "null"], "enum": order_by,
        "description": "The metric that ranks dimension values (default: the first metric), descending." });
    properties["end"]["description"] = json!(
        "End of the range (RFC 3339, exclusive), rounded up to the granularity: after `start`, \
         at most 31 days from it at hour granularity, 366 at day granularity."
    );
}
