//! Streams wait a short time for a provider's response headers, whole answers the long one: a
//! provider that accepts the connection and then says nothing is skipped within seconds for a
//! stream, while a slow whole answer (a reasoning model thinking) is still awaited. Same two
//! hosts as `resilience.rs`: DeepInfra tried first, Groq the fallback.

use std::time::Duration;

use provider_emulator::Knobs;

#[allow(dead_code)] // shared with resilience.rs, which uses all of it
#[path = "resilience/support.rs"]
mod support;

use support::{ask, ask_stream, hosts, served_by};

/// The provider named on the stream's chunks, after checking the stream completed.
fn stream_served_by(sse: &tests::Sse) -> String {
    assert!(sse.done, "{}", sse.raw);
    let first = sse.data.first().expect("chunks");
    assert!(
        sse.data.iter().all(|c| c.get("error").is_none()),
        "{}",
        sse.raw
    );
    first["provider"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_hung_provider_is_skipped_for_a_stream_within_the_stream_timeout() {
    // Accepts connections (the kernel completes the handshake) and never answers.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = hung.local_addr().unwrap();
    let h = hosts(|c| {
        c.upstream_stream_first_byte_timeout_secs = 1;
        c.upstream_first_byte_timeout_secs = 120;
        c.provider_env
            .insert("DEEPINFRA_BASE_URL".into(), format!("http://{addr}/v1"));
    })
    .await;
    let (status, id, sse) = h.stream(ask_stream("hi")).await;
    assert_eq!(status, 200, "{}", sse.raw);
    assert_eq!(stream_served_by(&sse), "Groq");
    let text: String = sse
        .data
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "You said: hi");
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts[0]["provider_name"], "DeepInfra", "{attempts}");
    assert_eq!(attempts[0]["error_type"], "timeout", "{attempts}");
    assert!(attempts[0]["status"].is_null(), "{attempts}");
    // The stream timeout, not the whole answer's 120 s (generous bounds).
    let waited = attempts[0]["latency"].as_u64().unwrap();
    assert!((900..10_000).contains(&waited), "{attempts}");
    assert_eq!(attempts[1]["provider_name"], "Groq", "{attempts}");
    assert_eq!(attempts[1]["status"], 200, "{attempts}");
    assert_eq!(h.sent(), (0, 1));
    drop(hung);
}

#[tokio::test]
async fn slow_headers_skip_the_endpoint_for_a_stream_but_not_for_a_whole_answer() {
    let h = hosts(|c| {
        c.upstream_stream_first_byte_timeout_secs = 1;
        c.upstream_first_byte_timeout_secs = 30;
    })
    .await;
    h.first.set_knobs(Knobs {
        latency_ms: 2_500,
        ..Knobs::default()
    });
    // The whole answer waits for the slow first endpoint.
    served_by(&h.chat(ask("hi")).await, "DeepInfra");
    assert_eq!(h.sent(), (1, 0));

    // The stream gives up on it after the stream timeout and is served by the fallback.
    let (status, id, sse) = h.stream(ask_stream("hi")).await;
    assert_eq!(status, 200, "{}", sse.raw);
    assert_eq!(stream_served_by(&sse), "Groq");
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts[0]["provider_name"], "DeepInfra", "{attempts}");
    assert_eq!(attempts[0]["error_type"], "timeout", "{attempts}");
    assert_eq!(attempts[1]["status"], 200, "{attempts}");
    assert_eq!(h.sent(), (2, 1));
    // Let the abandoned slow answer finish before the emulator stops.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
}
