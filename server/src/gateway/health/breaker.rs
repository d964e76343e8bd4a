//! The circuit breaker of one endpoint, on atomics so the hot path reads it without a lock.
//!
//! Closed: requests flow; `threshold` consecutive endpoint failures open it, and so does a
//! failure rate of `failure_rate_percent` or more over the last `failure_rate_window` outcomes. Open: requests skip
//! the endpoint until `until`; then the first request to ask becomes the probe (half-open, with a
//! lease so a probe that never reports does not keep the endpoint shut forever). The probe's
//! success closes the breaker; its failure reopens it with the cooldown doubled (bounded).
//! Separately, an upstream that asks for a pause (429, `Retry-After`) is cooled for that long.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The breaker's tuning; times in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive endpoint failures that open the breaker.
    pub threshold: u32,
    /// Failure rate (percent) over the last `failure_rate_window` outcomes that opens the
    /// breaker; 0 turns the rule off.
    pub failure_rate_percent: u32,
    /// Outcomes the failure rate looks at (at most 64); the rule waits until it has that many.
    pub failure_rate_window: u32,
    /// First open period; doubles with each failed probe.
    pub cooldown_ms: u64,
    /// Longest open period, and the cap on an upstream's `Retry-After`.
    pub max_cooldown_ms: u64,
    /// How long a half-open probe may take before another request may probe.
    pub probe_lease_ms: u64,
    /// Cooling after a 429 that names no `Retry-After`.
    pub rate_limit_cooldown_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            threshold: 5,
            failure_rate_percent: 50,
            failure_rate_window: 20,
            cooldown_ms: 30_000,
            max_cooldown_ms: 300_000,
            probe_lease_ms: 120_000,
            rate_limit_cooldown_ms: 1_000,
        }
    }
}

const CLOSED: u64 = 0;
const OPEN: u64 = 1;
const HALF_OPEN: u64 = 2;
const KIND_BITS: u64 = 2;
const KIND_MASK: u64 = (1 << KIND_BITS) - 1;

fn pack(kind: u64, until_ms: u64) -> u64 {
    (until_ms << KIND_BITS) | kind
}

fn unpack(word: u64) -> (u64, u64) {
    (word & KIND_MASK, word >> KIND_BITS)
}

/// Whether a request may go to the endpoint now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Available,
    /// Half-open: this request is the one probe; its result must be recorded.
    Probe,
    /// Skip it until `until_ms` (board time).
    Unavailable {
        until_ms: u64,
        reason: SkipReason,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    CircuitOpen,
    ProbeInFlight,
    RateLimited,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::CircuitOpen => "circuit open",
            SkipReason::ProbeInFlight => "circuit half-open, probe in flight",
            SkipReason::RateLimited => "cooling down after a rate limit",
        }
    }
}

/// The state an observer sees (for the endpoints view and routing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Default)]
pub struct Breaker {
    /// Kind in the low bits, the deadline (board ms) above them.
    state: AtomicU64,
    consecutive_failures: AtomicU32,
    /// Failed probes in a row; the cooldown is `cooldown_ms << reopenings`.
    reopenings: AtomicU32,
    /// Board ms until which a rate limit cools the endpoint.
    cooled_until: AtomicU64,
    /// Board ms + 1 of the last time the breaker opened (0: never).
    last_opened: AtomicU64,
    /// The latest outcomes since it last opened, newest in bit 0 (1 = failed).
    outcomes: AtomicU64,
    /// How many bits of `outcomes` are real (at most 64).
    outcome_count: AtomicU32,
}

impl Breaker {
    /// Read-only check (no probe is claimed): may a request be sent now?
    pub fn peek(&self, now_ms: u64) -> Admission {
        let cooled = self.cooled_until.load(Ordering::Relaxed);
        let (kind, until) = unpack(self.state.load(Ordering::Acquire));
        match kind {
            OPEN if now_ms < until => Admission::Unavailable {
                until_ms: until,
                reason: SkipReason::CircuitOpen,
            },
            HALF_OPEN if now_ms < until => Admission::Unavailable {
                until_ms: until,
                reason: SkipReason::ProbeInFlight,
            },
            _ if now_ms < cooled => Admission::Unavailable {
                until_ms: cooled,
                reason: SkipReason::RateLimited,
            },
            CLOSED => Admission::Available,
            _ => Admission::Probe,
        }
    }

