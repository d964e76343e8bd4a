//! The batched, bounded writer of generation records. Requests hand their record over after
//! the response and never wait for the database; the writer commits up to `BATCH` records per
//! transaction (the generation rows plus each key's usage counters), at least every
//! `FLUSH_EVERY`. The queue is bounded: when it is full, senders wait (backpressure) rather
//! than memory growing or records being dropped. Shutdown drains the queue.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use entity::generation;
use sea_orm::sqlx::PgPool;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{DatabaseBackend, DbErr};
use tokio::sync::{Notify, mpsc, oneshot};

use super::sqlite_batch::SqliteBatches;

const QUEUE: usize = 8_192;
const BATCH: usize = 512;
const FLUSH_EVERY: Duration = Duration::from_millis(100);

enum Control {
    /// Write everything queued so far, then answer.
    Flush(oneshot::Sender<()>),
    /// Flush, answer, and stop.
    Stop(oneshot::Sender<()>),
}

/// Records travel on their own channel that the writer never waits on: it drains it on its
/// tick, or when a sender sees a full batch waiting. So handing over a record costs no wake-up
/// of the writer's thread (a context switch per request, measurable on a busy 2-core host).
/// A record still to be assembled: the writer's thread builds it, so that assembling (and
/// serializing the attempts) costs the request nothing.
type Pending = Box<dyn FnOnce() -> generation::Model + Send>;

#[derive(Clone)]
pub struct UsageWriter {
    records: mpsc::Sender<Pending>,
    control: mpsc::Sender<Control>,
    batch_ready: Arc<Notify>,
}

impl UsageWriter {
    /// Starts the writer on a thread of its own that runs at idle CPU priority, with its
    /// own database connection opened on that thread (SQLite's work then runs on that thread;
    /// a PostgreSQL connection's driver tasks too). Commits then yield the CPU to request
    /// handling: on a busy host they no longer add milliseconds to the requests that happen
    /// to coincide with a batch. Under sustained
    /// overload the writer still gets its share: once the queue is full, senders wait.
    pub async fn start(database_url: &str) -> Result<Self, DbErr> {
        let (records, rx) = mpsc::channel(QUEUE);
        let (control, control_rx) = mpsc::channel(16);
        let batch_ready = Arc::new(Notify::new());
        let (connected_tx, connected) = oneshot::channel();
        let url = database_url.to_owned();
        let notify = batch_ready.clone();
        std::thread::Builder::new()
            .name("usage-writer".into())
            .spawn(move || {
                lower_priority();
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        connected_tx.send(Err(DbErr::Custom(err.to_string()))).ok();
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Store::open(&url).await {
                        Ok(store) => {
                            connected_tx.send(Ok(())).ok();
                            run(store, rx, control_rx, notify).await;
                        }
                        Err(err) => {
                            connected_tx.send(Err(err)).ok();
                        }
                    }
                });
            })
            .map_err(|e| DbErr::Custom(format!("cannot start the usage writer: {e}")))?;
        connected
            .await
            .map_err(|_| DbErr::Custom("the usage writer stopped while starting".into()))??;
        Ok(UsageWriter {
            records,
            control,
            batch_ready,
        })
    }

    /// Queues a record that `assemble` builds later, on the writer's thread; waits only if the
    /// queue is full.
    pub async fn record_with(&self, assemble: impl FnOnce() -> generation::Model + Send + 'static) {
        let record: Pending = Box::new(assemble);
        let sent = match self.records.try_send(record) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(record)) => {
                // Backpressure: wake the writer and wait for room.
                self.batch_ready.notify_one();
                self.records.send(record).await.map_err(drop)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
        };
        if sent.is_err() {
            tracing::error!("usage writer stopped; a generation record was not written");
            return;
        }
        if QUEUE - self.records.capacity() >= BATCH {
            self.batch_ready.notify_one();
        }
    }

    /// Returns once everything queued before the call is committed (tests, shutdown).
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.control.send(Control::Flush(ack)).await.is_ok() {
            done.await.ok();
        }
    }

    /// Drains the queue and stops the writer.
    pub async fn stop(&self) {
        let (ack, done) = oneshot::channel();
        if self.control.send(Control::Stop(ack)).await.is_ok() {
            done.await.ok();
        }
    }
}

