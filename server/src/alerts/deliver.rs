//! The delivery worker: claims due events, POSTs each to its organization's webhook, signed,
//! and records the outcome. Several processes may run it on one database: an event is claimed
//! with a conditional update (pending, due, and not claimed by a live claim), so one process
//! sends a given attempt. A claim outlives the request's timeout, so a process that dies
//! mid-delivery leaves an event that another takes up once the claim lapses.
//!
//! Retries: after the n-th failed attempt the next waits `retry_first × 2^(n−1)`, capped at
//! `retry_max`; after `max_attempts` the event is `failed`. A 2xx answer is a delivery; any
//! other answer, a timeout or a refused address is a failure. Delivery is at least once: a
//! receiver that answered after the timeout may see an event again (the `id` tells).

use std::time::Duration;

use chrono::Utc;
use entity::alert_event;
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::events::{DELIVERED, FAILED, PENDING};
use super::{Alerts, address, settings, signature};

/// Events claimed per round (delivered concurrently).
const ROUND: u64 = 16;
/// How often the worker looks for due events when nothing wakes it (retries, other processes'
/// events).
const POLL: Duration = Duration::from_millis(250);
/// Longest error text kept on an event.
const MAX_ERROR_CHARS: usize = 300;

pub(super) async fn run(alerts: &Alerts) {
    loop {
        let claimed = match round(alerts).await {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::warn!(%err, "alert delivery: reading due events failed");
                0
            }
        };
        if claimed < ROUND as usize {
            tokio::select! {
                () = alerts.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

/// Claims up to [`ROUND`] due events and delivers them; returns how many it claimed.
async fn round(alerts: &Alerts) -> Result<usize, DbErr> {
    let now = Utc::now().timestamp_millis();
    let due = alert_event::Entity::find()
        .filter(alert_event::Column::Status.eq(PENDING))
        .filter(alert_event::Column::NextAttemptMs.lte(now))
        .filter(alert_event::Column::ClaimedUntilMs.lt(now))
        .order_by_asc(alert_event::Column::NextAttemptMs)
        .limit(ROUND)
        .all(&alerts.db)
        .await?;
    let mut claimed = Vec::new();
    for event in due {
        if claim(alerts, &event.id, now).await? {
            claimed.push(event);
        }
    }
    let count = claimed.len();
    futures_util::future::join_all(claimed.into_iter().map(|e| deliver(alerts, e))).await;
    Ok(count)
}

async fn claim(alerts: &Alerts, id: &str, now: i64) -> Result<bool, DbErr> {
    let hold = alerts.options.timeout + Duration::from_secs(30);
    let updated = alert_event::Entity::update_many()
        .col_expr(
            alert_event::Column::ClaimedUntilMs,
            Expr::value(now + hold.as_millis() as i64),
        )
        .col_expr(
            alert_event::Column::Attempts,
            Expr::col(alert_event::Column::Attempts).add(1),
        )
        .filter(alert_event::Column::Id.eq(id))
        .filter(alert_event::Column::Status.eq(PENDING))
        .filter(alert_event::Column::NextAttemptMs.lte(now))
        .filter(alert_event::Column::ClaimedUntilMs.lt(now))
        .exec(&alerts.db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// One attempt of `event` (already claimed, its `attempts` counting this one) and its outcome.
async fn deliver(alerts: &Alerts, event: alert_event::Model) {
    let attempt = event.attempts + 1;
    let outcome = send(alerts, &event).await;
    let result = match &outcome {
        Ok(status) => delivered(alerts, &event.id, *status).await,
        Err((status, error)) => failed(alerts, &event.id, attempt, *status, error).await,
    };
    match (&outcome, result) {
        (_, Err(err)) => {
            tracing::warn!(%err, event_id = %event.id, "alert delivery: recording the outcome failed")
        }
        (Ok(status), Ok(())) => {
            tracing::info!(event_id = %event.id, org_id = %event.org_id, attempt, status, "alert delivered")
        }
        (Err((status, error)), Ok(())) => {
            tracing::warn!(event_id = %event.id, org_id = %event.org_id, attempt, ?status, %error, "alert delivery failed")
        }
    }
}

/// POSTs the event; `Ok(status)` on a 2xx answer, else the status (if any) and why.
async fn send(alerts: &Alerts, event: &alert_event::Model) -> Result<u16, (Option<u16>, String)> {
    let fail = |why: String| (None, why);
    let settings = settings::of_org(&alerts.db, &event.org_id)
        .await
        .map_err(|e| fail(format!("reading the settings: {e}")))?;
    let Some(settings) = settings else {
        return Err(fail("no alert settings".into()));
    };
    let Some(url) = settings.webhook_url.as_deref() else {
        return Err(fail("no webhook URL is set".into()));
    };
    let Some(secret) = settings::open_secret(&alerts.master_key, &settings) else {
        return Err(fail(
            "the webhook secret does not open under this master key".into(),
        ));
    };
    let url = address::check_for_delivery(url, alerts.options.allow_private).map_err(fail)?;
    let body = event.payload.as_bytes().to_vec();
    let header = signature::sign(&secret, Utc::now().timestamp(), &body);
    let response = alerts
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(signature::HEADER, header)
        .header("X-Switchboard-Event", event.kind.as_str())
        .header("X-Switchboard-Event-Id", event.id.as_str())
        .body(body)
        .send()
        .await
        // The URL may carry the receiver's own token: errors are kept without it.
        .map_err(|e| fail(describe(&e.without_url())))?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("the webhook answered HTTP {status}")))
    }
}

/// The error and its causes (reqwest's own message is often just "error sending request").
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn delivered(alerts: &Alerts, id: &str, status: u16) -> Result<(), DbErr> {
    alert_event::Entity::update_many()
        .col_expr(alert_event::Column::Status, Expr::value(DELIVERED))
        .col_expr(alert_event::Column::ClaimedUntilMs, Expr::value(0i64))
        .col_expr(
            alert_event::Column::LastStatusCode,
            Expr::value(i32::from(status)),
        )
        .col_expr(
            alert_event::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(alert_event::Column::DeliveredAt, Expr::value(Utc::now()))
        .filter(alert_event::Column::Id.eq(id))
        .exec(&alerts.db)
        .await?;
    Ok(())
}

/// The wait after the `attempt`-th failure.
pub fn backoff(first: Duration, max: Duration, attempt: i32) -> Duration {
    let doublings = std::cmp::min(u32::try_from(attempt.saturating_sub(1)).unwrap_or(0), 30);
    std::cmp::min(first.saturating_mul(1 << doublings), max)
}

async fn failed(
    alerts: &Alerts,
    id: &str,
    attempt: i32,
    status: Option<u16>,
    error: &str,
) -> Result<(), DbErr> {
    let options = &alerts.options;
    let exhausted = attempt >= options.max_attempts as i32;
    let next = Utc::now().timestamp_millis()
        + backoff(options.retry_first, options.retry_max, attempt).as_millis() as i64;
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    alert_event::Entity::update_many()
        .col_expr(
            alert_event::Column::Status,
            Expr::value(if exhausted { FAILED } else { PENDING }),
        )
        .col_expr(alert_event::Column::NextAttemptMs, Expr::value(next))
        .col_expr(alert_event::Column::ClaimedUntilMs, Expr::value(0i64))
        .col_expr(
            alert_event::Column::LastStatusCode,
            Expr::value(status.map(i32::from)),
        )
        .col_expr(alert_event::Column::LastError, Expr::value(Some(error)))
        .filter(alert_event::Column::Id.eq(id))
        .exec(&alerts.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_wait_up_to_the_cap() {
        let (first, max) = (Duration::from_secs(1), Duration::from_secs(60));
        let waits: Vec<u64> = (1..=9).map(|n| backoff(first, max, n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(first, max, i32::MAX), max);
    }
}
