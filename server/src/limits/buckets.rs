//! Request-rate buckets: governor's GCRA over a state store of our own, so that several
//! buckets can be checked together and consumed only when all of them allow the request.
//!
//! Governor has no "test without consuming" call, but it lets a limiter run over any
//! [`StateStore`]. Ours looks at the probe it is given: a *peek* probe runs the GCRA test and
//! leaves the stored state untouched; a *take* probe stores the new state (with the same
//! compare-and-swap loop as governor's own in-memory state). A request peeks every bucket
//! first and takes from them only when all allow it. Between the peek and the take another
//! request may take the last cell; the take then refuses and what was already taken from the
//! other buckets stays taken. That leak needs concurrent requests at the exact edge of a limit,
//! costs at most one cell per such race, and refills within one replenish interval.

use std::collections::HashMap;
use std::num::{NonZeroU32, NonZeroU64};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::{NoOpMiddleware, StateInformationMiddleware};
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::{Quota, RateLimiter};

/// What a bucket limits; part of its key so that equal rates never share a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Key,
    Organization,
    FreeKey,
}

/// `requests` per `window`: a burst of `requests`, refilled evenly over the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    pub requests: NonZeroU32,
    pub window: Duration,
}

impl Rate {
    /// `None` for 0 requests: no limit.
    pub fn new(requests: u32, window: Duration) -> Option<Rate> {
        NonZeroU32::new(requests).map(|requests| Rate { requests, window })
    }

    /// Time for one request's worth of the bucket to refill.
    pub fn replenish_interval(&self) -> Duration {
        (self.window / self.requests.get()).max(Duration::from_nanos(1))
    }

    fn quota(&self) -> Quota {
        Quota::with_period(self.replenish_interval())
            .expect("replenish interval is positive")
            .allow_burst(self.requests)
    }
}

type Bucket = (Scope, String);

/// A bucket, and whether this check may change it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Probe {
    bucket: Bucket,
    take: bool,
}

/// Theoretical arrival times (governor's GCRA state, nanoseconds since the limiter's start;
/// 0 means "never used") by bucket.
#[derive(Default)]
pub struct TatStore {
    cells: DashMap<Bucket, AtomicU64>,
}

fn stored(cell: &AtomicU64) -> Option<Nanos> {
    NonZeroU64::new(cell.load(Ordering::Acquire)).map(|n| Nanos::from(n.get()))
}

impl StateStore for TatStore {
    type Key = Probe;

    fn measure_and_replace<T, F, E>(&self, probe: &Probe, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if !probe.take {
            let previous = self.cells.get(&probe.bucket).and_then(|c| stored(&c));
            return f(previous).map(|(outcome, _)| outcome);
        }
        let cell = match self.cells.get(&probe.bucket) {
            Some(cell) => cell,
            None => self
                .cells
                .entry(probe.bucket.clone())
                .or_default()
                .downgrade(),
        };
        let mut previous = cell.load(Ordering::Acquire);
        loop {
            let (outcome, next) = f(NonZeroU64::new(previous).map(|n| Nanos::from(n.get())))?;
            match cell.compare_exchange_weak(
                previous,
                next.into(),
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(outcome),
                Err(now) => previous = now,
            }
        }
    }
}

impl ShrinkableKeyedStateStore<Probe> for TatStore {
    fn retain_recent(&self, drop_below: Nanos) {
        let drop_below: u64 = drop_below.into();
        self.cells
            .retain(|_, cell| cell.load(Ordering::Relaxed) > drop_below);
    }

    fn shrink_to_fit(&self) {
        self.cells.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.cells.len()
    }

    fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

type Limiter = RateLimiter<Probe, TatStore, DefaultClock, StateInformationMiddleware>;

/// A bucket's state after a request was let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taken {
    pub remaining: u32,
    /// Until the bucket is full again.
    pub full_after: Duration,
}

/// Every request-rate bucket: one governor limiter per distinct rate (the configured plan and
/// each admin override value in use), each keyed by bucket.
#[derive(Default)]
pub struct Buckets {
    limiters: RwLock<HashMap<Rate, Arc<Limiter>>>,
    clock: DefaultClock,
}

impl Buckets {
    fn limiter(&self, rate: Rate) -> Arc<Limiter> {
        if let Some(limiter) = self.limiters.read().expect("limiters lock").get(&rate) {
            return limiter.clone();
        }
        self.limiters
            .write()
            .expect("limiters lock")
            .entry(rate)
            .or_insert_with(|| {
                Arc::new(
                    RateLimiter::<_, _, _, NoOpMiddleware<_>>::new(
                        rate.quota(),
                        TatStore::default(),
                        self.clock.clone(),
                    )
                    .with_middleware::<StateInformationMiddleware>(),
                )
            })
            .clone()
    }

