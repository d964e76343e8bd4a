//! The organization's generations: `GET /generations` (filtered, cursor-paged, newest first)
//! and `GET /generations/export` (the same filtered list as CSV, streamed page by page, never
//! held whole in memory). A member's session or a management key.

use actix_web::{HttpRequest, HttpResponse, get, web};
use api_types::analytics::{GenerationPage, GenerationSummary};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use entity::generation;
use serde::Deserialize;

use super::analytics::is_key_hash;
use super::error::{ApiError, extractors};
use super::extract::OrgCaller;
use super::openapi::ErrorBody;
use super::paging::PerPage;
use crate::accounts::tenant::OrgScope;
use crate::billing::money::Nanos;
use crate::state::AppState;
use crate::usage::generations::{self, Cursor, ExportRow, Filter, Status};
use crate::usage::rollup::{app_from, app_of};

/// Rows per database read of the CSV export.
const EXPORT_PAGE: u64 = 1_000;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GenerationsQuery {
    /// Only this model (the one that served).
    #[param(max_length = 1000)]
    pub model: Option<String>,
    /// Only this API key's (its hash); a key of another organization matches nothing.
    #[param(pattern = "^[0-9a-f]{64}$")]
    pub api_key_hash: Option<String>,
    /// Only this provider.
    #[param(max_length = 1000)]
    pub provider: Option<String>,
    /// `success`, `error` or `cancelled`.
    #[param(pattern = "^(success|error|cancelled)$")]
    pub status: Option<String>,
    /// Only this app (the HTTP-Referer, else the X-Title, the requests sent).
    #[param(max_length = 1000)]
    pub app: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub start: Option<String>,
    /// Created before (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub end: Option<String>,
    /// Records older than this cursor (the previous page's `next_before`); list only.
    pub before: Option<String>,
    /// Records per page, 1 to 100 (default 50); list only.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub per_page: Option<PerPage>,
}

/// The export's parameters: the list's filters, without its paging (document only; the
/// export reads [`GenerationsQuery`] and refuses `before` and `per_page`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportQuery {
    /// Only this model (the one that served).
    #[param(max_length = 1000)]
    model: Option<String>,
    /// Only this API key's (its hash); a key of another organization matches nothing.
    #[param(pattern = "^[0-9a-f]{64}$")]
    api_key_hash: Option<String>,
    /// Only this provider.
    #[param(max_length = 1000)]
    provider: Option<String>,
    /// `success`, `error` or `cancelled`.
    #[param(pattern = "^(success|error|cancelled)$")]
    status: Option<String>,
    /// Only this app (the HTTP-Referer, else the X-Title, the requests sent).
    #[param(max_length = 1000)]
    app: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    start: Option<String>,
    /// Created before (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    end: Option<String>,
}

fn time(text: Option<&str>, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| ApiError::bad_request(format!("{field}: must be an RFC 3339 date-time")))
    })
    .transpose()
}

fn bounded(value: Option<String>, field: &str) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > 1_000 => Err(ApiError::bad_request(format!(
            "{field}: at most 1000 characters"
        ))),
        other => Ok(other),
    }
}

impl GenerationsQuery {
    fn filter(&self) -> Result<Filter, ApiError> {
        let status = self
            .status
            .as_deref()
            .map(|s| {
                Status::parse(s).ok_or_else(|| {
                    ApiError::bad_request("status: must be success, error or cancelled")
                })
            })
            .transpose()?;
        if let Some(hash) = &self.api_key_hash
            && !is_key_hash(hash)
        {
            return Err(ApiError::bad_request(
                "api_key_hash: must be a key hash (64 lower-case hex digits)",
            ));
        }
        let since = time(self.start.as_deref(), "start")?;
        let until = time(self.end.as_deref(), "end")?;
        if let (Some(s), Some(u)) = (since, until)
            && u <= s
        {
            return Err(ApiError::bad_request("end: must be after start"));
        }
        Ok(Filter {
            model: bounded(self.model.clone(), "model")?,
            api_key_hash: self.api_key_hash.clone(),
            provider: bounded(self.provider.clone(), "provider")?,
            status,
            app: bounded(self.app.clone(), "app")?,
            since,
            until,
        })
    }
}

fn summary(g: generation::Model) -> GenerationSummary {
    let app = Some(app_of(&g).to_owned()).filter(|a| !a.is_empty());
    GenerationSummary {
        status: Status::of(&g).as_str().into(),
        total_cost: Nanos::from_nanos(g.cost_nanos).into(),
        app,
        id: g.id,
        created_at: g.created_at,
        model: g.model,
        provider_name: g.provider,
        api_key_hash: g.api_key_hash,
        api_type: g.api_type,
        streamed: g.streamed,
        tokens_prompt: g.tokens_prompt,
        tokens_completion: g.tokens_completion,
        tokens_reasoning: g.tokens_reasoning,
        is_byok: g.is_byok,
        latency: g.latency_ms,
        generation_time: g.generation_time_ms,
        finish_reason: g.finish_reason,
        error: g.error,
    }
}