/// Where batches go: one connection, as the writer is a single sequential consumer.
enum Store {
    /// Written synchronously on the writer's own thread (see [`super::sqlite_batch`]).
    Sqlite(SqliteBatches),
    Postgres(PgPool),
}

impl Store {
    async fn open(url: &str) -> Result<Store, DbErr> {
        if url.starts_with("sqlite:") {
            // The file as sqlx resolves the URL, so both open the same database.
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbErr::Custom(format!("invalid SQLite URL: {e}")))?;
            let batches = SqliteBatches::open(options.get_filename())
                .map_err(|e| DbErr::Custom(format!("cannot open the SQLite database: {e}")))?;
            return Ok(Store::Sqlite(batches));
        }
        let db = crate::db::connect(url, 1).await?;
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                Ok(Store::Postgres(db.get_postgres_connection_pool().clone()))
            }
            other => Err(DbErr::Custom(format!("unsupported database: {other:?}"))),
        }
    }

    async fn write(&mut self, batch: &[generation::Model]) -> Result<(), DbErr> {
        let now = chrono::Utc::now();
        match self {
            Store::Sqlite(batches) => batches
                .write(batch, now)
                .map_err(|e| DbErr::Custom(e.to_string())),
            Store::Postgres(pool) => super::batch_sql::write_postgres(pool, batch, now)
                .await
                .map_err(|e| DbErr::Custom(e.to_string())),
        }
    }
}

async fn run(
    mut store: Store,
    mut records: mpsc::Receiver<Pending>,
    mut control: mpsc::Receiver<Control>,
    batch_ready: Arc<Notify>,
) {
    let mut batch: Vec<generation::Model> = Vec::with_capacity(BATCH);
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stop = tokio::select! {
            message = control.recv() => match message {
                Some(Control::Flush(ack)) => {
                    drain(&mut store, &mut records, &mut batch).await;
                    ack.send(()).ok();
                    false
                }
                Some(Control::Stop(ack)) => {
                    drain(&mut store, &mut records, &mut batch).await;
                    ack.send(()).ok();
                    true
                }
                None => {
                    drain(&mut store, &mut records, &mut batch).await;
                    true
                }
            },
            _ = batch_ready.notified() => {
                drain(&mut store, &mut records, &mut batch).await;
                false
            }
            _ = tick.tick() => {
                drain(&mut store, &mut records, &mut batch).await;
                false
            }
        };
        if stop {
            return;
        }
    }
}

/// Writes everything queued now, `BATCH` records per transaction.
async fn drain(
    store: &mut Store,
    records: &mut mpsc::Receiver<Pending>,
    batch: &mut Vec<generation::Model>,
) {
    loop {
        while batch.len() < BATCH {
            match records.try_recv() {
                Ok(assemble) => batch.push(assemble()),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            return;
        }
        let full = batch.len() >= BATCH;
        write(store, batch).await;
        if !full {
            return;
        }
    }
}

/// Puts the calling thread in Linux's idle scheduling class (and, through inheritance, the
/// threads it creates). Such threads run whenever a core would otherwise idle but give way at
/// once to request handling; nice alone still lets a batch delay a waking request by a whole
/// scheduler slice (milliseconds). Best effort: where it fails the writer keeps normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread's own scheduling attributes.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
        }
    }
}

/// Commits the batch, retrying: a record is money, so it is not dropped lightly. After
/// repeated failures of the whole batch, records are written one by one so that one bad record
/// cannot block the others; a record that still fails is logged in full for replay.
async fn write(store: &mut Store, batch: &mut Vec<generation::Model>) {
    if batch.is_empty() {
        return;
    }
    if retry(store, batch, batch.len()).await {
        batch.clear();
        return;
    }
    for record in batch.drain(..) {
        let single = std::slice::from_ref(&record);
        if !retry(store, single, 1).await {
            tracing::error!(record = ?record, "generation record could not be written");
        }
    }
}

async fn retry(store: &mut Store, batch: &[generation::Model], records: usize) -> bool {
    let mut delay = Duration::from_millis(50);
    for attempt in 1..=5 {
        match store.write(batch).await {
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
