//! Committing the writer's batches durably. A record is money, so none is dropped:
//!
//! - A transient failure (the connection or the server gone, a pool timeout, a busy file, a
//!   serialization failure; see `WriteError::is_transient`) is retried with capped exponential
//!   backoff for as long as it lasts. Meanwhile the queue fills, and [`Health`] tells the hot
//!   path how long the writer has been failing (see `UsageWriter::refusing`).
//! - After a transient failure the next attempt first checks whether the batch's generations
//!   are stored already (a commit whose acknowledgement was lost with the connection), so a
//!   batch is never written twice.
//! - A permanent failure (a constraint violation) is the records' own: the batch is written
//!   again request by request, and the request that still fails goes to the dead-letter file
//!   (see [`super::dead_letter`]), loudly logged with its ids, never its contents.
//! - An attempt that hangs (a database that accepts connections but does not answer, a pool
//!   waiting for a connection that does not come) is logged once it has taken [`SLOW`], and
//!   counts as failing once it has taken [`STALLED`]: the hot path then sees the outage as it
//!   would a failure. Only then: a loaded machine's slow commit is backpressure, not an outage.
//! - Once a shutdown's flush time is up, a batch that still meets a transient failure goes to
//!   the dead-letter file too, so the process can exit without losing it.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::dead_letter::DeadLetter;
use super::record::UsageRecord;
use super::sql::{Store, WriteError};

const FIRST_RETRY: Duration = Duration::from_millis(50);
const MAX_RETRY: Duration = Duration::from_secs(2);
/// A commit taking this long is logged (batches commit in milliseconds).
const SLOW: Duration = Duration::from_secs(1);
/// A commit taking this long is an outage, not a slow batch on a busy machine.
const STALLED: Duration = Duration::from_secs(5);

/// The writer's state as others see it: failing since when, requests dead-lettered, and the
/// shutdown's deadline.
#[derive(Default)]
pub(super) struct Health {
    /// Unix milliseconds of the first failure of the current outage; 0 while writes succeed.
    failing_since_ms: AtomicI64,
    dead_lettered: AtomicU64,
    /// Set by `UsageWriter::stop`: past it, transient failures are no longer waited out.
    stop_by: OnceLock<Instant>,
}

impl Health {
    pub(super) fn failing_since(&self) -> Option<DateTime<Utc>> {
        match self.failing_since_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => DateTime::from_timestamp_millis(ms),
        }
    }

    /// How long the writer has been failing (`None`: it is not). One atomic load.
    pub(super) fn failing_for(&self) -> Option<Duration> {
        self.failing_since()
            .map(|since| (Utc::now() - since).to_std().unwrap_or_default())
    }

    pub(super) fn dead_lettered(&self) -> u64 {
        self.dead_lettered.load(Ordering::Relaxed)
    }

    pub(super) fn stop_within(&self, grace: Duration) {
        self.stop_by.set(Instant::now() + grace).ok();
    }

    fn failed(&self) {
        self.failing_from(Utc::now());
    }

    /// Marks the writer failing since `since`, unless it already is.
    fn failing_from(&self, since: DateTime<Utc>) {
        let since = since.timestamp_millis().max(1);
        self.failing_since_ms
            .compare_exchange(0, since, Ordering::Relaxed, Ordering::Relaxed)
            .ok();
    }

    fn succeeded(&self) {
        let since = self.failing_since_ms.swap(0, Ordering::Relaxed);
        if since != 0 {
            let outage_ms = Utc::now().timestamp_millis() - since;
            tracing::warn!(
                outage_ms,
                "usage writer recovered; the queued records follow"
            );
        }
    }

    /// Time left before the shutdown's deadline; `None` without a shutdown.
    fn until_stop(&self) -> Option<Duration> {
        self.stop_by
            .get()
            .map(|by| by.saturating_duration_since(Instant::now()))
    }
}

/// How one commit ended.
enum Attempted {
    Committed,
    /// The records' own failure: it would fail again.
    Permanent(WriteError),
    /// Still failing transiently when the shutdown's deadline passed.
    GaveUp(WriteError),
}

pub(super) struct Committer {
    pub store: Store,
    pub health: Arc<Health>,
    pub dead_letter: DeadLetter,
    pub spend_changed: Arc<super::spend_changed::SpendChanged>,
}

