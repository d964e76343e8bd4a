//! How a change made on one replica reaches the others: every replica polls a cheap
//! fingerprint of the table holding such changes (row count and newest `updated_at`) and
//! reloads the table when the fingerprint moves. Edits move the timestamp, deletions the count.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect};

pub type Fingerprint = (u64, Option<DateTime<Utc>>);

/// Row count and newest `updated_at` of `E`'s table.
pub async fn of<E>(db: &impl ConnectionTrait, updated_at: E::Column) -> Result<Fingerprint, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let count = E::find().count(db).await?;
    let latest: Option<DateTime<Utc>> = E::find()
        .select_only()
        .column(updated_at)
        .order_by_desc(updated_at)
        .into_tuple()
        .one(db)
        .await?;
    Ok((count, latest))
}

/// Polls `fingerprint(context)` every `every` and calls `reload(context)` on the first tick
/// (so a change made between the start-up load and this task's start is not missed) and
/// whenever the fingerprint moves. `reload` returns false to be retried on the next tick.
pub fn watch<C: 'static>(
    what: &'static str,
    every: Duration,
    context: C,
    fingerprint: impl AsyncFn(&C) -> Result<Fingerprint, DbErr> + 'static,
    reload: impl AsyncFn(&C) -> bool + 'static,
) {
    actix_web::rt::spawn(async move {
        let mut seen = None;
        let mut tick = actix_web::rt::time::interval(every);
        loop {
            tick.tick().await;
            let now = match fingerprint(&context).await {
                Ok(now) => now,
                Err(err) => {
                    tracing::warn!(%err, what, "reading a change fingerprint failed");
                    continue;
                }
            };
            if seen.as_ref() != Some(&now) && reload(&context).await {
                seen = Some(now);
            }
        }
    });
}
