//! Credit reservations on the hot path: each organization's leased credit (see
//! [`super::leases`]) is spent in memory. A request reserves its worst case before routing and
//! settles its actual cost in the completion hook, so that concurrent requests can never
//! together spend more than the lease, and the lease never more than the balance.
//!
//! Steady state, a reservation is a hash lookup and a mutex held for a few instructions: the
//! lease is topped up in the background when it runs low. Only a request that finds the lease
//! short waits for the database (one transaction, shared by every request waiting on the same
//! organization).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use dashmap::DashMap;
use sea_orm::{DatabaseConnection, DbErr};

use super::leases::{self, Subject};
use super::money::Nanos;

/// How long a request short of credit waits for the organization's requests in flight to
/// settle before it is refused.
pub const SETTLE_WAIT: Duration = Duration::from_secs(2);
/// After the database had no free credit for an organization, how long requests rely on
/// settlements in memory before asking it again.
const DRY_PAUSE_MS: i64 = 100;

/// Every organization's in-memory credit on this server process.
#[derive(Clone)]
pub struct CreditAccounts(Arc<Shared>);

struct Shared {
    db: DatabaseConnection,
    /// This process's name in `credit_leases.holder`.
    holder: Arc<str>,
    ttl_ms: i64,
    /// By subject (hashed as it is: no key string built per request).
    accounts: DashMap<Subject, Arc<Account>>,
}

struct Account {
    subject: Subject,
    state: Mutex<State>,
    /// One database acquisition at a time per organization; the others wait and re-check.
    refill: tokio::sync::Mutex<()>,
    /// A background top-up is under way.
    refilling: AtomicBool,
    /// Woken when a reservation of the organization settles or is released.
    settled: tokio::sync::Notify,
    /// Requests waiting on `settled`. Settling wakes them only when there are some: waking
    /// takes the `Notify`'s lock, which every concurrent request of the organization would
    /// otherwise contend for twice (registering, then waking).
    waiters: AtomicUsize,
}

impl Account {
    /// Wakes the requests waiting for credit to come back, if any. `SeqCst` pairs with the
    /// waiter's increment in [`CreditAccounts::reserve`]: a waiter that registered after this
    /// load looks at the state after this settlement's change (both go through the state's
    /// mutex), so it cannot miss it.
    fn wake_waiters(&self) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            self.settled.notify_waiters();
        }
    }
}

/// Counts a request as waiting for settlements while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn on(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct State {
    /// What this process may still spend from its lease (its debits not yet committed are
    /// already taken off). Negative only if a request cost more than it reserved.
    lease: i64,
    /// Held by requests in flight.
    reserved: i64,
    /// The last grant, to decide when to top up (a quarter of it left).
    last_grant: i64,
    /// Unix ms of the last reservation or settlement, to give idle leases back.
    last_used_ms: i64,
    /// Unix ms until which the lease certainly lives (granted or renewed then, plus the TTL);
    /// after it, another process may have been granted the credit, so it no longer counts.
    valid_until_ms: i64,
    /// Unix ms until which the database is not asked again: it had no free credit.
    dry_until_ms: i64,
    /// What bounds the subject, from the last grant (a budget's name, for refusals).
    limited_by: Option<Arc<str>>,
}

