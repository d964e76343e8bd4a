//! The batched, bounded usage writer. Requests hand their records over after the response and
//! never wait for the database; the writer commits the records of up to `BATCH` requests per
//! transaction, at least every `FLUSH_EVERY`, durably (see [`super::commit`]: transient
//! failures retried as long as they last, a request's own failure to the dead-letter file).
//!
//! Backpressure: the queue holds `QUEUE` requests. When it is full, senders wait for room
//! rather than memory growing or records being dropped — a whole response's answer then waits
//! too. So that requests do not pile up behind a database that is down, the hot path asks
//! [`UsageWriter::refusing`] first and new inference requests are refused with 503 once the
//! writer has been failing for longer than `USAGE_REFUSE_AFTER_SECS`, or for a second with its
//! queue three-quarters full. Memory stays bounded by the queue plus the requests in flight.
//! Shutdown drains the queue (see [`UsageWriter::stop`]).

use std::cell::Cell;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use tokio::sync::{Notify, mpsc, oneshot};

use super::commit::{Committer, Health};
use super::dead_letter::DeadLetter;
use super::record::UsageRecord;
use super::spend_changed::SpendChanged;
use super::sql::Store;

const QUEUE: usize = 8_192;
/// Requests per transaction (each request's records commit together, see [`Batch`]).
pub(super) const BATCH: usize = 512;
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// A full queue refuses requests only once the writer has been failing this long: one busy
/// moment (a SQLite lock held a little too long, retried 50 ms later) is backpressure, not an
/// outage.
const QUEUE_FULL_GRACE: Duration = Duration::from_secs(1);
/// With this many requests queued the writer is falling behind and stops giving way (see
/// [`give_way`]): progress then matters more than courtesy.
const BEHIND: usize = QUEUE / 4;

thread_local! {
    /// Whether the writer's thread keeps up with its queue: set as each batch is filled,
    /// read by [`give_way`] in the middle of SQLite's work, which has no queue at hand.
    static KEEPING_UP: Cell<bool> = const { Cell::new(true) };
}

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

/// How the writer keeps records through failures (see the module's documentation).
#[derive(Clone, Debug)]
pub struct UsageOptions {
    /// Where requests the database refused go (`<data_dir>/usage-dead-letter.jsonl`).
    pub dead_letter: PathBuf,
    /// Failing this long, the writer makes the hot path refuse new requests (503).
    pub refuse_after: Duration,
    /// At shutdown, how long a failing database is waited for before the queued records go to
    /// the dead-letter file.
    pub shutdown_flush: Duration,
}

impl UsageOptions {
    pub fn from_config(config: &crate::config::Config) -> Self {
        UsageOptions {
            dead_letter: config.data_dir.join(super::dead_letter::FILE_NAME),
            refuse_after: Duration::from_secs(config.usage_refuse_after_secs),
            shutdown_flush: Duration::from_secs(config.usage_shutdown_flush_secs),
        }
    }
}

/// The writer's state, for metrics and health checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriterStatus {
    /// Requests whose records wait in the queue.
    pub queue_depth: usize,
    pub queue_capacity: usize,
    /// Since when writes fail (transiently); `None` while they succeed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Requests whose records went to the dead-letter file since the start.
    pub dead_lettered: u64,
}

#[derive(Clone)]
pub struct UsageWriter {
    records: mpsc::Sender<Pending>,
    control: mpsc::Sender<Control>,
    batch_ready: Arc<Notify>,
    health: Arc<Health>,
    options: Arc<UsageOptions>,
    /// Requests whose records are promised but not yet assembled (see [`InFlight`]).
    in_flight: Arc<AtomicUsize>,
    /// Organizations whose spend was committed (for the alert checker).
    spend_changed: Arc<SpendChanged>,
}

