//! Retention of raw generation records: with `GENERATION_RETENTION_DAYS` set, each process
//! deletes records older than that (and their stored contents, see `usage::content`), hourly, in chunks of [`CHUNK`] rows (one short
//! transaction each, so the usage writer is never blocked for long). Rollups are kept: the
//! analytics over deleted records stay as they were; only the generations list and
//! `/generation?id=` lose them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::generation;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Rows deleted per statement.
pub const CHUNK: u64 = 5_000;
const EVERY: Duration = Duration::from_secs(3_600);
/// The pause between chunks, leaving the database to other work.
const PAUSE: Duration = Duration::from_millis(50);

/// Deletes up to `chunk` records created before `cutoff`; returns how many.
pub async fn delete_chunk(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    chunk: u64,
) -> Result<u64, DbErr> {
    let oldest = Query::select()
        .column(generation::Column::Id)
        .from(generation::Entity)
        .and_where(generation::Column::CreatedAt.lt(cutoff))
        .limit(chunk)
        .to_owned();
    let deleted = generation::Entity::delete_many()
        .filter(generation::Column::Id.in_subquery(oldest))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Deletes every record created before `cutoff`, chunk by chunk, then the stored contents
/// created before it (a content is created with its record); returns how many records.
pub async fn sweep(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    chunk: u64,
) -> Result<u64, DbErr> {
    let mut total = 0;
    loop {
        let deleted = delete_chunk(db, cutoff, chunk).await?;
        total += deleted;
        if deleted < chunk {
            break;
        }
        tokio::time::sleep(PAUSE).await;
    }
    while super::content::delete_chunk(db, cutoff, chunk).await? == chunk {
        tokio::time::sleep(PAUSE).await;
    }
    Ok(total)
}

/// Sweeps hourly (first a minute after start); `days == 0` keeps records forever.
pub fn spawn(db: sea_orm::DatabaseConnection, days: u64) {
    if days == 0 {
        return;
    }
    actix_web::rt::spawn(async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            let cutoff = Utc::now() - chrono::Duration::days(days.min(36_500) as i64);
            match sweep(&db, cutoff, CHUNK).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "old generation records deleted"),
                Err(err) => tracing::warn!(%err, "deleting old generation records failed"),
            }
        }
    });
}
