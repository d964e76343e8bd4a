//! The endpoint health board: per endpoint (catalog model id + endpoint tag, the pair the
//! catalog and `/models/{author}/{slug}/endpoints` name an endpoint by) a circuit breaker and
//! rolling statistics — success rate, latency, time to first token, output speed.
//!
//! Hot path: looking an endpoint up is a lock-free map read (the map is swapped whole when an
//! endpoint is first seen) and the breaker is atomics, so checking candidates takes no lock.
//! Results are recorded after the exchange, under the endpoint's own small lock; the summary
//! routing reads is republished from there at most every [`SUMMARY_EVERY_MS`].

mod breaker;
mod window;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

pub use breaker::{Admission, BreakerConfig, BreakerState, SkipReason};
pub use window::{Sample, Summary};

use super::catalog::views::{EndpointStats, PercentileStats};
use super::error::{ErrorType, UpstreamError};

/// How often the routing summary of a busy endpoint is recomputed.
const SUMMARY_EVERY_MS: u64 = 250;
/// A breaker that opened this recently marks the endpoint as having had a recent outage.
const RECENT_OUTAGE_MS: u64 = 5 * 60_000;
/// `u32` sentinel for "no figure yet" in the published summary.
const NONE: u32 = u32::MAX;

/// What routing reads about one endpoint (the fields of routing's `EndpointHealth`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HealthSnapshot {
    /// The breaker lets a request through now (closed, or open long enough to probe) and no
    /// rate limit cools it.
    pub available: bool,
    /// The breaker is not closed, or it opened within the last 5 minutes; false while a
    /// probe is due.
    pub recent_outage: bool,
    /// Percentage (0–100) of answered requests over the last 30 minutes.
    pub uptime: Option<f64>,
    /// Median milliseconds from sending to the response headers (last 30 minutes).
    pub latency_ms_p50: Option<u32>,
    /// Median milliseconds to the first token the client got (last 30 minutes).
    pub ttft_ms_p50: Option<u32>,
    /// Median output tokens per second (last 30 minutes).
    pub throughput_tps_p50: Option<f32>,
}

/// How one attempt at an endpoint ended, as far as the endpoint's health goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The endpoint worked (or answered the caller's own mistake): not a failure.
    Answered,
    /// The endpoint failed: counts against uptime and towards opening the breaker.
    Failed,
    /// The upstream asked for a pause: cooled, not counted in uptime (as OpenRouter's uptime
    /// excludes rate-limited requests).
    RateLimited,
}

impl Verdict {
    pub fn of(err: &UpstreamError) -> Verdict {
        match err.error_type {
            ErrorType::RateLimitExceeded => Verdict::RateLimited,
            // The deployment's credentials or account at the provider: the endpoint is
            // unusable for us, as much as a 5xx is.
            ErrorType::Authentication
            | ErrorType::PermissionDenied
            | ErrorType::PaymentRequired
            | ErrorType::NotFound => Verdict::Failed,
            _ if err.retryable => Verdict::Failed,
            _ => Verdict::Answered,
        }
    }
}

/// One endpoint's breaker, windows and published summary.
struct Entry {
    breaker: breaker::Breaker,
    windows: Mutex<window::Windows>,
    /// Board ms + 1 of the last summary (0: never).
    summarized_at: AtomicU64,
    /// Published summary: uptime in hundredths of a percent, ms, hundredths of a token/s.
    uptime_centi: AtomicU32,
    latency_p50: AtomicU32,
    ttft_p50: AtomicU32,
    tps_centi_p50: AtomicU32,
}

impl Default for Entry {
    fn default() -> Self {
        Entry {
            breaker: breaker::Breaker::default(),
            windows: Mutex::default(),
            summarized_at: AtomicU64::new(0),
            uptime_centi: AtomicU32::new(NONE),
            latency_p50: AtomicU32::new(NONE),
            ttft_p50: AtomicU32::new(NONE),
            tps_centi_p50: AtomicU32::new(NONE),
        }
    }
}

