//! A generation's series, recorded on the usage writer's thread while it assembles the
//! request's records (`inference::record`): the request has been answered by then, so
//! nothing here adds to its latency, and the label strings are built off the hot path.

use std::cell::RefCell;
use std::collections::HashMap;

use ::metrics::{Counter, Histogram, counter, histogram};

use super::{COST, REFUSALS, REQUEST_DURATION, REQUESTS, TOKENS, TTFT, UPSTREAM_ERRORS};
use crate::gateway::relay::Outcome;

/// The label of a model or provider a request never reached (refused, or no endpoint
/// answered and none was tried): the requested model is free text, so it is not a label.
pub const NONE: &str = "none";

/// Records a relayed request: `status` is what its client was answered, `api_type` the
/// API it came through.
pub fn relayed(outcome: &Outcome, api_type: &'static str, status: u16) {
    let (model, provider) = endpoint(outcome);
    HANDLES.with_borrow_mut(|handles| {
        for attempt in &outcome.attempts {
            if let Some(kind) = attempt.error_type {
                handles
                    .upstream_error(&attempt.provider_slug, kind)
                    .increment(1);
            }
        }
        let series = handles.endpoint(model, provider);
        series.requests(api_type, status).increment(1);
        if let Some(first_byte) = outcome.first_byte {
            let total = first_byte + outcome.generation_time.unwrap_or_default();
            series.duration().record(total.as_secs_f64());
            if outcome.streamed {
                series.ttft().record(first_byte.as_secs_f64());
            }
        }
        let usage = &outcome.usage;
        let counts = [
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.reasoning_tokens(),
        ];
        for (kind, tokens) in counts.into_iter().enumerate() {
            if tokens > 0 {
                series.tokens(kind).increment(tokens);
            }
        }
        if let Ok(nanos) = u64::try_from(outcome.cost.as_nanos())
            && nanos > 0
        {
            series.cost().increment(nanos);
        }
    });
}

thread_local! {
    /// The series' handles by their labels, per thread (in the server, the usage writer's).
    /// `counter!` with owned labels allocates a key, hashes it and looks it up in the
    /// recorder's registry on every call, several times per request; a handle found once is
    /// then an atomic add. Bounded as the labels are (see the module above).
    static HANDLES: RefCell<Handles> = RefCell::default();
}

#[derive(Default)]
struct Handles {
    /// By "model\nprovider".
    endpoints: HashMap<String, EndpointSeries>,
    /// By "provider\nkind".
    upstream_errors: HashMap<String, Counter>,
    /// The lookup key, reused.
    key: String,
}

/// One endpoint's (model × provider) series, each registered when first recorded (as
/// `counter!` would: a series appears in the exposition once it has a value).
struct EndpointSeries {
    model: String,
    provider: String,
    /// By API type and status.
    requests: Vec<(&'static str, u16, Counter)>,
    duration: Option<Histogram>,
    ttft: Option<Histogram>,
    /// Prompt, completion, reasoning.
    tokens: [Option<Counter>; 3],
    cost: Option<Counter>,
}

impl Handles {
    fn endpoint(&mut self, model: &str, provider: &str) -> &mut EndpointSeries {
        self.key.clear();
        self.key.extend([model, "\n", provider]);
        cached(&mut self.endpoints, &self.key, || {
            EndpointSeries::of(model, provider)
        })
    }

    fn upstream_error(&mut self, provider: &str, kind: &'static str) -> &Counter {
        self.key.clear();
        self.key.extend([provider, "\n", kind]);
        cached(
            &mut self.upstream_errors,
            &self.key,
            || counter!(UPSTREAM_ERRORS, "provider" => provider.to_owned(), "kind" => kind),
        )
    }
}

/// `map[key]`, made by `make` the first time.
fn cached<'m, T>(
    map: &'m mut HashMap<String, T>,
    key: &str,
    make: impl FnOnce() -> T,
) -> &'m mut T {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), make());
    }
    map.get_mut(key).expect("inserted above")
}

impl EndpointSeries {
    fn of(model: &str, provider: &str) -> Self {
        EndpointSeries {
            model: model.to_owned(),
            provider: provider.to_owned(),
            requests: Vec::new(),
            duration: None,
            ttft: None,
            tokens: [None, None, None],
            cost: None,
        }
    }

    fn duration(&mut self) -> &Histogram {
        let (m, p) = (&self.model, &self.provider);
        self.duration.get_or_insert_with(
            || histogram!(REQUEST_DURATION, "model" => m.clone(), "provider" => p.clone()),
        )
    }

    fn ttft(&mut self) -> &Histogram {
        let (m, p) = (&self.model, &self.provider);
        self.ttft
            .get_or_insert_with(|| histogram!(TTFT, "model" => m.clone(), "provider" => p.clone()))
    }

    /// `kind`: 0 prompt, 1 completion, 2 reasoning.
    fn tokens(&mut self, kind: usize) -> &Counter {
        let (m, p) = (&self.model, &self.provider);
        let label = ["prompt", "completion", "reasoning"][kind];
        self.tokens[kind].get_or_insert_with(
            || counter!(TOKENS, "model" => m.clone(), "provider" => p.clone(), "type" => label),
        )
    }

    fn cost(&mut self) -> &Counter {
        let (m, p) = (&self.model, &self.provider);
        self.cost
            .get_or_insert_with(|| counter!(COST, "model" => m.clone(), "provider" => p.clone()))
    }

    fn requests(&mut self, api_type: &'static str, status: u16) -> &Counter {
        let at = match self
            .requests
            .iter()
            .position(|(a, s, _)| (*a, *s) == (api_type, status))
        {
            Some(at) => at,
            None => {
                let counter = counter!(
                    REQUESTS,
                    "model" => self.model.clone(),
                    "provider" => self.provider.clone(),
                    "api_type" => api_type,
                    "status" => status_label(status),
                );
                self.requests.push((api_type, status, counter));
                self.requests.len() - 1
            }
        };
        &self.requests[at].2
    }
}

/// Records a request refused before any upstream was tried (429, 402, 403).
pub fn refused(api_type: &'static str, status: u16) {
    counter!(
        REQUESTS,
        "model" => NONE,
        "provider" => NONE,
        "api_type" => api_type,
        "status" => status_label(status),
    )
    .increment(1);
    let reason = match status {
        429 => "rate_limit",
        402 => "credit",
        403 => "budget",
        _ => "other",
    };
    counter!(REFUSALS, "reason" => reason).increment(1);
}

/// The catalog endpoint that served, else the last one tried; else [`NONE`].
fn endpoint(outcome: &Outcome) -> (&str, &str) {
    if let Some(target) = &outcome.served {
        return (&target.model_id, &target.provider_slug);
    }
    outcome
        .attempts
        .iter()
        .rev()
        .find(|a| a.skipped.is_none())
        .or(outcome.attempts.last())
        .map_or((NONE, NONE), |a| (&a.model, &a.provider_slug))
}

/// Statuses as labels; the common ones without an allocation.
fn status_label(status: u16) -> ::metrics::SharedString {
    let common = match status {
        200 => "200",
        400 => "400",
        401 => "401",
        402 => "402",
        403 => "403",
        404 => "404",
        408 => "408",
        413 => "413",
        429 => "429",
        499 => "499",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        _ => return status.to_string().into(),
    };
    common.into()
}
