//! Crossings. An alert's state row says whether it has fired; a check compares the current
//! figure with the threshold and
//! - fires an alert that is reached and armed: one transaction flips the state with a
//!   conditional update (`fired = false` → `true`, counting the crossing) and inserts the event
//!   named by that crossing, so that concurrent checks (two processes, the sweep and a commit)
//!   report it once;
//! - re-arms an alert that has fired and is no longer reached: the balance is back at or above
//!   the threshold, or the key's spend in its limit period is below the level again (the
//!   period turned, the limit was raised).
//!
//! Levels are compared in exact integers: spend × 100 ≥ limit × percent.
//!
//! Reservations refuse a request its key's remaining limit cannot cover, so a key's spend
//! stops short of its limit and the 100 % level alone would seldom be reached. A key past its
//! 80 % level that has refused a request for its limit counts as at 100 % too: since the start
//! of its limit period or its last change (a raised limit re-arms it), whichever is later.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{alert_setting, alert_state, api_key, generation, org_credit};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::{Value, json};

use super::Alerts;
use super::events::{self, NewEvent};
use crate::accounts::api_keys::{KeyUsage, LimitReset};
use crate::billing::money::Nanos;
use crate::billing::periods::Periods;
use crate::inference::funding::KEY_LIMIT_REFUSAL;

pub const LOW_BALANCE: &str = "low_balance";
/// Key spend levels, in percent of the limit, and their kinds.
pub const KEY_LEVELS: [(i128, &str); 2] = [(80, "key_spend_80"), (100, "key_spend_100")];

/// Checks every organization with a webhook (the periodic sweep).
pub async fn sweep(alerts: &Alerts) -> Result<(), DbErr> {
    let orgs: Vec<String> = alert_setting::Entity::find()
        .select_only()
        .column(alert_setting::Column::OrgId)
        .filter(alert_setting::Column::WebhookUrl.is_not_null())
        .into_tuple()
        .all(&alerts.db)
        .await?;
    alerts.watch_orgs(orgs.iter().cloned().collect());
    for org in orgs {
        if let Err(err) = check_org(alerts, &org).await {
            tracing::warn!(%err, org_id = %org, "checking alert thresholds failed");
        }
    }
    Ok(())
}

/// One alert as the current figures have it.
struct Judged {
    kind: &'static str,
    subject: String,
    reached: bool,
    data: Value,
}

