//! A generation record as an OTLP span (OTLP/JSON): gen_ai.* semantic conventions for the
//! model, provider and tokens, the cost in US dollars (`gen_ai.usage.cost`, as OpenRouter's
//! trace export sends it) and exactly in nano-dollars, the ids that find the generation. No
//! prompt, completion or error text.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// OTLP's `SPAN_KIND_CLIENT`: the gateway calling a model.
const KIND_CLIENT: u8 = 3;
const STATUS_OK: u8 = 1;
const STATUS_ERROR: u8 = 2;

pub fn string(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

/// int64 travels as a decimal string in OTLP/JSON.
fn int(key: &str, value: i64) -> Value {
    json!({ "key": key, "value": { "intValue": value.to_string() } })
}

fn double(key: &str, value: f64) -> Value {
    json!({ "key": key, "value": { "doubleValue": value } })
}

fn boolean(key: &str, value: bool) -> Value {
    json!({ "key": key, "value": { "boolValue": value } })
}

fn nanos(at: DateTime<Utc>) -> String {
    at.timestamp_nanos_opt().unwrap_or_default().to_string()
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// The span of one generation.
pub fn of(g: &entity::generation::Model) -> Value {
    let operation = match g.api_type.as_str() {
        "embeddings" => "embeddings",
        "completions" => "text_completion",
        _ => "chat",
    };
    let took = g.latency_ms.unwrap_or(0) + g.generation_time_ms.unwrap_or(0);
    let end = g.created_at + Duration::milliseconds(took);
    let mut attributes = vec![
        string("gen_ai.operation.name", operation),
        string("gen_ai.request.model", &g.requested_model),
        string("gen_ai.response.model", &g.model),
        string("gen_ai.response.id", &g.id),
        int("gen_ai.usage.input_tokens", g.tokens_prompt),
        int("gen_ai.usage.output_tokens", g.tokens_completion),
        int("gen_ai.usage.reasoning_tokens", g.tokens_reasoning),
        int("gen_ai.usage.cached_tokens", g.tokens_cached),
        // A float only here, for tools that read OpenRouter's attribute; exact below.
        double("gen_ai.usage.cost", g.cost_nanos as f64 / 1e9),
        int("switchboard.cost_nanos", g.cost_nanos),
        boolean("switchboard.byok", g.is_byok),
        boolean("switchboard.streamed", g.streamed),
        boolean("switchboard.cancelled", g.cancelled),
        string("switchboard.api_type", &g.api_type),
        int("http.response.status_code", i64::from(g.status)),
    ];
    if let Some(provider) = &g.provider {
        attributes.push(string("gen_ai.provider.name", provider));
        attributes.push(string("gen_ai.system", provider));
    }
    if let Some(reason) = &g.finish_reason {
        attributes.push(json!({
            "key": "gen_ai.response.finish_reasons",
            "value": { "arrayValue": { "values": [{ "stringValue": reason }] } },
        }));
    }
    if let Some(ms) = g.latency_ms {
        attributes.push(int("switchboard.time_to_first_byte_ms", ms));
    }
    if let Some(request_id) = &g.request_id {
        attributes.push(string("switchboard.request_id", request_id));
    }
    let failed = g.status >= 400;
    if failed {
        attributes.push(string("error.type", &g.status.to_string()));
    }
    json!({
        "traceId": random_hex(16),
        "spanId": random_hex(8),
        "name": format!("{operation} {}", g.model),
        "kind": KIND_CLIENT,
        "startTimeUnixNano": nanos(g.created_at),
        "endTimeUnixNano": nanos(end),
        "attributes": attributes,
        "status": { "code": if failed { STATUS_ERROR } else { STATUS_OK } },
    })
}
