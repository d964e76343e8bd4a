//! Prometheus metrics (`GET /metrics`), through the `metrics` facade and
//! `metrics-exporter-prometheus`'s recorder; actix serves its rendering (see `api::metrics`).
//!
//! Nothing here runs on a request's thread. Per-request series are recorded on the usage
//! writer's thread as it assembles a request's records (see [`generation`]), so they cost the
//! request nothing; gauges of state (the writer's queue, breakers, open streams) are sampled
//! when Prometheus scrapes (see [`Metrics::render`]). The only request-side cost is the open
//! streams count, one atomic increment and decrement per stream (`gateway::relay`).
//!
//! Labels are bounded: model ids, provider slugs and endpoint tags come from the catalog,
//! statuses and error kinds from fixed sets, never key hashes, organizations or free text.

pub mod generation;

use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::gateway::health::{BreakerState, HealthBoard};
use crate::usage::writer::WriterStatus;

pub const REQUESTS: &str = "switchboard_requests_total";
pub const REQUEST_DURATION: &str = "switchboard_request_duration_seconds";
pub const TTFT: &str = "switchboard_time_to_first_token_seconds";
pub const UPSTREAM_ERRORS: &str = "switchboard_upstream_errors_total";
pub const TOKENS: &str = "switchboard_tokens_total";
pub const COST: &str = "switchboard_cost_nanodollars_total";
pub const REFUSALS: &str = "switchboard_refusals_total";
pub const OPEN_STREAMS: &str = "switchboard_open_streams";
pub const QUEUE_DEPTH: &str = "switchboard_usage_queue_depth";
pub const QUEUE_CAPACITY: &str = "switchboard_usage_queue_capacity";
pub const WRITER_FAILING: &str = "switchboard_usage_writer_failing";
pub const DEAD_LETTERED: &str = "switchboard_usage_dead_lettered_total";
pub const COMMIT_DURATION: &str = "switchboard_usage_commit_duration_seconds";
pub const BREAKER_STATE: &str = "switchboard_breaker_state";

/// From a cached answer to a long reasoning stream.
const REQUEST_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
const TTFT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// A batch commits in milliseconds; seconds mean a struggling database.
const COMMIT_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// How often histograms' samples are folded in when nobody scrapes (their buffers would
/// otherwise grow until the next scrape).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder. Installed once per process: the facade has one global recorder
/// (tests start several servers in one process; they share it).
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The metrics endpoint's side: the recorder's handle and the token scrapes must present.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    token: Option<String>,
}

impl Metrics {
    /// Installs the process's recorder (once) when `config` enables metrics; `None` when it
    /// does not, or when another recorder was installed first (logged).
    pub fn install(config: &crate::config::Config) -> Option<Metrics> {
        if !config.metrics_enabled {
            return None;
        }
        let handle = HANDLE.get_or_init(install_recorder).clone()?;
        Some(Metrics {
            handle,
            token: config.metrics_token.clone(),
        })
    }

    /// The bearer token scrapes must present, when one is configured.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Folds histograms' pending samples in, periodically, on the current runtime.
    pub fn spawn_upkeep(&self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(UPKEEP_EVERY);
            loop {
                tick.tick().await;
                handle.run_upkeep();
            }
        });
    }

    /// The exposition text, with the sampled gauges brought up to date first.
    pub fn render(
        &self,
        writer: &WriterStatus,
        health: &HealthBoard,
        open_streams: usize,
    ) -> String {
        gauge!(QUEUE_DEPTH).set(writer.queue_depth as f64);
        gauge!(QUEUE_CAPACITY).set(writer.queue_capacity as f64);
        gauge!(WRITER_FAILING).set(if writer.failing_since.is_some() {
            1.0
        } else {
            0.0
        });
        counter!(DEAD_LETTERED).absolute(writer.dead_lettered);
        gauge!(OPEN_STREAMS).set(open_streams as f64);
        for (model, endpoint, state) in health.breaker_states() {
            let value = match state {
                BreakerState::Closed => 0.0,
                BreakerState::HalfOpen => 1.0,
                BreakerState::Open => 2.0,
            };
            gauge!(BREAKER_STATE, "model" => model, "endpoint" => endpoint).set(value);
        }
        self.handle.render()
    }
}

fn install_recorder() -> Option<PrometheusHandle> {
    let built = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), REQUEST_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(TTFT.into()), TTFT_BUCKETS))
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(COMMIT_DURATION.into()), COMMIT_BUCKETS)
        });
    let recorder = match built {
        Ok(builder) => builder.build_recorder(),
        Err(err) => {
            tracing::error!(%err, "metrics: the recorder could not be built; /metrics is off");
            return None;
        }
    };
    let handle = recorder.handle();
    if let Err(err) = ::metrics::set_global_recorder(recorder) {
        tracing::error!(%err, "metrics: another recorder is installed; /metrics is off");
        return None;
    }
    describe();
    Some(handle)
}

/// The series' help texts and units.
fn describe() {
    describe_counter!(
        REQUESTS,
        "Generations by model, provider, API type and the status the client got (refusals and requests that reached no endpoint: model and provider \"none\")"
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "From a request's arrival to its upstream's last byte (requests an upstream answered)"
    );
    describe_histogram!(
        TTFT,
        Unit::Seconds,
        "Streamed requests: from arrival to the upstream's first byte"
    );
    describe_counter!(
        UPSTREAM_ERRORS,
        "Failed upstream attempts by provider and error kind (OpenRouter's error types)"
    );
    describe_counter!(
        TOKENS,
        "Tokens by model, provider and type (prompt, completion, reasoning)"
    );
    describe_counter!(
        COST,
        "What generations were charged from credit (BYOK: the fee), in nano-dollars (1e-9 USD): integers, so sums are exact"
    );
    describe_counter!(
        REFUSALS,
        "Requests refused before any upstream: rate_limit (429), credit (402), budget (403)"
    );
    describe_gauge!(OPEN_STREAMS, "Streams being relayed now");
    describe_gauge!(
        QUEUE_DEPTH,
        "Requests whose usage records wait for the writer"
    );
    describe_gauge!(QUEUE_CAPACITY, "The usage writer's queue size");
    describe_gauge!(
        WRITER_FAILING,
        "1 while the usage writer's commits fail (it retries; see the README's \"Usage records\")"
    );
    describe_counter!(
        DEAD_LETTERED,
        "Requests whose records went to the dead-letter file"
    );
    describe_histogram!(
        COMMIT_DURATION,
        Unit::Seconds,
        "One usage batch's commit, retries included"
    );
    describe_gauge!(
        BREAKER_STATE,
        "Circuit breaker per catalog endpoint: 0 closed, 1 half-open, 2 open"
    );
}
