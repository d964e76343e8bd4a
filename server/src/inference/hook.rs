//! The completion hook: everything that happens after the answer, in one place, exactly once
//! per request — on success, on upstream failure, when the client goes away (mid-stream, or
//! a whole-response request whose handler future is dropped), and when the server stops.
//!
//! "Exactly once" is structural: [`CompletionHook::complete`] consumes the hook, and a hook
//! dropped without completing fires from `Drop` (without waiting: the record is queued at
//! once) with what is known — a stream relay's reported outcome, or a cancelled one.
//!
//! What it receives is the relay's [`Outcome`]: the endpoint that served (`served`, a
//! [`crate::gateway::relay::Target`], `None` when nothing answered), the `usage`, the `cost`
//! in [`crate::billing::money::Nanos`], and `is_byok` (the caller's own provider key was
//! used), with the attempts, timings and error for the record.

use tokio::sync::oneshot;

use super::Inference;
use super::funding::Funding;
use super::record::Recording;
use crate::billing::leases::Subject;
use crate::billing::ledger::EntryKind;
use crate::billing::money::Nanos;
use crate::gateway::UpstreamError;
use crate::gateway::failure::{Failure, Reported};
use crate::gateway::relay::Outcome;
use crate::gateway::routing::sticky::StickyKey;
use crate::usage::record::{Debit, UsageRecord};
use crate::usage::writer::InFlight;

/// Armed when a request is about to be relayed; fired once.
pub struct CompletionHook {
    armed: Option<Armed>,
}

struct Armed {
    service: Inference,
    recording: Recording,
    /// The request's credit reservation, settled here.
    funding: Funding,
    /// Where to remember the provider after a prompt-cache hit.
    sticky_key: Option<StickyKey>,
    streamed: bool,
    /// A stream relay's outcome, while the hook waits for it.
    done: Option<oneshot::Receiver<Outcome>>,
    /// Counts the request until its records reach the usage writer (shutdown waits for it).
    in_flight: InFlight,
}

impl CompletionHook {
    pub(super) fn arm(
        service: Inference,
        mut recording: Recording,
        funding: Funding,
        sticky_key: Option<StickyKey>,
        streamed: bool,
    ) -> Self {
        recording.capped_max_tokens = funding.capped_max_tokens;
        let in_flight = service.usage().in_flight();
        CompletionHook {
            armed: Some(Armed {
                in_flight,
                service,
                recording,
                funding,
                sticky_key,
                streamed,
                done: None,
            }),
        }
    }

    /// Fires the hook with the exchange's outcome. Waits only when the usage writer's queue
    /// is full (backpressure).
    pub async fn complete(mut self, outcome: Outcome) {
        if let Some(armed) = self.armed.take() {
            let (service, record) = armed.conclude(outcome);
            service.usage().record_with(record).await;
        }
    }

    /// A whole (not streamed) exchange's end: its error as the response reports it (with the
    /// outcome's attempts), then the hook fired.
    pub async fn complete_whole<T>(
        self,
        result: Result<T, UpstreamError>,
        outcome: Outcome,
    ) -> Result<T, Failure> {
        let result = result.map_err(|err| {
            Failure::of(
                &err,
                outcome.provider_name().as_deref(),
                Some(&outcome.attempts),
                Reported::AsResponse,
            )
        });
        self.complete(outcome).await;
        result
    }

    /// Waits for a stream relay's outcome and fires the hook with it.
    pub async fn complete_stream(mut self, done: oneshot::Receiver<Outcome>) {
        let outcome = self.stream_outcome(done).await;
        // Boxed: this future lives in a task for the whole stream, and a task's allocation is
        // sized for its largest state; the completion's state (outcome, record closure, the
        // writer's send) would otherwise be carried by every open stream.
        Box::pin(self.complete(outcome)).await;
    }

    /// A stream relay's outcome. The hook stays armed while it waits: a task dropped meanwhile
    /// (the server stopping) fires it from `Drop` with whatever the relay reported by then.
    pub async fn stream_outcome(&mut self, done: oneshot::Receiver<Outcome>) -> Outcome {
        let Some(armed) = self.armed.as_mut() else {
            return Outcome::default();
        };
        let done = armed.done.insert(done);
        let outcome = done.await.unwrap_or_else(|_| cancelled(true));
        armed.done = None;
        outcome
    }
}

impl Drop for CompletionHook {
    fn drop(&mut self) {
        if let Some(mut armed) = self.armed.take() {
            let outcome = armed
                .done
                .take()
                .and_then(|mut done| done.try_recv().ok())
                .unwrap_or_else(|| cancelled(armed.streamed));
            let (service, record) = armed.conclude(outcome);
            service.usage().record_detached(record);
        }
    }
}

/// A request that ended before the relay could say how (its future or task was dropped).
fn cancelled(streamed: bool) -> Outcome {
    Outcome {
        streamed,
        cancelled: true,
        ..Outcome::default()
    }
}

impl Armed {
    /// Everything after the answer, in order; returns the request's usage records (its
    /// generation and its key's spend, committed in one transaction) for the caller to hand
    /// to the usage writer, waiting or not.
    fn conclude(
        self,
        mut outcome: Outcome,
    ) -> (
        Inference,
        impl FnOnce(&mut Vec<UsageRecord>) + Send + 'static,
    ) {
        let Armed {
            service,
            recording,
            funding,
            sticky_key,
            in_flight,
            ..
        } = self;
        // Credit: the reservation settles at the charge, and the charge's ledger debit joins
        // the generation and key records (one transaction).
        outcome.cost = charge(&outcome);
        let leased =
            |which: fn(&Subject) -> bool| funding.reservations.iter().any(|r| which(r.subject()));
        let key_lease = leased(|s| matches!(s, Subject::Key(_)));
        let budget_lease = leased(|s| matches!(s, Subject::Budget(_)));
        for reservation in funding.reservations {
            reservation.settle(outcome.cost);
        }
        let debited = outcome.cost.is_positive() && !cfg!(feature = "bench-unfunded");
        let debit = debited.then(|| Debit {
            org_id: recording.key.key.org_id.clone(),
            key_lease: key_lease.then(|| recording.key.key.hash.clone()),
            budget_lease,
            kind: if outcome.is_byok {
                EntryKind::ByokFee
            } else {
                EntryKind::Generation
            },
            generation_id: recording.generation_id.clone(),
            amount: outcome.cost,
            lease_holder: service.0.credit_accounts.holder().clone(),
        });

        // After a prompt was served from a provider's cache, the same prefix sticks to it.
        if let Some(key) = sticky_key
            && outcome.usage.cached_tokens() > 0
            && let Some(target) = &outcome.served
        {
            service.0.sticky.remember(key, &target.provider_slug);
        }
        (service, move |records: &mut Vec<UsageRecord>| {
            let _assembled = in_flight;
            recording.into_records(outcome, records);
            records.extend(debit.map(UsageRecord::Debit));
        })
    }
}

/// What the request is charged: its cost, except that a generation that ended in an error
/// without producing a completion token costs nothing (zero-completion insurance). A client
/// that went away pays for what was generated until then (the relay counted it).
fn charge(outcome: &Outcome) -> Nanos {
    if outcome.error.is_some() && outcome.usage.completion_tokens == 0 {
        Nanos::ZERO
    } else {
        outcome.cost
    }
}
