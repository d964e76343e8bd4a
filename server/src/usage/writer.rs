//! The batched, bounded usage writer. Requests hand their records over after the response and
//! never wait for the database; the writer commits the records of up to `BATCH` requests per
//! transaction, at least every `FLUSH_EVERY`. The queue is bounded: when it is full, senders
//! wait (backpressure) rather than memory growing or records being dropped. Shutdown drains
//! the queue.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;
use tokio::sync::{Notify, mpsc, oneshot};

use super::record::UsageRecord;
use super::sql::Store;

const QUEUE: usize = 8_192;
/// Requests per transaction (each request's records commit together, see [`Batch`]).
pub(super) const BATCH: usize = 512;
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
/// A request's records still to be assembled: the writer's thread builds them, straight into
/// the batch, so that assembling (and serializing the attempts) costs the request nothing.
pub type Pending = Box<dyn FnOnce(&mut Vec<UsageRecord>) + Send>;

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

    /// Queues the records that `assemble` pushes later, on the writer's thread; waits only if
    /// the queue is full. Everything one call pushes commits in one transaction.
    pub async fn record_with<F>(&self, assemble: F)
    where
        F: FnOnce(&mut Vec<UsageRecord>) + Send + 'static,
    {
        self.send(Box::new(assemble)).await;
    }

    /// Queues `pending`, waiting for room when the queue is full (backpressure).
    async fn send(&self, pending: Pending) {
        let sent = match self.records.try_send(pending) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(pending)) => {
                // Backpressure: wake the writer and wait for room.
                self.batch_ready.notify_one();
                self.records.send(pending).await.map_err(drop)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
        };
        if sent.is_err() {
            tracing::error!("usage writer stopped; usage records were not written");
            return;
        }
        self.wake_if_batch_ready();
    }

    /// Wakes the writer once a whole batch waits (it otherwise drains on its tick).
    fn wake_if_batch_ready(&self) {
        if QUEUE - self.records.capacity() >= BATCH {
            self.batch_ready.notify_one();
        }
    }

    /// [`Self::record_with`] for a caller that cannot wait (a completion hook fired from
    /// `Drop`): queued at once when there is room; otherwise a task waits for room, or —
    /// with no runtime left to run it — the records are lost, loudly.
    pub fn record_detached<F>(&self, assemble: F)
    where
        F: FnOnce(&mut Vec<UsageRecord>) + Send + 'static,
    {
        let pending: Pending = Box::new(assemble);
        match self.records.try_send(pending) {
            Ok(()) => self.wake_if_batch_ready(),
            Err(mpsc::error::TrySendError::Full(pending)) => {
                match tokio::runtime::Handle::try_current() {
                    Ok(runtime) => {
                        let writer = self.clone();
                        runtime.spawn(async move { writer.send(pending).await });
                    }
                    Err(_) => tracing::error!(
                        "usage writer full at shutdown; usage records were not written"
                    ),
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("usage writer stopped; usage records were not written");
            }
        }
    }

    /// A writer whose queue the caller reads instead of a database (unit tests of what
    /// requests record).
    #[cfg(test)]
    pub fn detached() -> (Self, mpsc::Receiver<Pending>) {
        let (records, queue) = mpsc::channel(QUEUE);
        let (control, _) = mpsc::channel(1);
        let writer = UsageWriter {
            records,
            control,
            batch_ready: Arc::new(Notify::new()),
        };
        (writer, queue)
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

async fn run(
    mut store: Store,
    mut records: mpsc::Receiver<Pending>,
    mut control: mpsc::Receiver<Control>,
    batch_ready: Arc<Notify>,
) {
    let mut batch = Batch::default();
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

/// The records of up to `BATCH` requests, kept in arrival order with each request's extent,
/// so that a batch is cut, and retried, only between requests.
#[derive(Default)]
struct Batch {
    records: Vec<UsageRecord>,
    /// Where each request's records end in `records`.
    ends: Vec<usize>,
}

impl Batch {
    fn requests(&self) -> usize {
        self.ends.len()
    }

    /// Takes queued requests until the batch holds `BATCH` of them or the queue is empty.
    fn fill(&mut self, queue: &mut mpsc::Receiver<Pending>) {
        while self.requests() < BATCH {
            let Ok(assemble) = queue.try_recv() else {
                return;
            };
            assemble(&mut self.records);
            if self.ends.last().copied().unwrap_or(0) < self.records.len() {
                self.ends.push(self.records.len());
            }
        }
    }

    /// Each request's records.
    fn by_request(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(s, e)| s..e)
    }

    fn clear(&mut self) {
        self.records.clear();
        self.ends.clear();
    }
}

/// Writes everything queued now, `BATCH` requests per transaction.
async fn drain(store: &mut Store, queue: &mut mpsc::Receiver<Pending>, batch: &mut Batch) {
    loop {
        batch.fill(queue);
        if batch.records.is_empty() {
            return;
        }
        let full = batch.requests() >= BATCH;
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
/// repeated failures of the whole batch, each request's records are written on their own (in
/// one transaction, so a generation never commits without its key usage) so that one bad
/// record cannot block the others; records that still fail are logged in full for replay.
async fn write(store: &mut Store, batch: &mut Batch) {
    if batch.records.is_empty() {
        return;
    }
    if !retry(store, &batch.records).await {
        for request in batch.by_request() {
            let records = &batch.records[request];
            if !retry(store, records).await {
                tracing::error!(?records, "usage records could not be written");
            }
        }
    }
    batch.clear();
}

async fn retry(store: &mut Store, records: &[UsageRecord]) -> bool {
    let mut delay = Duration::from_millis(50);
    for attempt in 1..=5 {
        match store.write(records).await {
            Ok(()) => return true,
            Err(err) => {
                tracing::error!(attempt, records = records.len(), %err, "writing usage records failed");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::money::Nanos;
    use crate::usage::record::KeyUsage;

    fn spent(cost: i64) -> UsageRecord {
        UsageRecord::KeyUsage(KeyUsage::spent("key".into(), Nanos::from_nanos(cost), None))
    }

    /// A batch takes whole requests: `BATCH` of them however many records each pushes, and a
    /// request that pushes nothing takes no place.
    #[test]
    fn a_batch_is_cut_only_between_requests() {
        let (sender, mut queue) = mpsc::channel::<Pending>(2 * BATCH);
        for n in 0..BATCH + 5 {
            let assemble: Pending = Box::new(move |records: &mut Vec<UsageRecord>| {
                records.extend((0..3).map(|i| spent((3 * n + i) as i64)));
            });
            sender.try_send(assemble).ok().unwrap();
            if n == 7 {
                sender
                    .try_send(Box::new(|_: &mut Vec<UsageRecord>| {}))
                    .ok()
                    .unwrap();
            }
        }
        let mut batch = Batch::default();
        batch.fill(&mut queue);
        assert_eq!(batch.requests(), BATCH);
        assert_eq!(batch.records.len(), 3 * BATCH);
        for (n, request) in batch.by_request().enumerate() {
            let costs: Vec<_> = batch.records[request]
                .iter()
                .map(|r| match r {
                    UsageRecord::KeyUsage(k) => k.usage.as_nanos(),
                    UsageRecord::Generation(_) | UsageRecord::Debit(_) => unreachable!(),
                })
                .collect();
            let n = n as i64;
            assert_eq!(costs, [3 * n, 3 * n + 1, 3 * n + 2]);
        }
        batch.clear();
        batch.fill(&mut queue);
        assert_eq!(batch.requests(), 5);
        assert_eq!(batch.records.len(), 15);
    }
}
