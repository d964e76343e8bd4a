//! Routing by measured health, end to end: the soft latency preference and the latency sort
//! act on the figures the health board collects from real traffic. Two hosts serve the model
//! (see resilience/support.rs): DeepInfra, the cheaper, made slow here, and Groq.

use std::time::Duration;

use provider_emulator::Knobs;
use serde_json::{Value, json};

// Shared with resilience.rs, which uses all of it.
#[allow(dead_code)]
#[path = "resilience/support.rs"]
mod support;

use support::{MODEL, ask, failing, hosts, served_by};

fn with_provider(provider: Value) -> Value {
    json!({ "model": MODEL, "provider": provider,
        "messages": [{ "role": "user", "content": "hi" }] })
}

#[tokio::test]
async fn measured_latency_steers_soft_preferences_and_the_latency_sort() {
    let h = hosts(|_| {}).await;
    h.first.set_knobs(Knobs {
        latency_ms: 300,
        ..Knobs::default()
    });
    // Traffic to both hosts, so each has a latency figure.
    for order in [["deepinfra", "groq"], ["groq", "deepinfra"]] {
        for _ in 0..3 {
            let mut body = ask("hi");
            body["provider"]["order"] = json!(order);
            h.chat(body).await.expect(200);
        }
    }
    // Routing reads figures republished at most every 250 ms.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let slow = h.endpoint("deepinfra").await;
    // The board's histograms are accurate to about 10 %.
    assert!(
        slow["latency_last_30m"]["p50"].as_f64().unwrap() >= 250.0,
        "{slow}"
    );

    // By price the cheaper host comes first...
    let by_price = with_provider(json!({ "sort": "price" }));
    served_by(&h.chat(by_price).await, "DeepInfra");
    // ...unless it misses the preferred latency (seconds)...
    let preferring_fast = with_provider(json!({ "sort": "price", "preferred_max_latency": 0.1 }));
    served_by(&h.chat(preferring_fast.clone()).await, "Groq");
    // ...and a latency sort puts the fast host first.
    served_by(
        &h.chat(with_provider(json!({ "sort": "latency" }))).await,
        "Groq",
    );
    // The preference is soft: when the fast host fails, the slow one still serves.
    h.second.set_knobs(failing(500));
    served_by(&h.chat(preferring_fast).await, "DeepInfra");
}