/// A request whose records will come: held from the moment a request is armed for recording
/// until its records are assembled on the writer's thread (or dropped unwritten). Shutdown
/// waits for none to be left before it stops the writer (see [`UsageWriter::settle`]).
pub struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl UsageWriter {
    /// Starts the writer on a thread of its own that runs at idle CPU priority, with its
    /// own database connection opened on that thread (SQLite's work then runs on that thread;
    /// a PostgreSQL connection's driver tasks too). Commits then yield the CPU to request
    /// handling: on a busy host they no longer add milliseconds to the requests that happen
    /// to coincide with a batch. Under sustained
    /// overload the writer still gets its share: once the queue is full, senders wait.
    pub async fn start(database_url: &str, options: UsageOptions) -> Result<Self, DbErr> {
        let (records, rx) = mpsc::channel(QUEUE);
        let (control, control_rx) = mpsc::channel(16);
        let batch_ready = Arc::new(Notify::new());
        let (connected_tx, connected) = oneshot::channel();
        let url = database_url.to_owned();
        let notify = batch_ready.clone();
        let health = Arc::new(Health::default());
        let committer_health = health.clone();
        let dead_letter = DeadLetter::at(options.dead_letter.clone());
        let spend_changed = Arc::new(SpendChanged::default());
        let committer_spend_changed = spend_changed.clone();
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
                            let committer = Committer {
                                store,
                                health: committer_health,
                                dead_letter,
                                spend_changed: committer_spend_changed,
                            };
                            run(committer, rx, control_rx, notify).await;
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
            health,
            options: Arc::new(options),
            in_flight: Arc::default(),
            spend_changed,
        })
    }

    /// Organizations whose spend this writer committed (see [`SpendChanged`]).
    pub fn spend_changed(&self) -> Arc<SpendChanged> {
        self.spend_changed.clone()
    }

    /// Counts a request whose records will come until the returned guard is dropped.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.in_flight.clone())
    }

    /// Waits, up to `within`, until every request counted by [`Self::in_flight`] has handed
    /// its records over: at shutdown, requests the HTTP server cut off fire their completion
    /// hooks as their tasks are dropped, possibly after the server has returned.
    pub async fn settle(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = self.in_flight.load(Ordering::Relaxed);
            if left == 0 {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::error!(
                    requests = left,
                    "shutdown: requests still had not handed over their usage records"
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Whether new inference requests should be refused (503) rather than wait behind a
    /// failing database: it has been failing for longer than `refuse_after`, or for longer
    /// than [`QUEUE_FULL_GRACE`] with the queue three-quarters full. One atomic load while
    /// writes succeed.
    pub fn refusing(&self) -> bool {
        let Some(failing) = self.health.failing_for() else {
            return false;
        };
        failing > self.options.refuse_after
            || (failing > QUEUE_FULL_GRACE && self.depth() >= QUEUE / 4 * 3)
    }

    fn depth(&self) -> usize {
        self.records.max_capacity() - self.records.capacity()
    }

    /// Queue depth, failure state and dead-lettered requests.
    pub fn status(&self) -> WriterStatus {
        WriterStatus {
            queue_depth: self.depth(),
            queue_capacity: self.records.max_capacity(),
            failing_since: self.health.failing_since(),
            dead_lettered: self.health.dead_lettered(),
        }
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
        if cfg!(feature = "bench-unrecorded") {
            return;
        }
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
        if cfg!(feature = "bench-unrecorded") {
            return;
        }
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
            health: Arc::default(),
            in_flight: Arc::default(),
            spend_changed: Arc::default(),
            options: Arc::new(UsageOptions {
                dead_letter: std::env::temp_dir().join(super::dead_letter::FILE_NAME),
                refuse_after: Duration::from_secs(10),
                shutdown_flush: Duration::from_secs(1),
            }),
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

    /// Drains the queue and stops the writer. A failing database is waited for up to the
    /// options' `shutdown_flush`; what is still unwritten then goes to the dead-letter file.
    pub async fn stop(&self) {
        self.health.stop_within(self.options.shutdown_flush);
        let (ack, done) = oneshot::channel();
        if self.control.send(Control::Stop(ack)).await.is_ok() {
            done.await.ok();
        }
    }
}

async fn run(
    mut store: Committer,
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
        KEEPING_UP.set(queue.len() < BEHIND);
        while self.requests() < BATCH {
            let Ok(assemble) = queue.try_recv() else {
                return;
            };
            if self.requests() % 8 == 7 {
                give_way();
            }
            let from = self.records.len();
            assemble(&mut self.records);
            for record in &self.records[from..] {
                if let UsageRecord::Generation(generation) = record {
                    crate::otlp::export(generation);
                }
            }
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
async fn drain(store: &mut Committer, queue: &mut mpsc::Receiver<Pending>, batch: &mut Batch) {
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

/// Lets a waiting request handler run, every tenth of a millisecond or so of the writer's
/// work. Idle scheduling alone does not guarantee it: Linux's scheduler (EEVDF) sometimes
/// picks the writer over a runnable handler on the same CPU, which then waits for the next
/// tick, up to 4 ms, while the other CPU idles (seen with `perf sched` at concurrency 1:
/// the two-CPU p99 grew from 0.3 to 1.5 ms). A yield with nothing else runnable returns at
/// once.
///
/// Only while the writer keeps up (fewer than [`BEHIND`] requests queued). A yield also hands
/// any runnable peer of the idle class a whole slice: beside other idle-class work on the
/// host (batch jobs, a spinning loop per CPU) a writer yielding after every statement got
/// about 0.1 ms in 4, its queue filled and requests waited for room (their p99 at
/// concurrency 1 went from about 1 ms to 88–101 ms). Behind, it takes its fair share (the
/// same load then gave a p99 of 3.6–6.6 ms, and a p90 of 0.25 ms instead of 37–53 ms).
pub(super) fn give_way() {
    if !KEEPING_UP.get() {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: a plain syscall without arguments.
    unsafe {
        libc::sched_yield();
    }
}

/// Commits the batch (see [`Committer::write`]) and empties it.
async fn write(committer: &mut Committer, batch: &mut Batch) {
    if batch.records.is_empty() {
        return;
    }
    let requests: Vec<Range<usize>> = batch.by_request().collect();
    committer.write(&batch.records, &requests).await;
    committer.spend_changed.mark(&batch.records);
    batch.clear();
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
                    UsageRecord::Generation(_)
                    | UsageRecord::Debit(_)
                    | UsageRecord::Content(_) => {
                        unreachable!()
                    }
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

    /// The writer gives way only while it keeps up: a batch taken from a queue holding
    /// `BEHIND` requests or more is assembled and written without yields; the next, from a
    /// shorter queue, with them again.
    #[test]
    fn the_writer_stops_giving_way_once_behind() {
        let (sender, mut queue) = mpsc::channel::<Pending>(QUEUE);
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        for _ in 0..BEHIND + BATCH / 2 {
            let seen = seen.clone();
            let assemble: Pending = Box::new(move |records: &mut Vec<UsageRecord>| {
                seen.lock().unwrap().push(KEEPING_UP.get());
                records.push(spent(1));
            });
            sender.try_send(assemble).ok().unwrap();
        }
        let mut batch = Batch::default();
        batch.fill(&mut queue);
        let first = std::mem::take(&mut *seen.lock().unwrap());
        assert_eq!(first.len(), BATCH);
        assert!(first.iter().all(|keeping_up| !keeping_up));
        batch.clear();
        batch.fill(&mut queue);
        let second = std::mem::take(&mut *seen.lock().unwrap());
        assert_eq!(second.len(), BATCH);
        assert!(second.iter().all(|keeping_up| *keeping_up));
    }
}