    /// Asks to send a request now; a half-open breaker admits one probe at a time.
    pub fn admit(&self, now_ms: u64, config: &BreakerConfig) -> Admission {
        loop {
            let word = self.state.load(Ordering::Acquire);
            match self.peek(now_ms) {
                Admission::Probe => {
                    let claimed = pack(HALF_OPEN, now_ms + config.probe_lease_ms);
                    if self
                        .state
                        .compare_exchange(word, claimed, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        return Admission::Probe;
                    }
                    // Another request changed the state first; look again.
                }
                other => return other,
            }
        }
    }

    pub fn state(&self, now_ms: u64) -> BreakerState {
        let (kind, until) = unpack(self.state.load(Ordering::Acquire));
        match kind {
            CLOSED => BreakerState::Closed,
            OPEN if now_ms < until => BreakerState::Open,
            _ => BreakerState::HalfOpen,
        }
    }

    /// Whether the breaker opened within `window_ms` before `now_ms`.
    pub fn opened_within(&self, now_ms: u64, window_ms: u64) -> bool {
        let last = self.last_opened.load(Ordering::Relaxed);
        last != 0 && now_ms.saturating_sub(last - 1) < window_ms
    }

    /// The endpoint answered (successfully, or with the caller's own error): one outcome.
    pub fn on_answer(&self) {
        self.push_outcome(false);
        self.on_response();
    }

