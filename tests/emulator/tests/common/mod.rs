//! Helpers shared by the emulator's integration tests.
#![allow(dead_code)]

use provider_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use serde_json::Value;

pub const KEY: &str = provider_emulator::DEFAULT_API_KEY;

pub fn start() -> RunningEmulator {
    Emulator::start(EmulatorConfig::default()).expect("emulator starts")
}

pub fn start_with(adjust: impl FnOnce(&mut EmulatorConfig)) -> RunningEmulator {
    let mut config = EmulatorConfig::default();
    adjust(&mut config);
    Emulator::start(config).expect("emulator starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Text of a fixture under tests/fixtures/.
pub fn fixture(path: &str) -> String {
    let full = format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

pub fn fixture_json(path: &str) -> Value {
    serde_json::from_str(&fixture(path)).expect("fixture JSON")
}

/// One SSE event: its `event:` name (if any) and `data:` payload.
#[derive(Debug, Clone)]
pub struct Event {
    pub event: Option<String>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {}", self.data))
    }
}

/// Splits an SSE body on `separator` (`"\n\n"` or `"\r\n\r\n"`), asserting the body ends with
/// it (nothing half-sent).
pub fn events(body: &str, separator: &str) -> Vec<Event> {
    assert!(
        body.ends_with(separator),
        "stream must end with a complete event: {body:?}"
    );
    let line_end = &separator[..separator.len() / 2];
    body.split(separator)
        .filter(|e| !e.is_empty())
        .map(|raw| {
            let mut event = None;
            let mut data = None;
            for line in raw.split(line_end) {
                if let Some(v) = line.strip_prefix("event: ") {
                    event = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(v.to_owned());
                } else {
                    panic!("unexpected SSE line {line:?} in {raw:?}");
                }
            }
            Event {
                event,
                data: data.expect("data line"),
            }
        })
        .collect()
}

/// Events of a fixture transcript (fixtures may lack the final separator or add blank lines).
pub fn fixture_events(path: &str, separator: &str) -> Vec<Event> {
    let text = fixture(path);
    let line_end = &separator[..separator.len() / 2];
    let text = format!("{}{separator}", text.trim_end());
    let normalised = if line_end == "\n" {
        text.replace("\r\n", "\n")
    } else {
        text
    };
    events(&normalised, separator)
}

/// Asserts every key of `expected` (recursively; arrays by their first element) is present in
/// `actual`, except the dotted paths in `ignore`. Values are not compared.
#[track_caller]
pub fn assert_keys(expected: &Value, actual: &Value, ignore: &[&str]) {
    let mut missing = Vec::new();
    walk(expected, actual, "", ignore, &mut missing);
    assert!(
        missing.is_empty(),
        "missing keys {missing:?}\nexpected shape: {expected}\nactual: {actual}"
    );
}

fn walk(expected: &Value, actual: &Value, path: &str, ignore: &[&str], missing: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k.starts_with('_') || ignore.contains(&p.as_str()) {
                    continue;
                }
                match a.get(k) {
                    None => missing.push(p),
                    Some(av) => walk(ev, av, &p, ignore, missing),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let (Some(e0), Some(a0)) = (e.first(), a.first()) {
                walk(e0, a0, &format!("{path}[]"), ignore, missing);
            }
        }
        (Value::Object(_), other) => missing.push(format!("{path} (object expected, got {other})")),
        _ => {}
    }
}

/// Keys of a JSON object, sorted.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}