    fn check(&self, rate: Rate, scope: Scope, id: &str, take: bool) -> Result<u32, Duration> {
        let probe = Probe {
            bucket: (scope, id.to_owned()),
            take,
        };
        self.limiter(rate)
            .check_key(&probe)
            .map(|snapshot| snapshot.remaining_burst_capacity())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Whether the bucket would let a request through now (nothing is consumed); on refusal,
    /// how long until it would.
    pub fn peek(&self, rate: Rate, scope: Scope, id: &str) -> Result<(), Duration> {
        self.check(rate, scope, id, false).map(|_| ())
    }

    /// Lets a request through, consuming one cell; on refusal nothing is consumed.
    pub fn take(&self, rate: Rate, scope: Scope, id: &str) -> Result<Taken, Duration> {
        let remaining = self.check(rate, scope, id, true)?;
        let missing = rate.requests.get().saturating_sub(remaining);
        Ok(Taken {
            remaining,
            full_after: rate.replenish_interval() * missing,
        })
    }

    /// Forgets buckets that have refilled completely (they are indistinguishable from new
    /// ones) and returns the memory; then drops the limiters left empty whose rate is no longer
    /// `in_use` (an override that was changed or removed).
    pub fn evict_idle(&self, in_use: impl Fn(&Rate) -> bool) {
        for limiter in self.limiters.read().expect("limiters lock").values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        self.limiters
            .write()
            .expect("limiters lock")
            .retain(|rate, limiter| in_use(rate) || !limiter.is_empty());
    }

    /// Distinct rates with a limiter.
    pub fn rates(&self) -> usize {
        self.limiters.read().expect("limiters lock").len()
    }

    /// Buckets held in memory.
    pub fn len(&self) -> usize {
        self.limiters
            .read()
            .expect("limiters lock")
            .values()
            .map(|l| l.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(requests: u32, window_ms: u64) -> Rate {
        Rate::new(requests, Duration::from_millis(window_ms)).unwrap()
    }

    #[test]
    fn peeking_consumes_nothing() {
        let buckets = Buckets::default();
        let r = rate(2, 60_000);
        for _ in 0..10 {
            buckets.peek(r, Scope::Key, "k").unwrap();
        }
        assert_eq!(buckets.take(r, Scope::Key, "k").unwrap().remaining, 1);
        buckets.peek(r, Scope::Key, "k").unwrap();
        assert_eq!(buckets.take(r, Scope::Key, "k").unwrap().remaining, 0);
        let wait = buckets.peek(r, Scope::Key, "k").unwrap_err();
        assert!(wait > Duration::from_secs(29) && wait <= Duration::from_secs(30));
        assert!(buckets.take(r, Scope::Key, "k").is_err());
    }

    #[test]
    fn scopes_and_ids_have_their_own_buckets() {
        let buckets = Buckets::default();
        let r = rate(1, 60_000);
        buckets.take(r, Scope::Key, "a").unwrap();
        assert!(buckets.take(r, Scope::Key, "a").is_err());
        buckets.take(r, Scope::Key, "b").unwrap();
        buckets.take(r, Scope::FreeKey, "a").unwrap();
        buckets.take(r, Scope::Organization, "a").unwrap();
    }

    #[test]
    fn full_after_counts_the_missing_cells() {
        let buckets = Buckets::default();
        let r = rate(4, 4_000);
        let first = buckets.take(r, Scope::Key, "k").unwrap();
        assert_eq!(first.remaining, 3);
        assert_eq!(first.full_after, Duration::from_secs(1));
        let second = buckets.take(r, Scope::Key, "k").unwrap();
        assert_eq!(second.full_after, Duration::from_secs(2));
    }

    #[test]
    fn idle_buckets_are_evicted_and_memory_stays_bounded() {
        let buckets = Buckets::default();
        let short = rate(2, 400);
        let long = rate(5, 3_600_000);
        for i in 0..10_000 {
            buckets
                .take(short, Scope::Key, &format!("key-{i}"))
                .unwrap();
        }
        buckets.take(long, Scope::Organization, "busy").unwrap();
        assert_eq!(buckets.len(), 10_001);
        std::thread::sleep(Duration::from_millis(600));
        buckets.evict_idle(|r| *r == long);
        // The short buckets refilled and are gone; the long one is still in use, and keeps
        // its consumption.
        assert_eq!(buckets.len(), 1);
        assert_eq!(
            buckets
                .take(long, Scope::Organization, "busy")
                .unwrap()
                .remaining,
            3
        );
        // A bucket that was evicted starts afresh.
        assert_eq!(
            buckets.take(short, Scope::Key, "key-1").unwrap().remaining,
            1
        );
    }
}
