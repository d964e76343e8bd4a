//! Knobs (headers, in-body directives, emulator-wide defaults), the request log and the stream
//! counters.

mod common;

use std::time::{Duration, Instant};

use common::*;
use provider_emulator::{Knobs, RunningEmulator, tokens};
use serde_json::{Value, json};

fn chat(emu: &RunningEmulator, content: &str, stream: bool) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/chat/completions", emu.openai_base()))
        .bearer_auth(KEY)
        .json(&json!({"model": "gpt-4o", "stream": stream, "messages": [{"role": "user", "content": content}]}))
}

fn anthropic(emu: &RunningEmulator, stream: bool) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/v1/messages", emu.anthropic_base()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(
            &json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": stream,
            "messages": [{"role": "user", "content": "hello there"}]}),
        )
}

/// Waits (bounded) for a condition that becomes true asynchronously; not a timing assertion.
async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    condition()
}

#[tokio::test]
async fn forced_status_via_header_and_directive() {
    let emu = start();
    let response = chat(&emu, "hi", false)
        .header("x-emulator-status", "429")
        .header("x-emulator-retry-after", "7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    let expected = &fixture_json("openai/errors.json")["examples"]["429_rate_limit"]["body"];
    assert_eq!(keys(&body["error"]), keys(&expected["error"]));
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(body["error"]["type"], "requests");

    // The directive travels inside the prompt, so it works through a gateway.
    let response = chat(&emu, "hi [[emulator: status=503]]", false)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        &body,
        &fixture_json("openai/errors.json")["examples"]["503_overloaded"]["body"]
    );

    let response = chat(&emu, "hi", false)
        .header("x-emulator-status", "500")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        fixture_json("openai/errors.json")["examples"]["500_server_error"]["body"]
    );
}

#[tokio::test]
async fn fail_first_then_succeed_per_scenario() {
    let emu = start();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = chat(&emu, "hi", false)
            .header("x-emulator-fail-first", "2")
            .header("x-emulator-status", "503")
            .header("x-emulator-scenario", "a")
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, vec![503, 503, 200, 200]);
    // Another scenario has its own counter; the default status is 500.
    let response = chat(&emu, "hi [[emulator: fail-first=1 scenario=b]]", false)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
}

