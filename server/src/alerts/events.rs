//! Alert events: the outbox rows the checker inserts and the delivery worker sends, and the
//! organization's list of them (newest first, cursor paged).

use api_types::alerts::AlertEvent;
use chrono::{DateTime, Utc};
use entity::alert_event;
use sea_orm::ExprTrait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use super::{AlertError, Alerts, settings};
use crate::accounts::organizations::require_manager;
use crate::accounts::tenant::OrgScope;
use crate::ids::new_id;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// An event to insert. `dedupe_key` names what it reports (one crossing, see `detect`).
pub(super) struct NewEvent<'a> {
    pub org_id: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub dedupe_key: String,
    pub data: Value,
}

/// Inserts the event unless one with its `dedupe_key` exists; `true` when inserted.
pub(super) async fn insert(db: &impl ConnectionTrait, new: NewEvent<'_>) -> Result<bool, DbErr> {
    let id = new_id("alrt");
    let now = Utc::now();
    // The body every attempt sends, fixed now so that each is signed over the same bytes.
    let payload = json!({
        "id": id,
        "type": new.kind,
        "created_at": now,
        "organization_id": new.org_id,
        "data": new.data,
    })
    .to_string();
    let inserted = alert_event::Entity::insert(alert_event::ActiveModel {
        id: Set(id),
        org_id: Set(new.org_id.to_owned()),
        kind: Set(new.kind.to_owned()),
        subject: Set(new.subject.to_owned()),
        dedupe_key: Set(new.dedupe_key),
        payload: Set(payload),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_ms: Set(now.timestamp_millis()),
        claimed_until_ms: Set(0),
        last_status_code: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(alert_event::Column::DedupeKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// A position in the list: events strictly older than `(created_at, id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    /// `<unix nanoseconds>.<id>` (the stored time's full precision).
    pub fn encode(&self) -> String {
        let nanos = self.created_at.timestamp_nanos_opt().unwrap_or(i64::MAX);
        format!("{nanos}.{}", self.id)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let (nanos, id) = text.split_once('.')?;
        if id.is_empty() || nanos.is_empty() || !nanos.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Cursor {
            created_at: DateTime::from_timestamp_nanos(nanos.parse().ok()?),
            id: id.to_owned(),
        })
    }
}

/// The organization's events, newest first, older than `before`; at most `limit`.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    before: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<alert_event::Model>, DbErr> {
    let mut query =
        alert_event::Entity::find().filter(alert_event::Column::OrgId.eq(scope.org_id()));
    if let Some(cursor) = before {
        query = query.filter(
            alert_event::Column::CreatedAt
                .lt(cursor.created_at)
                .or(alert_event::Column::CreatedAt
                    .eq(cursor.created_at)
                    .and(alert_event::Column::Id.lt(cursor.id.as_str()))),
        );
    }
    query
        .order_by_desc(alert_event::Column::CreatedAt)
        .order_by_desc(alert_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub fn cursor(row: &alert_event::Model) -> Cursor {
    Cursor {
        created_at: row.created_at,
        id: row.id.clone(),
    }
}

pub fn view(row: alert_event::Model) -> AlertEvent {
    AlertEvent {
        next_attempt_at: (row.status == PENDING)
            .then(|| DateTime::from_timestamp_millis(row.next_attempt_ms))
            .flatten(),
        payload: serde_json::from_str(&row.payload).unwrap_or(Value::Null),
        id: row.id,
        kind: row.kind,
        status: row.status,
        attempts: row.attempts,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
    }
}

/// Queues a `test` event to the organization's webhook (owner, admin or management key), at
/// most `tests_per_minute` (`ALERT_TESTS_PER_MINUTE`) in any minute.
pub async fn send_test(
    alerts: &Alerts,
    scope: &OrgScope,
) -> Result<alert_event::Model, AlertError> {
    require_manager(scope)?;
    let configured = settings::get(&alerts.db, scope)
        .await?
        .is_some_and(|s| s.webhook_url.is_some());
    if !configured {
        return Err(settings::no_webhook());
    }
    // Each test is a real delivery to someone's URL: bounded per organization, counted in the
    // database so that replicas share the count (two requests at the same instant may both
    // pass: the bound is against floods, not exact).
    let max = alerts.options.tests_per_minute;
    let recent = alert_event::Entity::find()
        .filter(alert_event::Column::OrgId.eq(scope.org_id()))
        .filter(alert_event::Column::Kind.eq("test"))
        .filter(alert_event::Column::CreatedAt.gt(Utc::now() - chrono::Duration::seconds(60)))
        .order_by_desc(alert_event::Column::CreatedAt)
        .limit(u64::from(max))
        .all(&alerts.db)
        .await?;
    if let Some(oldest) = recent.last().filter(|_| recent.len() >= max as usize) {
        let frees_at = oldest.created_at + chrono::Duration::seconds(60);
        let retry_after_secs = (frees_at - Utc::now()).num_seconds().clamp(1, 60) as u64;
        return Err(AlertError::TooManyTests {
            max,
            retry_after_secs,
        });
    }
    let dedupe_key = format!("test:{}", new_id("t"));
    insert(
        &alerts.db,
        NewEvent {
            org_id: scope.org_id(),
            kind: "test",
            subject: "",
            dedupe_key: dedupe_key.clone(),
            data: json!({ "message": "A test alert from Switchboard" }),
        },
    )
    .await?;
    alerts.wake_delivery();
    let row = alert_event::Entity::find()
        .filter(alert_event::Column::DedupeKey.eq(dedupe_key))
        .one(&alerts.db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the test event just inserted".into()))?;
    Ok(row)
}