impl State {
    fn available(&self) -> i64 {
        self.lease.saturating_sub(self.reserved)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    /// The subject cannot cover the amount; `available` is what it can, `limited_by` what
    /// bounds it when that has a name ("monthly budget of $500.00").
    #[error("insufficient credit: {available:?} available")]
    Short {
        available: Nanos,
        limited_by: Option<Arc<str>>,
    },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Credit held for one request until it settles. Dropped unsettled, it releases everything.
pub struct Reservation {
    account: Arc<Account>,
    amount: i64,
    holder: Arc<str>,
}

impl Reservation {
    /// What it holds.
    pub fn amount(&self) -> Nanos {
        Nanos::from_nanos(self.amount)
    }

    /// What it was taken from.
    pub fn subject(&self) -> &Subject {
        &self.account.subject
    }

    /// The process whose lease it is (the usage writer subtracts the debit from that lease).
    pub fn holder(&self) -> &Arc<str> {
        &self.holder
    }

    /// The request cost `spent`: the reservation is released and `spent` leaves the lease
    /// (its ledger debit is the caller's to record).
    pub fn settle(mut self, spent: Nanos) {
        let amount = std::mem::take(&mut self.amount);
        let mut state = self.account.lock();
        state.reserved -= amount;
        state.lease = state.lease.saturating_sub(spent.as_nanos());
        state.last_used_ms = leases::now_ms();
        drop(state);
        self.account.wake_waiters();
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.amount != 0 {
            self.account.lock().reserved -= self.amount;
            self.account.wake_waiters();
        }
    }
}

impl Account {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding it cannot leave the numbers half-updated (plain stores).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl CreditAccounts {
    /// `ttl`: how long a lease lives without renewal (the maintenance task renews it every
    /// third of that).
    pub fn new(db: DatabaseConnection, ttl: Duration) -> Self {
        let holder = format!("p{}-{:016x}", std::process::id(), rand::random::<u64>());
        CreditAccounts(Arc::new(Shared {
            db,
            holder: holder.into(),
            ttl_ms: ttl.as_millis().max(3) as i64,
            accounts: DashMap::new(),
        }))
    }

    pub fn holder(&self) -> &Arc<str> {
        &self.0.holder
    }

    fn account(&self, subject: &Subject) -> Arc<Account> {
        if let Some(account) = self.0.accounts.get(subject) {
            return Arc::clone(&account);
        }
        let account = self.0.accounts.entry(subject.clone()).or_insert_with(|| {
            Arc::new(Account {
                subject: subject.clone(),
                state: Mutex::new(State::default()),
                refill: tokio::sync::Mutex::new(()),
                refilling: AtomicBool::new(false),
                settled: tokio::sync::Notify::new(),
                waiters: AtomicUsize::new(0),
            })
        });
        Arc::clone(&account)
    }

    /// Holds `amount` of `subject`'s credit for one request, or says how much it could hold.
    ///
    /// Short of credit while other requests of the organization are in flight, it waits (up
    /// to [`SETTLE_WAIT`]) for them to settle: they hold their worst case and usually spend
    /// far less, so refusing at once would refuse requests the organization can afford.
    pub async fn reserve(
        &self,
        subject: &Subject,
        amount: Nanos,
    ) -> Result<Reservation, ReserveError> {
        let account = self.account(subject);
        let need = amount.as_nanos().max(0);
        // Steady state: the lease covers it.
        if let Some(reservation) = self.try_reserve(&account, need) {
            return Ok(reservation);
        }
        let _waiting = Waiting::on(&account.waiters);
        let deadline = tokio::time::Instant::now() + SETTLE_WAIT;
        loop {
            // Registered before looking, so that a settlement in between is not missed.
            let settled = account.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if let Some(reservation) = self.try_reserve(&account, need) {
                return Ok(reservation);
            }
            self.refill(&account, need).await?;
            if let Some(reservation) = self.try_reserve(&account, need) {
                return Ok(reservation);
            }
            let (available, in_flight, limited_by) = {
                let state = account.lock();
                (
                    state.available().max(0),
                    state.reserved,
                    state.limited_by.clone(),
                )
            };
            let short = ReserveError::Short {
                available: Nanos::from_nanos(available),
                limited_by,
            };
            if in_flight == 0 || tokio::time::timeout_at(deadline, settled).await.is_err() {
                return Err(short);
            }
        }
    }

    /// Takes more credit from the database for a request short of `need`: one acquisition at
    /// a time per organization (a request that waited finds what the previous one brought),
    /// and none for a moment after the database had nothing left to lease.
    async fn refill(&self, account: &Account, need: i64) -> Result<(), DbErr> {
        let _turn = account.refill.lock().await;
        let shortfall = {
            let state = account.lock();
            if leases::now_ms() < state.dry_until_ms {
                return Ok(());
            }
            need - state.available()
        };
        if shortfall <= 0 {
            return Ok(());
        }
        self.acquire(account, Nanos::from_nanos(shortfall)).await
    }

    /// The fast path: no database.
    fn try_reserve(&self, account: &Arc<Account>, need: i64) -> Option<Reservation> {
        let now = leases::now_ms();
        let mut state = account.lock();
        if now >= state.valid_until_ms {
            state.lease = state.lease.min(0);
        }
        if state.available() < need {
            return None;
        }
        state.reserved += need;
        state.last_used_ms = now;
        let low = state.available() < state.last_grant / 4;
        drop(state);
        if low && !account.refilling.swap(true, Ordering::AcqRel) {
            let accounts = self.clone();
            let account = Arc::clone(account);
            tokio::spawn(async move {
                let _turn = account.refill.lock().await;
                if let Err(err) = accounts.acquire(&account, Nanos::ZERO).await {
                    tracing::warn!(error = %err, "credit lease top-up failed");
                }
                account.refilling.store(false, Ordering::Release);
            });
        }
        Some(Reservation {
            account: Arc::clone(account),
            amount: need,
            holder: Arc::clone(&self.0.holder),
        })
    }

    /// Takes a new slice of the organization's credit (at least `need` if it has that much).
    async fn acquire(&self, account: &Account, need: Nanos) -> Result<(), DbErr> {
        let started = leases::now_ms();
        let grant = leases::acquire(
            &self.0.db,
            &account.subject,
            &self.0.holder,
            need,
            self.0.ttl_ms,
        )
        .await?;
        let mut state = account.lock();
        if grant.lost_expired {
            state.lease = state.lease.min(0);
        }
        if let Some(limited_by) = grant.limited_by {
            state.limited_by = Some(limited_by.into());
        }
        state.lease = state.lease.saturating_add(grant.granted.as_nanos());
        if grant.granted.is_positive() {
            state.last_grant = grant.granted.as_nanos();
            state.valid_until_ms = started + self.0.ttl_ms;
        } else if !grant.free_before.is_positive() {
            state.dry_until_ms = leases::now_ms() + DRY_PAUSE_MS;
        }
        Ok(())
    }

    /// Credit was just added to `org_id` (a purchase on this process): the next request short
    /// of its credit asks the database at once instead of waiting out a dry pause.
    pub fn credit_added(&self, org_id: &str) {
        if let Some(account) = self.0.accounts.get(&Subject::Org(org_id.to_owned())) {
            account.lock().dry_until_ms = 0;
        }
    }

    /// What requests in flight hold of `subject` on this process.
    pub fn held(&self, subject: &Subject) -> Nanos {
        self.0
            .accounts
            .get(subject)
            .map_or(Nanos::ZERO, |a| Nanos::from_nanos(a.lock().reserved))
    }

    /// What this process could reserve of `subject` right now without asking the database.
    pub fn available(&self, subject: &Subject) -> Nanos {
        self.0.accounts.get(subject).map_or(Nanos::ZERO, |a| {
            Nanos::from_nanos(a.lock().available().max(0))
        })
    }

    /// Renews this process's leases and gives back those idle for `idle`; runs until the
    /// process stops.
    pub fn spawn_maintenance(&self, idle: Duration) -> tokio::task::JoinHandle<()> {
        let accounts = self.clone();
        let period = Duration::from_millis((self.0.ttl_ms / 3).max(1) as u64);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                accounts.maintain(idle).await;
            }
        })
    }