#[tokio::test]
async fn disconnect_after_cuts_the_connection() {
    let emu = start();
    let response = chat(&emu, "one two three four five six", true)
        .header("x-emulator-disconnect-after", "3")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let result = response.text().await;
    assert!(
        result.is_err(),
        "the body must end abruptly, got {result:?}"
    );
    assert!(
        eventually(|| emu.stats().streams_cut == 1).await,
        "{:?}",
        emu.stats()
    );
    assert_eq!(emu.stats().streams_completed, 0);

    // Reading frame by frame shows exactly 3 complete events before the cut.
    let mut response = chat(&emu, "one two three four five six", true)
        .header("x-emulator-disconnect-after", "3")
        .send()
        .await
        .unwrap();
    let mut received = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        received.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(received).unwrap();
    assert_eq!(text.matches("data: ").count(), 3);
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn malformed_event_then_stream_continues() {
    let emu = start();
    let text = chat(&emu, "hi there", true)
        .header("x-emulator-malformed-after", "1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let evs = events(&text, "\n\n");
    assert!(
        serde_json::from_str::<Value>(&evs[1].data).is_err(),
        "second event is malformed: {}",
        evs[1].data
    );
    assert_eq!(evs.last().unwrap().data, "[DONE]");
}

#[tokio::test]
async fn in_band_stream_errors() {
    let emu = start();
    let text = chat(&emu, "hi there", true)
        .header("x-emulator-stream-error-after", "2")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let evs = events(&text, "\n\n");
    assert_eq!(evs.len(), 3);
    let error = evs[2].json();
    let expected = fixture_json("openai/errors.json")["mid_stream_error"]["wire"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(format!("data: {}\n\n", evs[2].data), expected);
    assert_eq!(
        keys(&error["error"]),
        vec!["code", "message", "param", "type"]
    );

    let text = anthropic(&emu, true)
        .header("x-emulator-stream-error-after", "1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let evs = events(&text, "\n\n");
    assert_eq!(evs[0].event.as_deref(), Some("message_start"));
    assert_eq!(evs.last().unwrap().event.as_deref(), Some("error"));
    assert!(
        text.ends_with(&format!(
            "{}\n\n",
            fixture("anthropic/stream_error_event.sse").trim_end()
        )),
        "{text}"
    );
}

#[tokio::test]
async fn reply_shaping_knobs() {
    let emu = start();
    let body: Value = chat(&emu, "hi", false)
        .header("x-emulator-reply-tokens", "50")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["usage"]["completion_tokens"], 50);
    assert_eq!(
        tokens::count(body["choices"][0]["message"]["content"].as_str().unwrap()),
        50
    );

    let body: Value = chat(&emu, "hi", false)
        .header("x-emulator-reply", "Fixed answer.")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "Fixed answer.");

    let text = chat(&emu, "a b c d e f g h", true)
        .header("x-emulator-chunks", "2")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let evs = events(&text, "\n\n");
    // role + 2 content chunks + finish + [DONE]
    assert_eq!(evs.len(), 5, "{text}");
    let content: String = evs[1..3]
        .iter()
        .map(|e| {
            e.json()["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(content, "You said: a b c d e f g h");
}

#[tokio::test]
async fn timing_knobs_delay_at_least_their_value() {
    let emu = start();
    let started = Instant::now();
    let response = chat(&emu, "hi", true)
        .header("x-emulator-latency-ms", "100")
        .header("x-emulator-ttft-ms", "50")
        .header("x-emulator-chunk-delay-ms", "10")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    let text = response.text().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150 + 10 * 3));
    assert!(text.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn request_log_and_control_endpoints() {
    let emu = start();
    chat(&emu, "logged prompt", false)
        .header("x-custom", "abc")
        .send()
        .await
        .unwrap();
    let log = emu.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].provider, "openai");
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/v1/chat/completions");
    assert_eq!(log[0].header("x-custom"), Some("abc"));
    assert_eq!(log[0].header("authorization"), Some("Bearer test-key"));
    assert_eq!(log[0].body["messages"][0]["content"], "logged prompt");

    let over_http: Value = client()
        .get(format!("{}/_emulator/requests", emu.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        over_http["requests"][0]["body"]["messages"][0]["content"],
        "logged prompt"
    );
    let stats: Value = client()
        .get(format!("{}/_emulator/stats", emu.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 1);

    client()
        .delete(format!("{}/_emulator/requests", emu.base_url))
        .send()
        .await
        .unwrap();
    assert!(emu.requests().is_empty());

    // Emulator-wide knobs, from Rust and over HTTP.
    emu.set_knobs(Knobs {
        status: Some(502),
        ..Knobs::default()
    });
    assert_eq!(chat(&emu, "hi", false).send().await.unwrap().status(), 502);
    let set = client()
        .post(format!("{}/_emulator/knobs", emu.base_url))
        .json(&json!({"reply": "From HTTP"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let body: Value = chat(&emu, "hi", false)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "From HTTP");
    emu.reset();
    assert_eq!(emu.knobs(), Knobs::default());
    assert_eq!(emu.stats().requests, 0);

    let bad = chat(&emu, "hi", false)
        .header("x-emulator-no-such-knob", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn client_disconnect_is_counted_as_aborted() {
    let emu = start();
    let mut response = chat(&emu, "hi", true)
        .header("x-emulator-reply-tokens", "400")
        .header("x-emulator-chunk-delay-ms", "20")
        .send()
        .await
        .unwrap();
    let first = response.chunk().await.unwrap().expect("a first chunk");
    assert!(!first.is_empty());
    drop(response);
    assert!(
        eventually(|| emu.stats().streams_aborted == 1).await,
        "{:?}",
        emu.stats()
    );
    let stats = emu.stats();
    assert_eq!((stats.streams_started, stats.streams_completed), (1, 0));

    // A stream read to the end counts as completed, not aborted.
    anthropic(&emu, true)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(eventually(|| emu.stats().streams_completed == 1).await);
    assert_eq!(emu.stats().streams_aborted, 1);
}

#[tokio::test]
async fn config_knobs_apply_to_every_request() {
    let emu = start_with(|c| {
        c.knobs.reply = Some("Configured.".into());
        c.log_capacity = 0;
    });
    let body: Value = chat(&emu, "hi", false)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "Configured.");
    assert!(emu.requests().is_empty(), "log capacity 0 records nothing");
    assert_eq!(emu.stats().requests, 1);
}