impl Entry {
    fn publish(&self, summary: &Summary) {
        let put = |cell: &AtomicU32, value: Option<f64>| {
            let v = value.map_or(NONE, |v| v.round().clamp(0.0, f64::from(NONE - 1)) as u32);
            cell.store(v, Ordering::Relaxed);
        };
        put(&self.uptime_centi, summary.uptime_30m.map(|u| u * 100.0));
        put(&self.latency_p50, summary.latency_30m.map(|p| p.p50));
        put(&self.ttft_p50, summary.ttft_30m.map(|p| p.p50));
        put(
            &self.tps_centi_p50,
            summary.throughput_30m.map(|p| p.p50 * 100.0),
        );
    }

    fn published(cell: &AtomicU32) -> Option<u32> {
        Some(cell.load(Ordering::Relaxed)).filter(|&v| v != NONE)
    }
}

type Endpoints = HashMap<String, HashMap<String, Arc<Entry>>>;

/// The board for every endpoint this process has sent to.
pub struct HealthBoard {
    config: BreakerConfig,
    epoch: Instant,
    entries: ArcSwap<Endpoints>,
}

impl HealthBoard {
    pub fn new(config: BreakerConfig) -> Self {
        HealthBoard {
            config,
            epoch: Instant::now(),
            entries: ArcSwap::from_pointee(HashMap::new()),
        }
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// Milliseconds since the board started (its clock for deadlines).
    pub fn now_ms(&self) -> u64 {
        self.at(Instant::now())
    }

    fn at(&self, instant: Instant) -> u64 {
        instant.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// How long from now until board time `until_ms`.
    pub fn until(&self, until_ms: u64) -> Duration {
        Duration::from_millis(until_ms.saturating_sub(self.now_ms()))
    }

    fn get(&self, model_id: &str, tag: &str) -> Option<Arc<Entry>> {
        self.entries
            .load()
            .get(model_id)
            .and_then(|tags| tags.get(tag))
            .cloned()
    }

    /// The entry, created on first use. Endpoints come from the catalog, so the map is bounded
    /// by it; creation swaps the map (rare: once per endpoint per process).
    fn entry(&self, model_id: &str, tag: &str) -> Arc<Entry> {
        if let Some(entry) = self.get(model_id, tag) {
            return entry;
        }
        let fresh = Arc::new(Entry::default());
        let mut chosen = Arc::clone(&fresh);
        self.entries.rcu(|current| {
            let mut next = Endpoints::clone(current);
            let tags = next.entry(model_id.to_owned()).or_default();
            chosen = Arc::clone(tags.entry(tag.to_owned()).or_insert_with(|| fresh.clone()));
            next
        });
        chosen
    }

    /// Every endpoint's breaker state, as `(model id, endpoint tag, state)` (for metrics).
    pub fn breaker_states(&self) -> Vec<(String, String, BreakerState)> {
        let now = self.now_ms();
        let entries = self.entries.load();
        let mut states = Vec::new();
        for (model, tags) in entries.iter() {
            for (tag, entry) in tags {
                states.push((model.clone(), tag.clone(), entry.breaker.state(now)));
            }
        }
        states
    }

    /// May a request go to this endpoint now? A half-open breaker admits one probe, whose
    /// result must then be recorded (or released with [`Self::release`]).
    pub fn admit(&self, model_id: &str, tag: &str) -> Admission {
        match self.get(model_id, tag) {
            None => Admission::Available,
            Some(entry) => entry.breaker.admit(self.now_ms(), &self.config),
        }
    }

    /// A probe claimed by [`Self::admit`] that was never sent.
    pub fn release(&self, model_id: &str, tag: &str) {
        if let Some(entry) = self.get(model_id, tag) {
            entry.breaker.release_probe(self.now_ms());
        }
    }

    /// Records a successful exchange with its timings.
    pub fn record_success(&self, model_id: &str, tag: &str, sample: Sample) {
        let entry = self.entry(model_id, tag);
        entry.breaker.on_answer();
        let now = self.now_ms();
        let mut windows = entry.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.record_success(now, sample);
        self.maybe_publish(&entry, &windows, now);
    }

    /// The endpoint sent its response headers (or was answering when the client left):
    /// closes a half-open breaker; adds no figures (the exchange is not over).
    pub fn record_answered(&self, model_id: &str, tag: &str) {
        if let Some(entry) = self.get(model_id, tag) {
            entry.breaker.on_response();
        }
    }

    /// Records a failed exchange (before or after the first byte).
    pub fn record_error(&self, model_id: &str, tag: &str, err: &UpstreamError) {
        let verdict = Verdict::of(err);
        let entry = self.entry(model_id, tag);
        let now = self.now_ms();
        if let Some(pause) = err.retry_after {
            entry
                .breaker
                .cool(now, Some(pause.as_millis() as u64), &self.config);
        }
        match verdict {
            Verdict::RateLimited => {
                if err.retry_after.is_none() {
                    entry.breaker.cool(now, None, &self.config);
                }
                // It answered: a rate limit is not an outage.
                entry.breaker.on_answer();
            }
            Verdict::Failed => {
                entry.breaker.on_failure(now, &self.config);
                let mut windows = entry.windows.lock().unwrap_or_else(|e| e.into_inner());
                windows.record_failure(now);
                self.maybe_publish(&entry, &windows, now);
            }
            Verdict::Answered => entry.breaker.on_answer(),
        }
    }

    fn maybe_publish(&self, entry: &Entry, windows: &window::Windows, now: u64) {
        let last = entry.summarized_at.load(Ordering::Relaxed);
        if last == 0 || now.saturating_sub(last - 1) >= SUMMARY_EVERY_MS {
            entry.publish(&windows.summary(now));
            entry.summarized_at.store(now + 1, Ordering::Relaxed);
        }
    }

    /// What routing needs about one endpoint: atomics only, no lock.
    pub fn snapshot(&self, model_id: &str, endpoint_tag: &str) -> HealthSnapshot {
        let Some(entry) = self.get(model_id, endpoint_tag) else {
            return HealthSnapshot {
                available: true,
                ..HealthSnapshot::default()
            };
        };
        let now = self.now_ms();
        let state = entry.breaker.state(now);
        let admission = entry.breaker.peek(now);
        HealthSnapshot {
            available: !matches!(admission, Admission::Unavailable { .. }),
            // A breaker due for its probe is not "recent outage" for routing: ordering it last
            // would mean the probe never runs while another endpoint answers, and the
            // endpoint would never come back.
            recent_outage: admission != Admission::Probe
                && (state != BreakerState::Closed
                    || entry.breaker.opened_within(now, RECENT_OUTAGE_MS)),
            uptime: Entry::published(&entry.uptime_centi).map(|u| f64::from(u) / 100.0),
            latency_ms_p50: Entry::published(&entry.latency_p50),
            ttft_ms_p50: Entry::published(&entry.ttft_p50),
            throughput_tps_p50: Entry::published(&entry.tps_centi_p50).map(|t| t as f32 / 100.0),
        }
    }

    /// The live figures of `GET /models/{author}/{slug}/endpoints`, computed fresh.
    /// `status`: 0 normal, -1 cooling after a rate limit or half-open, -2 circuit open.
    pub fn endpoint_stats(&self, model_id: &str, endpoint_tag: &str) -> EndpointStats {
        let Some(entry) = self.get(model_id, endpoint_tag) else {
            return EndpointStats::default();
        };
        let now = self.now_ms();
        let summary = entry
            .windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .summary(now);
        let status = match (entry.breaker.state(now), entry.breaker.peek(now)) {
            (BreakerState::Open, _) => -2,
            (BreakerState::HalfOpen, _) | (_, Admission::Unavailable { .. }) => -1,
            _ => 0,
        };
        EndpointStats {
            status,
            uptime_last_5m: summary.uptime_5m,
            uptime_last_30m: summary.uptime_30m,
            uptime_last_1d: summary.uptime_1d,
            latency_last_30m: summary.ttft_30m.or(summary.latency_30m),
            throughput_last_30m: summary.throughput_30m,
        }
    }
}

impl Default for HealthBoard {
    fn default() -> Self {
        HealthBoard::new(BreakerConfig::default())
    }
}

/// Routing reads the board through its [`HealthSource`] view; `uptime` there is a fraction.
impl crate::gateway::routing::HealthSource for HealthBoard {
    fn health(
        &self,
        model_id: &str,
        endpoint_tag: &str,
    ) -> crate::gateway::routing::EndpointHealth {
        let s = self.snapshot(model_id, endpoint_tag);
        crate::gateway::routing::EndpointHealth {
            available: s.available,
            recent_outage: s.recent_outage,
            uptime: s.uptime.map(|percent| percent / 100.0),
            latency_ms_p50: s.latency_ms_p50,
            ttft_ms_p50: s.ttft_ms_p50,
            throughput_tps_p50: s.throughput_tps_p50,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16) -> UpstreamError {
        let mut err = UpstreamError::new("openai", ErrorType::from_upstream_status(status), "x");
        err.upstream_status = Some(status);
        err
    }

    #[test]
    fn unknown_endpoints_are_available_without_figures() {
        let board = HealthBoard::default();
        assert_eq!(board.admit("m/x", "p"), Admission::Available);
        let s = board.snapshot("m/x", "p");
        assert!(s.available && !s.recent_outage && s.uptime.is_none());
        assert_eq!(board.endpoint_stats("m/x", "p"), EndpointStats::default());
    }

    #[test]
    fn failures_open_the_breaker_and_show_in_the_snapshot() {
        let board = HealthBoard::new(BreakerConfig {
            threshold: 2,
            ..BreakerConfig::default()
        });
        board.record_success(
            "m/x",
            "p",
            Sample {
                latency_ms: 40,
                ttft_ms: Some(80),
                tokens_per_sec: Some(25.0),
            },
        );
        // Routing's figures are published on record (then at most every 250 ms).
        let s = board.snapshot("m/x", "p");
        assert_eq!(s.uptime, Some(100.0));
        let near = |v: f64, want: f64| (v - want).abs() <= want * 0.1;
        assert!(near(f64::from(s.latency_ms_p50.unwrap()), 40.0), "{s:?}");
        assert!(near(f64::from(s.ttft_ms_p50.unwrap()), 80.0), "{s:?}");
        assert!(
            near(f64::from(s.throughput_tps_p50.unwrap()), 25.0),
            "{s:?}"
        );
        board.record_error("m/x", "p", &failure(500));
        // Another endpoint of the same model is unaffected.
        board.record_error("m/x", "q", &failure(400));
        assert!(board.snapshot("m/x", "p").available);
        board.record_error("m/x", "p", &failure(502));
        let s = board.snapshot("m/x", "p");
        assert!(!s.available && s.recent_outage, "{s:?}");
        assert!(matches!(
            board.admit("m/x", "p"),
            Admission::Unavailable {
                reason: SkipReason::CircuitOpen,
                ..
            }
        ));
        let stats = board.endpoint_stats("m/x", "p");
        assert_eq!(stats.status, -2);
        let uptime = stats.uptime_last_30m.unwrap();
        assert!((uptime - 100.0 / 3.0).abs() < 0.01, "{uptime}");
        assert!(stats.latency_last_30m.is_some());
        assert!(board.snapshot("m/x", "q").available);
    }

    #[test]
    fn rate_limits_cool_without_counting_as_downtime() {
        let board = HealthBoard::default();
        let mut limited = failure(429);
        limited.retry_after = Some(Duration::from_secs(30));
        board.record_error("m/x", "p", &limited);
        let s = board.snapshot("m/x", "p");
        assert!(!s.available && !s.recent_outage, "{s:?}");
        assert_eq!(s.uptime, None);
        assert!(matches!(
            board.admit("m/x", "p"),
            Admission::Unavailable { reason: SkipReason::RateLimited, until_ms } if until_ms >= 29_000
        ));
        assert_eq!(board.endpoint_stats("m/x", "p").status, -1);
    }

    #[test]
    fn verdicts() {
        assert_eq!(Verdict::of(&failure(500)), Verdict::Failed);
        assert_eq!(Verdict::of(&failure(503)), Verdict::Failed);
        assert_eq!(Verdict::of(&failure(401)), Verdict::Failed);
        assert_eq!(Verdict::of(&failure(429)), Verdict::RateLimited);
        assert_eq!(Verdict::of(&failure(400)), Verdict::Answered);
        assert_eq!(Verdict::of(&failure(413)), Verdict::Answered);
    }
}
