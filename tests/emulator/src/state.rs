//! State shared by every worker of one emulator: configuration, the knob defaults, the request
//! log, stream counters, fail-first counters and the Anthropic prompt "cache".

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::EmulatorConfig;
use crate::knobs::Knobs;

/// One request as the emulator received it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Which protocol handled it: `openai`, `anthropic`, `gemini` or `emulator`.
    pub provider: String,
    pub method: String,
    pub path: String,
    /// The raw query string (`alt=sse&key=...`), empty when none.
    pub query: String,
    /// Header names lowercased; repeated headers joined with `, `.
    pub headers: HashMap<String, String>,
    /// The parsed JSON body; `Value::Null` when the body was empty or not JSON.
    pub body: Value,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Stream counters. `aborted` counts streams the client dropped before their end (the signal
/// that a gateway propagated a client disconnect upstream); `cut` counts injected disconnects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u64,
    pub streams_started: u64,
    pub streams_completed: u64,
    pub streams_aborted: u64,
    pub streams_cut: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub started: AtomicU64,
    pub completed: AtomicU64,
    pub aborted: AtomicU64,
    pub cut: AtomicU64,
}

pub(crate) struct Shared {
    pub config: EmulatorConfig,
    knobs: RwLock<Arc<Knobs>>,
    log: Mutex<VecDeque<RecordedRequest>>,
    pub counters: Counters,
    fail_counts: Mutex<HashMap<String, u32>>,
    cache: Mutex<HashSet<u64>>,
}

/// Past this many remembered prompt prefixes the cache starts over (memory stays bounded).
const CACHE_CAPACITY: usize = 100_000;

impl Shared {
    pub fn new(config: EmulatorConfig) -> Shared {
        Shared {
            knobs: RwLock::new(Arc::new(config.knobs.clone())),
            config,
            log: Mutex::new(VecDeque::new()),
            counters: Counters::default(),
            fail_counts: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashSet::new()),
        }
    }

    pub fn knobs(&self) -> Arc<Knobs> {
        self.knobs.read().expect("knobs lock").clone()
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        *self.knobs.write().expect("knobs lock") = Arc::new(knobs);
    }

    pub fn logging(&self) -> bool {
        self.config.log_capacity > 0
    }

    pub fn record(&self, request: RecordedRequest) {
        let mut log = self.log.lock().expect("log lock");
        if log.len() >= self.config.log_capacity {
            log.pop_front();
        }
        log.push_back(request);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.lock().expect("log lock").iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        self.log.lock().expect("log lock").clear();
    }

    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            requests: c.requests.load(Ordering::Relaxed),
            streams_started: c.started.load(Ordering::Relaxed),
            streams_completed: c.completed.load(Ordering::Relaxed),
            streams_aborted: c.aborted.load(Ordering::Relaxed),
            streams_cut: c.cut.load(Ordering::Relaxed),
        }
    }

    /// Forgets the log, counters, fail-first counts and cache; restores the configured knobs.
    pub fn reset(&self) {
        self.clear_requests();
        for c in [
            &self.counters.requests,
            &self.counters.started,
            &self.counters.completed,
            &self.counters.aborted,
            &self.counters.cut,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.fail_counts.lock().expect("fail lock").clear();
        self.cache.lock().expect("cache lock").clear();
        self.set_knobs(self.config.knobs.clone());
    }

    /// Counts one attempt for the fail-first scenario and says whether it must fail.
    pub fn should_fail_first(&self, scenario: &str, n: u32) -> bool {
        let mut counts = self.fail_counts.lock().expect("fail lock");
        let seen = counts.entry(scenario.to_owned()).or_insert(0);
        *seen += 1;
        *seen <= n
    }

    /// Looks a prompt prefix up in the cache, inserting it; true when it was already there.
    pub fn cache_hit(&self, key: u64) -> bool {
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.contains(&key) {
            return true;
        }
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key);
        false
    }
}