    /// The endpoint sent response headers: it is up, so a half-open (or open) breaker closes
    /// now rather than when a long stream ends. Not an outcome of its own (the exchange's end
    /// records that).
    pub fn on_response(&self) {
        // Read before writing: on a busy healthy endpoint this stays a shared cache line.
        if self.consecutive_failures.load(Ordering::Relaxed) != 0 {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
        if unpack(self.state.load(Ordering::Acquire)).0 != CLOSED {
            self.state.store(pack(CLOSED, 0), Ordering::Release);
            self.reopenings.store(0, Ordering::Relaxed);
        }
    }

    /// Shifts one outcome into the recent ones; returns them (newest in bit 0) and how many
    /// bits are real.
    fn push_outcome(&self, failed: bool) -> (u64, u32) {
        let bit = u64::from(failed);
        let previous = self
            .outcomes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                Some((b << 1) | bit)
            })
            .unwrap_or_default();
        let count = self
            .outcome_count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some((n + 1).min(64))
            })
            .unwrap_or_default();
        ((previous << 1) | bit, (count + 1).min(64))
    }

    /// Whether the recent outcomes fail at or above the configured rate.
    fn rate_exceeded(outcomes: u64, count: u32, config: &BreakerConfig) -> bool {
        let window = config.failure_rate_window.clamp(1, 64);
        if config.failure_rate_percent == 0 || count < window {
            return false;
        }
        let mask = if window == 64 {
            u64::MAX
        } else {
            (1u64 << window) - 1
        };
        (outcomes & mask).count_ones() * 100 >= config.failure_rate_percent * window
    }

    /// The endpoint failed (connect error, timeout, 5xx, overloaded, our key refused...).
    pub fn on_failure(&self, now_ms: u64, config: &BreakerConfig) {
        let (kind, _) = unpack(self.state.load(Ordering::Acquire));
        if kind == CLOSED {
            let failures = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
            let (outcomes, count) = self.push_outcome(true);
            if failures >= config.threshold.max(1) || Self::rate_exceeded(outcomes, count, config) {
                self.open(now_ms, config.cooldown_ms);
            }
            return;
        }
        if kind == OPEN {
            // Requests sent before it opened, or a last resort while open: it is open already,
            // and only a failed probe should lengthen the wait.
            return;
        }
        // The probe failed: back off further.
        let reopenings = self.reopenings.fetch_add(1, Ordering::Relaxed) + 1;
        let cooldown = config
            .cooldown_ms
            .saturating_mul(1u64 << reopenings.min(20))
            .min(config.max_cooldown_ms.max(config.cooldown_ms));
        self.open(now_ms, cooldown);
    }

    fn open(&self, now_ms: u64, cooldown_ms: u64) {
        self.consecutive_failures.store(0, Ordering::Relaxed);
        // After recovery the rate starts afresh, not from the outage's failures.
        self.outcomes.store(0, Ordering::Relaxed);
        self.outcome_count.store(0, Ordering::Relaxed);
        self.state
            .store(pack(OPEN, now_ms + cooldown_ms), Ordering::Release);
        self.last_opened.store(now_ms + 1, Ordering::Relaxed);
    }

    /// The upstream asked for a pause (429 or `Retry-After`): cool it that long, bounded.
    pub fn cool(&self, now_ms: u64, retry_after_ms: Option<u64>, config: &BreakerConfig) {
        let pause = retry_after_ms
            .unwrap_or(config.rate_limit_cooldown_ms)
            .min(config.max_cooldown_ms);
        self.cooled_until
            .fetch_max(now_ms + pause, Ordering::Relaxed);
    }

    /// A claimed probe was not sent (the request could not be built for this endpoint):
    /// let the next request probe at once.
    pub fn release_probe(&self, now_ms: u64) {
        let word = self.state.load(Ordering::Acquire);
        if unpack(word).0 == HALF_OPEN {
            self.state
                .compare_exchange(
                    word,
                    pack(OPEN, now_ms),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: BreakerConfig = BreakerConfig {
        threshold: 3,
        failure_rate_percent: 0,
        failure_rate_window: 10,
        cooldown_ms: 1_000,
        max_cooldown_ms: 5_000,
        probe_lease_ms: 10_000,
        rate_limit_cooldown_ms: 500,
    };

    #[test]
    fn opens_after_consecutive_failures_only() {
        let b = Breaker::default();
        b.on_failure(0, &CONFIG);
        b.on_failure(0, &CONFIG);
        b.on_answer(); // a success in between resets the count
        b.on_failure(0, &CONFIG);
        b.on_failure(0, &CONFIG);
        assert_eq!(b.admit(0, &CONFIG), Admission::Available);
        assert!(!b.opened_within(0, 60_000));
        b.on_failure(100, &CONFIG);
        assert_eq!(
            b.admit(200, &CONFIG),
            Admission::Unavailable {
                until_ms: 1_100,
                reason: SkipReason::CircuitOpen
            }
        );
        assert_eq!(b.state(200), BreakerState::Open);
        assert!(b.opened_within(200, 60_000));
        assert!(!b.opened_within(100_000, 60_000));
        // Failures of requests already in flight do not lengthen an open period.
        for _ in 0..10 {
            b.on_failure(300, &CONFIG);
        }
        assert!(matches!(
            b.admit(300, &CONFIG),
            Admission::Unavailable {
                until_ms: 1_100,
                ..
            }
        ));
        assert_eq!(b.admit(1_100, &CONFIG), Admission::Probe);
    }

    #[test]
    fn a_high_failure_rate_opens_it_without_consecutive_failures() {
        let config = BreakerConfig {
            threshold: 100,
            failure_rate_percent: 50,
            ..CONFIG
        };
        let b = Breaker::default();
        // Four of nine failed: too few outcomes yet, and under the rate.
        for _ in 0..4 {
            b.on_answer();
            b.on_failure(0, &config);
        }
        b.on_answer();
        // Headers alone are not an outcome.
        b.on_response();
        assert_eq!(b.admit(0, &config), Admission::Available);
        // The tenth outcome makes five failures in ten: 50 %.
        b.on_failure(0, &config);
        assert_eq!(b.state(0), BreakerState::Open);
        // Recovered, the rate starts afresh: one failure does not reopen it.
        assert_eq!(b.admit(1_000, &config), Admission::Probe);
        b.on_answer();
        b.on_failure(1_000, &config);
        assert_eq!(b.admit(1_000, &config), Admission::Available);
        // Older outcomes slide out of the window.
        let b = Breaker::default();
        for _ in 0..4 {
            b.on_failure(0, &config);
            b.on_answer();
        }
        for _ in 0..10 {
            b.on_answer();
        }
        b.on_failure(0, &config);
        assert_eq!(b.state(0), BreakerState::Closed);
    }

    #[test]
    fn half_open_lets_one_probe_through_and_its_success_closes() {
        let b = Breaker::default();
        for _ in 0..3 {
            b.on_failure(0, &CONFIG);
        }
        assert_eq!(b.peek(1_000), Admission::Probe);
        assert_eq!(b.admit(1_000, &CONFIG), Admission::Probe);
        // Only one at a time.
        assert!(matches!(
            b.admit(1_001, &CONFIG),
            Admission::Unavailable {
                reason: SkipReason::ProbeInFlight,
                ..
            }
        ));
        assert_eq!(b.state(1_001), BreakerState::HalfOpen);
        b.on_answer();
        assert_eq!(b.admit(1_002, &CONFIG), Admission::Available);
        assert_eq!(b.state(1_002), BreakerState::Closed);
    }

    #[test]
    fn failed_probes_back_off_exponentially_up_to_the_cap() {
        let b = Breaker::default();
        for _ in 0..3 {
            b.on_failure(0, &CONFIG);
        }
        let mut now = 1_000;
        for expected in [2_000, 4_000, 5_000, 5_000] {
            assert_eq!(b.admit(now, &CONFIG), Admission::Probe);
            b.on_failure(now, &CONFIG);
            assert_eq!(
                b.admit(now, &CONFIG),
                Admission::Unavailable {
                    until_ms: now + expected,
                    reason: SkipReason::CircuitOpen
                }
            );
            now += expected;
        }
        // Recovery resets the backoff: the next trip opens for the base cooldown again.
        assert_eq!(b.admit(now, &CONFIG), Admission::Probe);
        b.on_answer();
        for _ in 0..3 {
            b.on_failure(now, &CONFIG);
        }
        assert!(matches!(
            b.admit(now, &CONFIG),
            Admission::Unavailable { until_ms, .. } if until_ms == now + 1_000
        ));
    }

    #[test]
    fn a_silent_probe_expires_and_a_released_one_frees_at_once() {
        let b = Breaker::default();
        for _ in 0..3 {
            b.on_failure(0, &CONFIG);
        }
        assert_eq!(b.admit(1_000, &CONFIG), Admission::Probe);
        assert!(matches!(
            b.admit(5_000, &CONFIG),
            Admission::Unavailable { .. }
        ));
        // The lease ran out: another request may probe.
        assert_eq!(b.admit(11_000, &CONFIG), Admission::Probe);
        b.release_probe(11_001);
        assert_eq!(b.admit(11_002, &CONFIG), Admission::Probe);
    }

    #[test]
    fn rate_limits_cool_for_the_time_asked_bounded() {
        let b = Breaker::default();
        b.cool(0, Some(2_000), &CONFIG);
        assert_eq!(
            b.admit(1_000, &CONFIG),
            Admission::Unavailable {
                until_ms: 2_000,
                reason: SkipReason::RateLimited
            }
        );
        assert_eq!(b.admit(2_000, &CONFIG), Admission::Available);
        b.cool(10_000, Some(3_600_000), &CONFIG);
        assert!(matches!(
            b.admit(10_000, &CONFIG),
            Admission::Unavailable {
                until_ms: 15_000,
                ..
            }
        ));
        b.cool(20_000, None, &CONFIG);
        assert!(matches!(
            b.admit(20_000, &CONFIG),
            Admission::Unavailable {
                until_ms: 20_500,
                ..
            }
        ));
        // Cooling is not an outage.
        assert_eq!(b.state(20_000), BreakerState::Closed);
    }
}
