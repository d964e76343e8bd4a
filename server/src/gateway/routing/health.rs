//! What routing needs to know about an endpoint's recent behaviour. Routing only reads it;
//! whoever watches the upstream calls (circuit breakers, latency and throughput figures)
//! implements [`HealthSource`].

/// One endpoint's recent health. `Default` means "no data": available, no outage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndpointHealth {
    /// False while its breaker is open or it cools down after a 429.
    pub available: bool,
    /// Failed recently (e.g. an outage in the last minutes) though callable again.
    pub recent_outage: bool,
    /// Share of successful requests recently, 0..=1.
    pub uptime: Option<f64>,
    pub latency_ms_p50: Option<u32>,
    /// Time to first token.
    pub ttft_ms_p50: Option<u32>,
    /// Output tokens per second.
    pub throughput_tps_p50: Option<f32>,
}

impl Default for EndpointHealth {
    fn default() -> Self {
        EndpointHealth {
            available: true,
            recent_outage: false,
            uptime: None,
            latency_ms_p50: None,
            ttft_ms_p50: None,
            throughput_tps_p50: None,
        }
    }
}

impl EndpointHealth {
    /// The latency `sort: "latency"` and `preferred_max_latency` use: time to first token
    /// when measured (what a streaming client waits for), else the whole-response latency.
    pub fn latency_ms(&self) -> Option<u32> {
        self.ttft_ms_p50.or(self.latency_ms_p50)
    }
}

/// Health figures by catalog model id and endpoint tag. Called on the hot path once per
/// candidate endpoint, so implementations must answer from memory without blocking.
pub trait HealthSource: Send + Sync {
    fn health(&self, model_id: &str, endpoint_tag: &str) -> EndpointHealth;
}

/// No figures at all: every endpoint available, none with an outage.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHealthData;

impl HealthSource for NoHealthData {
    fn health(&self, _model_id: &str, _endpoint_tag: &str) -> EndpointHealth {
        EndpointHealth::default()
    }
}
