//! The batched, bounded writer of generation records. Requests hand their record over after
//! the response and never wait for the database; the writer commits up to `BATCH` records per
//! transaction (the generation rows plus each key's usage counters), at least every
//! `FLUSH_EVERY`. The queue is bounded: when it is full, senders wait (backpressure) rather
//! than memory growing or records being dropped. Shutdown drains the queue.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use entity::{api_key, generation};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use tokio::sync::{mpsc, oneshot};

const QUEUE: usize = 8_192;
const BATCH: usize = 512;
const FLUSH_EVERY: Duration = Duration::from_millis(100);

enum Message {
    Record(Box<generation::Model>),
    /// Write everything queued so far, then answer.
    Flush(oneshot::Sender<()>),
    /// Flush, answer, and stop.
    Stop(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct UsageWriter {
    tx: mpsc::Sender<Message>,
}

impl UsageWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, rx));
        UsageWriter { tx }
    }

    /// Queues a record; waits only if the queue is full.
    pub async fn record(&self, record: generation::Model) {
        if self
            .tx
            .send(Message::Record(Box::new(record)))
            .await
            .is_err()
        {
            tracing::error!("usage writer stopped; a generation record was not written");
        }
    }

    /// Returns once everything queued before the call is committed (tests, shutdown).
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Message::Flush(ack)).await.is_ok() {
            done.await.ok();
        }
    }

    /// Drains the queue and stops the writer.
    pub async fn stop(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Message::Stop(ack)).await.is_ok() {
            done.await.ok();
        }
    }
}

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<Message>) {
    let mut batch: Vec<generation::Model> = Vec::with_capacity(BATCH);
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                Some(Message::Record(record)) => {
                    batch.push(*record);
                    if batch.len() >= BATCH {
                        write(&db, &mut batch).await;
                    }
                }
                Some(Message::Flush(ack)) => {
                    write(&db, &mut batch).await;
                    ack.send(()).ok();
                }
                Some(Message::Stop(ack)) => {
                    while let Ok(Message::Record(record)) = rx.try_recv() {
                        batch.push(*record);
                    }
                    write(&db, &mut batch).await;
                    ack.send(()).ok();
                    return;
                }
                None => {
                    write(&db, &mut batch).await;
                    return;
                }
            },
            _ = tick.tick() => {
                if !batch.is_empty() {
                    write(&db, &mut batch).await;
                }
            }
        }
    }
}

/// Commits the batch, retrying: a record is money, so it is not dropped lightly. After
/// repeated failures of the whole batch, records are written one by one so that one bad record
/// cannot block the others; a record that still fails is logged in full for replay.
async fn write(db: &DatabaseConnection, batch: &mut Vec<generation::Model>) {
    if batch.is_empty() {
        return;
    }
    if retry(|| write_once(db, batch), batch.len()).await {
        batch.clear();
        return;
    }
    for record in batch.drain(..) {
        let single = std::slice::from_ref(&record);
        if !retry(|| write_once(db, single), 1).await {
            tracing::error!(record = ?record, "generation record could not be written");
        }
    }
}

async fn retry<F, Fut>(mut op: F, records: usize) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), DbErr>>,
{
    let mut delay = Duration::from_millis(50);
    for attempt in 1..=5 {
        match op().await {
            Ok(()) => return true,
            Err(err) => {
                tracing::error!(attempt, records, %err, "writing generation records failed");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    false
}

async fn write_once(db: &DatabaseConnection, batch: &[generation::Model]) -> Result<(), DbErr> {
    let mut per_key: HashMap<&str, (i64, i64)> = HashMap::new();
    for record in batch {
        let entry = per_key.entry(record.api_key_hash.as_str()).or_default();
        if record.is_byok {
            entry.1 += record.cost_nanos;
        } else {
            entry.0 += record.cost_nanos;
        }
    }
    let txn = crate::db::begin_write(db).await?;
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for chunk in batch.chunks(256) {
        let rows: Vec<generation::ActiveModel> = chunk.iter().cloned().map(Into::into).collect();
        generation::Entity::insert_many(rows).exec(&txn).await?;
    }
    let now = Utc::now();
    for (hash, (usage, byok)) in per_key {
        api_key::Entity::update_many()
            .col_expr(
                api_key::Column::UsageNanos,
                Expr::col(api_key::Column::UsageNanos).add(usage),
            )
            .col_expr(
                api_key::Column::ByokUsageNanos,
                Expr::col(api_key::Column::ByokUsageNanos).add(byok),
            )
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Hash.eq(hash))
            .exec(&txn)
            .await?;
    }
    txn.commit().await
}