/// Checks one organization's alerts, firing and re-arming as the figures say.
pub async fn check_org(alerts: &Alerts, org_id: &str) -> Result<(), DbErr> {
    let db = &alerts.db;
    let Some(settings) = super::settings::of_org(db, org_id).await? else {
        return Ok(());
    };
    if settings.webhook_url.is_none() {
        return Ok(());
    }
    let mut judged = Vec::new();
    if let Some(threshold) = settings.low_balance_threshold_nanos {
        let balance = org_credit::Entity::find_by_id(org_id.to_owned())
            .one(db)
            .await?
            .map_or(0, |c| c.balance_nanos);
        judged.push(Judged {
            kind: LOW_BALANCE,
            subject: String::new(),
            reached: balance < threshold,
            data: json!({
                "balance": Nanos::from_nanos(balance),
                "threshold": Nanos::from_nanos(threshold),
            }),
        });
    }
    if settings.key_spend_alerts {
        let keys = api_key::Entity::find()
            .filter(api_key::Column::OrgId.eq(org_id))
            .filter(api_key::Column::Kind.eq("inference"))
            .filter(api_key::Column::LimitNanos.is_not_null())
            .all(db)
            .await?;
        let now = Utc::now();
        for key in keys {
            let limit = key.limit_nanos.unwrap_or(0);
            let spend = KeyUsage::of(&key, now).in_limit_window(&key);
            let at_level = |percent: i128| {
                spend.is_positive()
                    && i128::from(spend.as_nanos()) * 100 >= i128::from(limit) * percent
            };
            // Only a key past 80 % and short of 100 % needs the refusals looked up.
            let window = key.limit_reset.as_deref().and_then(LimitReset::parse);
            let window_start = window.map_or(DateTime::<Utc>::MIN_UTC, |reset| {
                Periods::at(now).start(reset)
            });
            let since = std::cmp::max(window_start, key.updated_at);
            let refused =
                at_level(80) && !at_level(100) && refused_for_limit(db, &key, since).await?;
            for (percent, kind) in KEY_LEVELS {
                let reached = at_level(percent) || (percent == 100 && refused);
                judged.push(Judged {
                    kind,
                    subject: key.hash.clone(),
                    reached,
                    data: json!({
                        "key_hash": key.hash,
                        "key_name": key.name,
                        "key_label": key.label,
                        "percent": percent as i64,
                        "limit": Nanos::from_nanos(limit),
                        "usage": spend,
                        "limit_reset": key.limit_reset,
                        "refused": percent == 100 && refused,
                    }),
                });
            }
        }
    }
    let states: HashMap<(String, String), bool> = alert_state::Entity::find()
        .filter(alert_state::Column::OrgId.eq(org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| ((s.kind, s.subject), s.fired))
        .collect();
    let mut fired_any = false;
    for alert in judged {
        let fired = states
            .get(&(alert.kind.to_owned(), alert.subject.clone()))
            .copied()
            .unwrap_or(false);
        if alert.reached && !fired {
            fired_any |= fire(db, org_id, alert).await?;
        } else if !alert.reached && fired {
            rearm(db, org_id, alert.kind, &alert.subject).await?;
        }
    }
    if fired_any {
        alerts.wake_delivery();
    }
    Ok(())
}

/// Whether a request was refused for the key's limit since `since`: its record has status 402
/// and the key-limit message. The partial index `idx_generations_key_refused` (402 records
/// only) makes this a short index read; its condition is written as a literal so that both
/// databases' planners can use it.
async fn refused_for_limit(
    db: &DatabaseConnection,
    key: &api_key::Model,
    since: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let found = generation::Entity::find()
        .select_only()
        .column(generation::Column::Id)
        .filter(Expr::cust("status = 402"))
        .filter(generation::Column::ApiKeyHash.eq(key.hash.as_str()))
        .filter(generation::Column::CreatedAt.gte(since))
        .filter(generation::Column::Error.starts_with(KEY_LIMIT_REFUSAL))
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Flips the alert to fired and inserts its event, in one transaction; `false` when another
/// check fired it first.
async fn fire(db: &DatabaseConnection, org_id: &str, alert: Judged) -> Result<bool, DbErr> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    alert_state::Entity::insert(alert_state::ActiveModel {
        org_id: Set(org_id.to_owned()),
        kind: Set(alert.kind.to_owned()),
        subject: Set(alert.subject.clone()),
        fired: Set(false),
        crossings: Set(0),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            alert_state::Column::OrgId,
            alert_state::Column::Kind,
            alert_state::Column::Subject,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let flipped = alert_state::Entity::update_many()
        .col_expr(alert_state::Column::Fired, Expr::value(true))
        .col_expr(
            alert_state::Column::Crossings,
            Expr::col(alert_state::Column::Crossings).add(1),
        )
        .col_expr(alert_state::Column::UpdatedAt, Expr::value(now))
        .filter(alert_state::Column::OrgId.eq(org_id))
        .filter(alert_state::Column::Kind.eq(alert.kind))
        .filter(alert_state::Column::Subject.eq(alert.subject.as_str()))
        .filter(alert_state::Column::Fired.eq(false))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !flipped {
        txn.rollback().await?;
        return Ok(false);
    }
    let crossings = alert_state::Entity::find_by_id((
        org_id.to_owned(),
        alert.kind.to_owned(),
        alert.subject.clone(),
    ))
    .one(&txn)
    .await?
    .map_or(0, |s| s.crossings);
    let inserted = events::insert(
        &txn,
        NewEvent {
            org_id,
            kind: alert.kind,
            subject: &alert.subject,
            dedupe_key: format!("{org_id}:{}:{}:{crossings}", alert.kind, alert.subject),
            data: alert.data,
        },
    )
    .await?;
    txn.commit().await?;
    if inserted {
        tracing::info!(
            org_id,
            kind = alert.kind,
            crossing = crossings,
            "alert raised"
        );
    }
    Ok(inserted)
}

async fn rearm(
    db: &DatabaseConnection,
    org_id: &str,
    kind: &str,
    subject: &str,
) -> Result<(), DbErr> {
    alert_state::Entity::update_many()
        .col_expr(alert_state::Column::Fired, Expr::value(false))
        .col_expr(alert_state::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(alert_state::Column::OrgId.eq(org_id))
        .filter(alert_state::Column::Kind.eq(kind))
        .filter(alert_state::Column::Subject.eq(subject))
        .filter(alert_state::Column::Fired.eq(true))
        .exec(db)
        .await?;
    Ok(())
}
