//! Reading generation records, always within the caller's organization: one by id, and the
//! filtered, cursor-paged list (newest first, ordered by `(created_at, id)` so that paging
//! never skips or repeats a record, ties included).

use chrono::{DateTime, TimeZone, Utc};
use entity::generation;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::accounts::tenant::OrgScope;

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    id: &str,
) -> Result<Option<generation::Model>, sea_orm::DbErr> {
    generation::Entity::find_by_id(id.to_owned())
        .filter(generation::Column::OrgId.eq(scope.org_id()))
        .one(db)
        .await
}

/// A generation's outcome, as the list filters it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Answered without an error and not cancelled.
    Success,
    /// Ended in an error (refusals included).
    Error,
    /// The client went away.
    Cancelled,
}

impl Status {
    pub fn parse(name: &str) -> Option<Status> {
        match name {
            "success" => Some(Status::Success),
            "error" => Some(Status::Error),
            "cancelled" => Some(Status::Cancelled),
            _ => None,
        }
    }

    pub fn of(g: &generation::Model) -> Status {
        Status::from_flags(g.cancelled, g.error.is_some())
    }

    /// The status of a record that was `cancelled` or ended `failed`.
    pub fn from_flags(cancelled: bool, failed: bool) -> Status {
        if cancelled {
            Status::Cancelled
        } else if failed {
            Status::Error
        } else {
            Status::Success
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Error => "error",
            Status::Cancelled => "cancelled",
        }
    }
}

/// The list's filters (all optional, all combined).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub model: Option<String>,
    pub api_key_hash: Option<String>,
    pub provider: Option<String>,
    pub status: Option<Status>,
    /// As `rollup::app_of` (and `rollup::APP_SQL`) define the app.
    pub app: Option<String>,
    /// `created_at >= since`.
    pub since: Option<DateTime<Utc>>,
    /// `created_at < until`.
    pub until: Option<DateTime<Utc>>,
}

/// A position in the list: records strictly older than `(created_at, id)` follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    pub fn after(g: &generation::Model) -> Cursor {
        Cursor {
            created_at: g.created_at,
            id: g.id.clone(),
        }
    }

    /// `<nanoseconds since the epoch>_<id>`.
    pub fn encode(&self) -> String {
        let nanos = self.created_at.timestamp_nanos_opt().unwrap_or(0);
        format!("{nanos}_{}", self.id)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let (nanos, id) = text.split_once('_')?;
        let nanos: i64 = nanos.parse().ok()?;
        if id.is_empty() || id.len() > 200 {
            return None;
        }
        Some(Cursor {
            created_at: Utc.timestamp_nanos(nanos),
            id: id.to_owned(),
        })
    }
}

/// The records of the organization matching `filter` after `cursor`, newest first.
fn matching(
    scope: &OrgScope,
    filter: &Filter,
    cursor: Option<&Cursor>,
) -> Select<generation::Entity> {
    use generation::Column as C;
    let mut query = generation::Entity::find().filter(C::OrgId.eq(scope.org_id()));
    if let Some(model) = &filter.model {
        query = query.filter(C::Model.eq(model.as_str()));
    }
    if let Some(key) = &filter.api_key_hash {
        query = query.filter(C::ApiKeyHash.eq(key.as_str()));
    }
    if let Some(provider) = &filter.provider {
        query = query.filter(C::Provider.eq(provider.as_str()));
    }
    query = match filter.status {
        None => query,
        Some(Status::Cancelled) => query.filter(C::Cancelled.eq(true)),
        Some(Status::Error) => query
            .filter(C::Cancelled.eq(false))
            .filter(C::Error.is_not_null()),
        Some(Status::Success) => query
            .filter(C::Cancelled.eq(false))
            .filter(C::Error.is_null()),
    };
    if let Some(app) = &filter.app {
        // `rollup::APP_SQL`, built so that each dialect gets its own placeholder.
        let app_of = Func::coalesce([
            Expr::cust("NULLIF(http_referer, '')"),
            Expr::col(C::AppTitle),
            Expr::val(""),
        ]);
        query = query.filter(Expr::expr(app_of).eq(app.as_str()));
    }
    if let Some(since) = filter.since {
        query = query.filter(C::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(C::CreatedAt.lt(until));
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            C::CreatedAt.lt(cursor.created_at).or(C::CreatedAt
                .eq(cursor.created_at)
                .and(C::Id.lt(cursor.id.as_str()))),
        );
    }
    query.order_by_desc(C::CreatedAt).order_by_desc(C::Id)
}

/// Up to `limit` records of the organization matching `filter`, newest first, after `cursor`.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<generation::Model>, sea_orm::DbErr> {
    matching(scope, filter, cursor).limit(limit).all(db).await
}

/// The columns of a record that the CSV export writes: [`list`] reads them only, since the
/// others (the attempts' JSON above all) cost most of a full record's decoding.
#[derive(Debug, FromQueryResult)]
pub struct ExportRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub model: String,
    pub provider: Option<String>,
    pub api_key_hash: String,
    pub cancelled: bool,
    pub error: Option<String>,
    pub http_referer: Option<String>,
    pub app_title: Option<String>,
    pub api_type: String,
    pub streamed: bool,
    pub tokens_prompt: i64,
    pub tokens_completion: i64,
    pub tokens_reasoning: i64,
    pub cost_nanos: i64,
    pub is_byok: bool,
    pub latency_ms: Option<i64>,
    pub generation_time_ms: Option<i64>,
    pub finish_reason: Option<String>,
}

/// [`list`] for the CSV export: the [`ExportRow`] columns only.
pub async fn list_for_export(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<ExportRow>, sea_orm::DbErr> {
    use generation::Column as C;
    matching(scope, filter, cursor)
        .select_only()
        .columns([
            C::Id,
            C::CreatedAt,
            C::Model,
            C::Provider,
            C::ApiKeyHash,
            C::Cancelled,
            C::Error,
            C::HttpReferer,
            C::AppTitle,
            C::ApiType,
            C::Streamed,
            C::TokensPrompt,
            C::TokensCompletion,
            C::TokensReasoning,
            C::CostNanos,
            C::IsByok,
            C::LatencyMs,
            C::GenerationTimeMs,
            C::FinishReason,
        ])
        .limit(limit)
        .into_model::<ExportRow>()
        .all(db)
        .await
}