/// The organization's generations, newest first, filtered, with cursor paging.
#[utoipa::path(tag = "analytics", params(GenerationsQuery), responses(
    (status = 200, body = GenerationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/generations")]
pub async fn list(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<GenerationPage>, ApiError> {
    let query: GenerationsQuery = extractors::query(&req)?;
    let filter = query.filter()?;
    let before = query
        .before
        .as_deref()
        .map(|text| {
            Cursor::decode(text).ok_or_else(|| {
                ApiError::bad_request("before: not a cursor of this listing (use next_before)")
            })
        })
        .transpose()?;
    let limit = query.per_page.map_or(50, PerPage::get);
    let mut rows = generations::list(
        &state.db,
        &caller.scope,
        &filter,
        before.as_ref(),
        limit + 1,
    )
    .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_before = if more {
        rows.last().map(|g| Cursor::after(g).encode())
    } else {
        None
    };
    Ok(web::Json(GenerationPage {
        data: rows.into_iter().map(summary).collect(),
        next_before,
    }))
}

/// The CSV header of the export.
pub const CSV_HEADER: &str = "id,created_at,model,provider,api_key_hash,status,app,api_type,streamed,tokens_prompt,tokens_completion,tokens_reasoning,total_cost_usd,is_byok,latency_ms,generation_time_ms,finish_reason,error\r\n";

/// A CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled.
pub fn csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn csv_row(out: &mut String, g: &ExportRow) {
    let cost = serde_json::to_string(&api_types::Usd::from(Nanos::from_nanos(g.cost_nanos)))
        .unwrap_or_default();
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let fields: [String; 18] = [
        g.id.clone(),
        g.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        g.model.clone(),
        g.provider.clone().unwrap_or_default(),
        g.api_key_hash.clone(),
        Status::from_flags(g.cancelled, g.error.is_some())
            .as_str()
            .into(),
        app_from(g.http_referer.as_deref(), g.app_title.as_deref()).into(),
        g.api_type.clone(),
        g.streamed.to_string(),
        g.tokens_prompt.to_string(),
        g.tokens_completion.to_string(),
        g.tokens_reasoning.to_string(),
        cost,
        g.is_byok.to_string(),
        opt(g.latency_ms),
        opt(g.generation_time_ms),
        g.finish_reason.clone().unwrap_or_default(),
        g.error.clone().unwrap_or_default(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, field);
    }
    out.push_str("\r\n");
}

/// Where the export stands between pages.
struct Export {
    db: sea_orm::DatabaseConnection,
    scope: OrgScope,
    filter: Filter,
    cursor: Option<Cursor>,
    header: bool,
    done: bool,
}

/// The organization's generations as CSV (the list's filters; paging parameters are
/// refused), newest first, streamed.
#[utoipa::path(tag = "analytics", params(ExportQuery), responses(
    (status = 200, content_type = "text/csv", body = String, description = "One header line, then one line per generation"),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/generations/export")]
pub async fn export(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query: GenerationsQuery = extractors::query(&req)?;
    if query.before.is_some() || query.per_page.is_some() {
        return Err(ApiError::bad_request(
            "before, per_page: the export takes the whole filtered list",
        ));
    }
    let filter = query.filter()?;
    let start = Export {
        db: state.db.clone(),
        scope: caller.scope,
        filter,
        cursor: None,
        header: true,
        done: false,
    };
    let body = futures_util::stream::unfold(start, |mut export| async move {
        if export.done {
            return None;
        }
        let mut out = String::new();
        if std::mem::take(&mut export.header) {
            out.push_str(CSV_HEADER);
        }
        let page = generations::list_for_export(
            &export.db,
            &export.scope,
            &export.filter,
            export.cursor.as_ref(),
            EXPORT_PAGE,
        )
        .await;
        match page {
            Ok(rows) => {
                export.done = (rows.len() as u64) < EXPORT_PAGE;
                export.cursor = rows.last().map(|last| Cursor {
                    created_at: last.created_at,
                    id: last.id.clone(),
                });
                for row in &rows {
                    csv_row(&mut out, row);
                }
                Some((Ok::<_, actix_web::Error>(Bytes::from(out)), export))
            }
            Err(err) => {
                // The status is sent already: end the body early, loudly in the log.
                tracing::error!(%err, "generations export failed");
                export.done = true;
                Some((
                    Err(actix_web::error::ErrorInternalServerError("export failed")),
                    export,
                ))
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"generations.csv\"",
        ))
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        let field = |v: &str| {
            let mut out = String::new();
            csv_field(&mut out, v);
            out
        };
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }
}