impl Committer {
    /// Commits `records` (whole requests; `ends` marks where each ends) in one transaction;
    /// on a permanent failure, request by request. Returns when every request is either
    /// written or in the dead-letter file.
    pub(super) async fn write(
        &mut self,
        records: &[UsageRecord],
        requests: &[std::ops::Range<usize>],
    ) {
        let err = match self.commit(records).await {
            Attempted::Committed => return,
            Attempted::Permanent(err) => {
                tracing::warn!(requests = requests.len(), %err, "a usage batch failed; writing its requests one by one");
                err
            }
            Attempted::GaveUp(err) => err,
        };
        if let [only] = requests {
            self.dead_letter(&records[only.clone()], &err);
            return;
        }
        for request in requests {
            let records = &records[request.clone()];
            match self.commit(records).await {
                Attempted::Committed => {}
                Attempted::Permanent(err) | Attempted::GaveUp(err) => {
                    self.dead_letter(records, &err)
                }
            }
        }
    }

    async fn commit(&mut self, records: &[UsageRecord]) -> Attempted {
        let started = Instant::now();
        let attempted = self.commit_retrying(records).await;
        ::metrics::histogram!(crate::metrics::COMMIT_DURATION)
            .record(started.elapsed().as_secs_f64());
        attempted
    }

    /// [`Self::commit`]: retries transient failures (see the module's documentation).
    async fn commit_retrying(&mut self, records: &[UsageRecord]) -> Attempted {
        let mut delay = FIRST_RETRY;
        let mut failures = 0u32;
        loop {
            // After a transient failure the commit may have happened with only its
            // acknowledgement lost.
            let result = self.attempt(records, failures > 0).await;
            let err = match result {
                Ok(()) => {
                    self.health.succeeded();
                    return Attempted::Committed;
                }
                Err(err) if err.is_transient() => err,
                Err(err) => return Attempted::Permanent(err),
            };
            failures += 1;
            self.health.failed();
            if failures.is_power_of_two() {
                tracing::error!(attempt = failures, records = records.len(), %err, "writing usage records failed; retrying");
            }
            let wait = match self.health.until_stop() {
                Some(left) if left.is_zero() => return Attempted::GaveUp(err),
                Some(left) => delay.min(left),
                None => delay,
            };
            tokio::time::sleep(wait).await;
            delay = (delay * 2).min(MAX_RETRY);
        }
    }

    /// One attempt; `check_first` after a transient failure (see [`Self::commit`]). An
    /// attempt still running after [`SLOW`] is logged; after [`STALLED`], it marks the writer
    /// failing from its start.
    async fn attempt(
        &mut self,
        records: &[UsageRecord],
        check_first: bool,
    ) -> Result<(), WriteError> {
        let started = Utc::now();
        let store = &mut self.store;
        let attempt = async move {
            if check_first && store.committed(records).await? {
                return Ok(());
            }
            store.write(records).await
        };
        tokio::pin!(attempt);
        tokio::select! {
            result = &mut attempt => return result,
            () = tokio::time::sleep(SLOW) => {}
        }
        tracing::warn!(
            records = records.len(),
            "writing usage records is slow (the database does not answer); waiting"
        );
        tokio::select! {
            result = &mut attempt => {
                // Below STALLED the writer never counted as failing, so no "recovered" line
                // follows: say here how the wait ended.
                let waited_ms = (Utc::now() - started).num_milliseconds();
                match &result {
                    Ok(()) => tracing::warn!(waited_ms, "the slow usage write completed"),
                    Err(err) => tracing::warn!(waited_ms, %err, "the slow usage write failed"),
                }
                return result;
            }
            () = tokio::time::sleep(STALLED - SLOW) => {}
        }
        self.health.failing_from(started);
        tracing::error!(
            records = records.len(),
            "writing usage records stalled; counted as failing"
        );
        attempt.await
    }

    fn dead_letter(&self, records: &[UsageRecord], err: &WriteError) {
        self.health.dead_lettered.fetch_add(1, Ordering::Relaxed);
        let generation_ids: Vec<&str> = records
            .iter()
            .filter_map(|r| match r {
                UsageRecord::Generation(g) => Some(g.id.as_str()),
                UsageRecord::KeyUsage(_) | UsageRecord::Debit(_) | UsageRecord::Content(_) => None,
            })
            .collect();
        let file = self.dead_letter.path().display();
        match self.dead_letter.append(records, &err.to_string()) {
            Ok(()) => tracing::error!(
                ?generation_ids, %err, %file,
                "usage records could not be written; kept in the dead-letter file (replay with `switchboard replay-usage`)"
            ),
            // The last resort: the records in the log (ids, counts and costs; no text).
            // (A stored content's `Debug` shows its sizes only.)
            Err(io) => tracing::error!(
                ?generation_ids, %err, %io, %file, ?records,
                "usage records could not be written, nor kept in the dead-letter file"
            ),
        }
    }
}