    async fn maintain(&self, idle: Duration) {
        let started = leases::now_ms();
        match leases::renew(&self.0.db, &self.0.holder, self.0.ttl_ms).await {
            Ok(_) => {
                for account in self.0.accounts.iter() {
                    let mut state = account.lock();
                    // An expired lease is not renewed (see `leases::renew`).
                    if state.valid_until_ms > started {
                        state.valid_until_ms = started + self.0.ttl_ms;
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "credit lease renewal failed"),
        }
        let idle_before = started - idle.as_millis() as i64;
        let idle_accounts: Vec<Arc<Account>> = self
            .0
            .accounts
            .iter()
            .filter(|a| {
                let state = a.lock();
                state.reserved == 0 && state.lease > 0 && state.last_used_ms < idle_before
            })
            .map(|a| Arc::clone(&a))
            .collect();
        for account in idle_accounts {
            let Ok(_turn) = account.refill.try_lock() else {
                continue;
            };
            let amount = {
                let mut state = account.lock();
                if state.reserved != 0 || state.lease <= 0 {
                    continue;
                }
                std::mem::take(&mut state.lease)
            };
            let back = Nanos::from_nanos(amount);
            if let Err(err) =
                leases::give_back(&self.0.db, &account.subject, &self.0.holder, back).await
            {
                // Not given back: it stays leased (and expires if it cannot be renewed).
                tracing::warn!(error = %err, "giving back an idle credit lease failed");
                account.lock().lease += amount;
            }
        }
    }

    /// Drops this process's leases (after the usage writer's last batch).
    pub async fn release_all(&self) -> Result<(), DbErr> {
        leases::release_all(&self.0.db, &self.0.holder).await
    }
}
