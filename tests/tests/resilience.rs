//! Resilience end to end: retries across endpoints, cooling after rate limits, circuit breaking,
//! timeouts and the endpoint statistics. One model (Llama 3.3 70B) is served by two
//! OpenAI-compatible hosts, DeepInfra and Groq, each pointed at its own emulator, so one can be
//! made to fail (emulator-wide knobs) while the other answers. The requests name the order
//! (`provider.order`), so the first host is always DeepInfra.

use std::time::{Duration, Instant};

use provider_emulator::Knobs;
use serde_json::{Value, json};

#[path = "resilience/support.rs"]
mod support;

use support::{MODEL, ask, ask_stream, failing, hosts, served_by};

#[tokio::test]
async fn a_provider_error_moves_to_the_next_endpoint_and_is_recorded() {
    let h = hosts(|_| {}).await;
    h.first.set_knobs(failing(500));

    let reply = h.chat(ask("hi")).await;
    let id = served_by(&reply, "Groq");
    assert_eq!(h.sent(), (1, 1));
    let generation = h.generation(&id).await;
    assert_eq!(generation["provider_name"], "Groq");
    let attempts = generation["provider_responses"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{generation}");
    assert_eq!(attempts[0]["provider_name"], "DeepInfra");
    assert_eq!(attempts[0]["endpoint"], "deepinfra");
    assert_eq!(attempts[0]["status"], 500);
    assert_eq!(attempts[0]["error_type"], "provider_unavailable");
    assert!(attempts[0]["error"].is_string(), "{generation}");
    assert!(attempts[0]["skipped"].is_null());
    assert_eq!(attempts[1]["provider_name"], "Groq");
    assert_eq!(attempts[1]["status"], 200);
    assert!(attempts[1]["error"].is_null());
    assert!(attempts[1]["started_ms"].as_u64() >= attempts[0]["started_ms"].as_u64());

    // The same before the first byte of a stream.
    let (status, id, sse) = h.stream(ask_stream("hi")).await;
    assert_eq!(status, 200);
    assert!(sse.done, "{}", sse.raw);
    assert_eq!(sse.text(), "You said: hi");
    assert!(
        sse.data.iter().all(|c| c["provider"] == "Groq"),
        "{}",
        sse.raw
    );
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts[0]["status"], 500, "{attempts}");
    assert_eq!(attempts[1]["status"], 200, "{attempts}");
    assert_eq!(h.sent(), (2, 2));
}

#[tokio::test]
async fn a_failure_before_anything_reached_the_client_moves_on() {
    let h = hosts(|_| {}).await;
    // A 200 whose body is cut halfway: nothing was sent to the client yet.
    h.first.set_knobs(Knobs {
        disconnect_after: Some(0),
        ..Knobs::default()
    });
    let id = served_by(&h.chat(ask("hi")).await, "Groq");
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts[0]["provider_name"], "DeepInfra", "{attempts}");
    assert_eq!(attempts[0]["status"], 200, "{attempts}");
    assert_eq!(
        attempts[0]["error_type"], "provider_unavailable",
        "{attempts}"
    );
    assert_eq!(attempts[1]["status"], 200, "{attempts}");
    assert!(attempts[1]["error"].is_null(), "{attempts}");

    // A stream cut before its first chunk: the client sees only the second host's stream.
    let (status, id, sse) = h.stream(ask_stream("hi")).await;
    assert_eq!(status, 200);
    assert!(sse.done, "{}", sse.raw);
    assert_eq!(sse.text(), "You said: hi");
    assert!(
        sse.data.iter().all(|c| c.get("error").is_none()),
        "{}",
        sse.raw
    );
    assert!(
        sse.data.iter().all(|c| c["provider"] == "Groq"),
        "{}",
        sse.raw
    );
    let generation = h.generation(&id).await;
    assert_eq!(generation["provider_name"], "Groq", "{generation}");
    assert_eq!(generation["finish_reason"], "stop", "{generation}");
    let attempts = generation["provider_responses"].clone();
    assert_eq!(attempts[0]["status"], 200, "{attempts}");
    assert!(attempts[0]["error"].is_string(), "{attempts}");
    assert_eq!(h.sent(), (2, 2));
    // Both cuts count against the first host.
    assert_eq!(h.endpoint("deepinfra").await["uptime_last_30m"], json!(0.0));
}

#[tokio::test]
async fn a_connection_refused_moves_to_the_next_endpoint() {
    // Nothing listens on a port we just bound and released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let h = hosts(|c| {
        c.provider_env
            .insert("DEEPINFRA_BASE_URL".into(), format!("http://{closed}/v1"));
    })
    .await;
    let id = served_by(&h.chat(ask("hi")).await, "Groq");
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts[0]["provider_name"], "DeepInfra", "{attempts}");
    assert!(attempts[0]["status"].is_null(), "{attempts}");
    assert_eq!(attempts[0]["error"], "could not connect to the provider");
    assert_eq!(attempts[1]["status"], 200, "{attempts}");
}

#[tokio::test]
async fn a_connect_timeout_moves_to_the_next_endpoint() {
    // A listener that never accepts, with its accept queue filled: further handshakes hang.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    while held.len() < 4096 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    let h = hosts(|c| {
        c.upstream_connect_timeout_secs = 1;
        c.provider_env
            .insert("DEEPINFRA_BASE_URL".into(), format!("http://{addr}/v1"));
    })
    .await;
    let id = served_by(&h.chat(ask("hi")).await, "Groq");
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts[0]["provider_name"], "DeepInfra", "{attempts}");
    assert_eq!(attempts[0]["error_type"], "timeout", "{attempts}");
    let waited = attempts[0]["latency"].as_u64().unwrap();
    assert!((900..5_000).contains(&waited), "{attempts}");
    drop(listener);
}

#[tokio::test]
async fn a_rate_limit_cools_the_endpoint_for_the_time_asked_within_the_cap() {
    let h = hosts(|c| c.breaker_max_cooldown_ms = 3_000).await;
    h.first.set_knobs(Knobs {
        retry_after: Some(2),
        ..failing(429)
    });
    served_by(&h.chat(ask("hi")).await, "Groq");
    // The cooling began before this instant, so waiting from here is long enough.
    let limited_at = Instant::now();
    assert_eq!(h.sent(), (1, 1));

    // The first host would answer now, but it asked for two seconds: requests go straight on.
    h.first.set_knobs(Knobs::default());
    let id = served_by(&h.chat(ask("hi")).await, "Groq");
    assert_eq!(h.sent(), (1, 2), "the cooling endpoint must not be called");
    // Routing orders the cooling endpoint after the available one, so it is not even tried.
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts.as_array().unwrap().len(), 1, "{attempts}");
    assert_eq!(attempts[0]["provider_name"], "Groq", "{attempts}");
    assert_eq!(attempts[0]["status"], 200);
    assert_eq!(h.endpoint("deepinfra").await["status"], -1);
    // Rate limits do not count as downtime.
    assert!(h.endpoint("deepinfra").await["uptime_last_30m"].is_null());

    tokio::time::sleep(Duration::from_millis(2_100).saturating_sub(limited_at.elapsed())).await;
    served_by(&h.chat(ask("hi")).await, "DeepInfra");
    assert_eq!(h.sent(), (2, 2));

    // A Retry-After longer than the cap cools for the cap only.
    h.first.set_knobs(Knobs {
        retry_after: Some(600),
        ..failing(429)
    });
    served_by(&h.chat(ask("hi")).await, "Groq");
    let limited_at = Instant::now();
    h.first.set_knobs(Knobs::default());
    served_by(&h.chat(ask("hi")).await, "Groq");
    assert_eq!(h.sent(), (3, 4));
    tokio::time::sleep(Duration::from_millis(3_100).saturating_sub(limited_at.elapsed())).await;
    served_by(&h.chat(ask("hi")).await, "DeepInfra");
}

#[tokio::test]
async fn when_every_endpoint_is_cooling_the_one_free_soonest_is_tried() {
    let h = hosts(|_| {}).await;
    for (emulator, secs) in [(&h.first, 30), (&h.second, 60)] {
        emulator.set_knobs(Knobs {
            retry_after: Some(secs),
            ..failing(429)
        });
    }
    let reply = h.chat(ask("hi")).await;
    reply.expect_error(429);
    assert_eq!(
        reply.body["error"]["metadata"]["attempts"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{}",
        reply.text
    );
    // Both cool now; the stats must not fail a request a provider might answer.
    h.first.set_knobs(Knobs::default());
    h.second.set_knobs(Knobs::default());
    let id = served_by(&h.chat(ask("hi")).await, "DeepInfra");
    let attempts = h.generation(&id).await["provider_responses"].clone();
    let attempts = attempts.as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert!(attempts[0]["skipped"].is_string() && attempts[1]["skipped"].is_string());
    assert_eq!(attempts[2]["provider_name"], "DeepInfra");
    assert_eq!(attempts[2]["status"], 200);
}

#[tokio::test]
async fn a_first_byte_timeout_moves_to_the_next_endpoint() {
    let h = hosts(|c| c.upstream_first_byte_timeout_secs = 1).await;
    h.first.set_knobs(Knobs {
        latency_ms: 5_000,
        ..Knobs::default()
    });
    let id = served_by(&h.chat(ask("hi")).await, "Groq");
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts[0]["provider_name"], "DeepInfra", "{attempts}");
    assert_eq!(attempts[0]["error_type"], "timeout", "{attempts}");
    assert!(attempts[0]["status"].is_null());
    assert!(
        attempts[0]["latency"].as_u64().unwrap() >= 900,
        "{attempts}"
    );
    assert_eq!(attempts[1]["status"], 200);
}

#[tokio::test]
async fn the_retry_budget_stops_further_attempts() {
    let h = hosts(|c| {
        c.upstream_first_byte_timeout_secs = 10;
        c.retry_budget_ms = 500;
    })
    .await;
    h.first.set_knobs(Knobs {
        latency_ms: 3_000,
        ..Knobs::default()
    });
    // The first attempt's wait ends with the budget; no second attempt starts after it.
    let reply = h.chat(ask("hi")).await;
    reply.expect_error(408);
    let attempts = reply.body["error"]["metadata"]["attempts"].clone();
    assert_eq!(attempts[0]["error_type"], "timeout", "{attempts}");
    assert_eq!(attempts[1]["provider"], "Groq", "{attempts}");
    assert_eq!(attempts[1]["skipped"], "retry budget exhausted");
    assert_eq!(h.sent().1, 0);
}

#[tokio::test]
async fn when_every_endpoint_fails_the_error_lists_every_attempt() {
    let h = hosts(|c| {
        c.breaker_failure_threshold = 100;
        c.upstream_first_byte_timeout_secs = 1;
    })
    .await;
    let both = |knobs: Knobs| {
        h.first.set_knobs(knobs.clone());
        h.second.set_knobs(knobs);
    };
    both(failing(500));
    let reply = h.chat(ask("hi")).await;
    assert_eq!(reply.expect_error(502), "Provider returned error");
    let metadata = &reply.body["error"]["metadata"];
    let attempts = metadata["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{}", reply.text);
    for (attempt, provider) in attempts.iter().zip(["DeepInfra", "Groq"]) {
        assert_eq!(attempt["provider"], provider, "{}", reply.text);
        assert_eq!(attempt["status"], 500);
        assert_eq!(attempt["error_type"], "provider_unavailable");
    }
    assert_eq!(metadata["provider_name"], "Groq");

    // A stream that fails before its first byte gets the same JSON error.
    let (status, _, sse) = h.stream(ask_stream("hi")).await;
    assert_eq!(status, 502, "{}", sse.raw);
    let body: Value = serde_json::from_str(&sse.raw).unwrap();
    assert_eq!(
        body["error"]["metadata"]["attempts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Past the commit deadline the failure arrives in-band, with the attempts as well.
    let (status, _, sse) = {
        let h2 = hosts(|c| c.stream_commit_ms = 0).await;
        h2.first.set_knobs(failing(500));
        h2.second.set_knobs(Knobs {
            latency_ms: 300,
            ..failing(500)
        });
        h2.stream(ask_stream("hi")).await
    };
    assert_eq!(status, 200, "{}", sse.raw);
    let last = sse.data.last().unwrap();
    assert_eq!(last["error"]["code"], 502, "{}", sse.raw);
    assert_eq!(last["choices"][0]["finish_reason"], "error");
    assert_eq!(
        last["error"]["metadata"]["attempts"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{}",
        sse.raw
    );

    // Both overloaded: 503.
    both(failing(503));
    let reply = h.chat(ask("hi")).await;
    reply.expect_error(503);
    assert_eq!(
        reply.body["error"]["metadata"]["attempts"][1]["status"],
        503
    );

    // Both too slow: 408, each attempt a timeout.
    both(Knobs {
        latency_ms: 3_000,
        ..Knobs::default()
    });
    let reply = h.chat(ask("hi")).await;
    reply.expect_error(408);
    let attempts = reply.body["error"]["metadata"]["attempts"].clone();
    assert_eq!(attempts[0]["error_type"], "timeout", "{attempts}");
    assert_eq!(attempts[1]["error_type"], "timeout", "{attempts}");
    assert_eq!(h.sent(), (4, 4));
}

#[tokio::test]
async fn a_stream_cut_after_the_first_byte_is_not_retried() {
    let h = hosts(|_| {}).await;
    h.first.set_knobs(Knobs {
        chunks: Some(6),
        disconnect_after: Some(2),
        ..Knobs::default()
    });
    let (status, id, sse) = h.stream(ask_stream("one two three four five six")).await;
    assert_eq!(status, 200);
    assert!(!sse.text().is_empty(), "some output arrived: {}", sse.raw);
    let errors: Vec<&Value> = sse
        .data
        .iter()
        .filter(|c| c.get("error").is_some())
        .collect();
    assert_eq!(errors.len(), 1, "{}", sse.raw);
    assert_eq!(
        sse.data.last(),
        Some(errors[0]),
        "the error chunk ends the stream"
    );
    assert_eq!(errors[0]["choices"][0]["finish_reason"], "error");
    assert_eq!(errors[0]["provider"], "DeepInfra");
    assert_eq!(h.sent(), (1, 0), "no retry after the first byte");
    let generation = h.generation(&id).await;
    assert_eq!(generation["finish_reason"], "error", "{generation}");
    assert_eq!(
        generation["provider_responses"].as_array().unwrap().len(),
        1
    );
    // The cut counts against the endpoint.
    let uptime = h.endpoint("deepinfra").await["uptime_last_30m"].clone();
    assert_eq!(uptime, json!(0.0));
}

#[tokio::test]
async fn stream_idle_and_total_timeouts_end_with_an_error_chunk() {
    for (idle, total, delay) in [(1, 60, 2_500), (60, 2, 400)] {
        let h = hosts(|c| {
            c.upstream_idle_timeout_secs = idle;
            c.upstream_total_timeout_secs = total;
        })
        .await;
        h.first.set_knobs(Knobs {
            chunks: Some(12),
            chunk_delay_ms: delay,
            ..Knobs::default()
        });
        let started = Instant::now();
        let (status, _, sse) = h.stream(ask_stream("a b c d e f g h i j k l")).await;
        assert_eq!(status, 200);
        let last = sse.data.last().unwrap();
        assert_eq!(
            last["error"]["code"], 504,
            "idle {idle} total {total}: {}",
            sse.raw
        );
        assert_eq!(last["choices"][0]["finish_reason"], "error");
        assert!(
            started.elapsed() < Duration::from_millis(12 * delay),
            "cut before the upstream finished"
        );
        assert_eq!(h.sent().1, 0);
    }
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_a_probe_closes_it() {
    // Long enough that the checks made while the breaker is open finish inside it on a loaded
    // CI machine (1.5 s was not: the endpoint was already half-open when read).
    const COOLDOWN: Duration = Duration::from_millis(3_000);
    let margin = Duration::from_millis(100);
    let h = hosts(|c| {
        c.breaker_failure_threshold = 2;
        c.breaker_cooldown_ms = COOLDOWN.as_millis() as u64;
    })
    .await;
    h.first.set_knobs(failing(500));
    served_by(&h.chat(ask("hi")).await, "Groq");
    assert_eq!(h.endpoint("deepinfra").await["status"], 0);
    served_by(&h.chat(ask("hi")).await, "Groq");
    let opened = Instant::now();
    assert_eq!(h.sent(), (2, 2));

    // Open: skipped without a call.
    let id = served_by(&h.chat(ask("hi")).await, "Groq");
    assert_eq!(h.sent(), (2, 3));
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts.as_array().unwrap().len(), 1, "{attempts}");
    assert_eq!(attempts[0]["provider_name"], "Groq", "{attempts}");
    let endpoint = h.endpoint("deepinfra").await;
    assert_eq!(endpoint["status"], -2, "{endpoint}");
    assert_eq!(endpoint["uptime_last_30m"], json!(0.0), "{endpoint}");
    assert_eq!(h.endpoint("groq").await["uptime_last_30m"], json!(100.0));

    // After the cooldown one probe goes through; it fails, so the breaker reopens for longer.
    tokio::time::sleep((COOLDOWN + margin).saturating_sub(opened.elapsed())).await;
    served_by(&h.chat(ask("hi")).await, "Groq");
    let reopened = Instant::now();
    assert_eq!(h.sent(), (3, 4), "one probe");
    served_by(&h.chat(ask("hi")).await, "Groq");
    assert_eq!(h.sent(), (3, 5), "reopened");

    // The host recovers (slowly); the next probe, after the doubled cooldown, closes the breaker.
    h.first.set_knobs(Knobs {
        latency_ms: 800,
        ..Knobs::default()
    });
    tokio::time::sleep((COOLDOWN + margin).saturating_sub(reopened.elapsed())).await;
    served_by(&h.chat(ask("hi")).await, "Groq");
    assert_eq!(h.sent(), (3, 6), "still open: the cooldown doubled");
    tokio::time::sleep((2 * COOLDOWN + margin).saturating_sub(reopened.elapsed())).await;
    // Half-open: one probe at a time; a request meanwhile skips the endpoint.
    let (a, b) = tokio::join!(h.chat(ask("hi")), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        h.chat(ask("hi")).await
    });
    let mut providers = [
        a.expect(200)["provider"].clone(),
        b.expect(200)["provider"].clone(),
    ];
    providers.sort_by_key(|p| p.to_string());
    assert_eq!(providers, [json!("DeepInfra"), json!("Groq")]);
    assert_eq!(h.sent(), (4, 7), "one probe");
    // While the probe is in flight the endpoint is unavailable: ordered last, not tried.
    let attempts = h.generation(b.body["id"].as_str().unwrap()).await["provider_responses"].clone();
    assert_eq!(attempts.as_array().unwrap().len(), 1, "{attempts}");
    assert_eq!(attempts[0]["provider_name"], "Groq", "{attempts}");
    served_by(&h.chat(ask("hi")).await, "DeepInfra");
    assert_eq!(h.sent(), (5, 7));
    assert_eq!(h.endpoint("deepinfra").await["status"], 0);
}

#[tokio::test]
async fn a_high_failure_rate_opens_the_breaker() {
    let h = hosts(|c| {
        c.breaker_failure_threshold = 100;
        c.breaker_failure_rate_percent = 50;
        c.breaker_failure_rate_window = 4;
        c.breaker_cooldown_ms = 60_000;
    })
    .await;
    // Failing every other request never makes consecutive failures...
    for (failing_now, provider) in [
        (true, "Groq"),
        (false, "DeepInfra"),
        (true, "Groq"),
        (false, "DeepInfra"),
    ] {
        h.first.set_knobs(if failing_now {
            failing(500)
        } else {
            Knobs::default()
        });
        served_by(&h.chat(ask("hi")).await, provider);
    }
    assert_eq!(h.endpoint("deepinfra").await["status"], 0);
    // ...but the next failure makes two of the last four: 50 %.
    h.first.set_knobs(failing(500));
    served_by(&h.chat(ask("hi")).await, "Groq");
    h.first.set_knobs(Knobs::default());
    let id = served_by(&h.chat(ask("hi")).await, "Groq");
    let attempts = h.generation(&id).await["provider_responses"].clone();
    assert_eq!(attempts.as_array().unwrap().len(), 1, "{attempts}");
    assert_eq!(h.endpoint("deepinfra").await["status"], -2);
    assert_eq!(h.sent(), (5, 4));
}

#[tokio::test]
async fn endpoint_statistics_show_after_traffic() {
    let h = hosts(|_| {}).await;
    // Unmeasured endpoints report nulls.
    let fresh = h.endpoint("deepinfra").await;
    for key in [
        "uptime_last_5m",
        "uptime_last_30m",
        "uptime_last_1d",
        "latency_last_30m",
        "throughput_last_30m",
    ] {
        assert!(fresh[key].is_null(), "{key}: {fresh}");
    }
    // One failure, then three answers (one streamed, slowly).
    h.first.set_knobs(Knobs {
        fail_first: Some(1),
        latency_ms: 20,
        ..failing(500)
    });
    served_by(&h.chat(ask("hi")).await, "Groq");
    served_by(&h.chat(ask("hi")).await, "DeepInfra");
    served_by(&h.chat(ask("hi")).await, "DeepInfra");
    let (status, _, sse) = h
        .stream(json!({ "model": MODEL, "provider": { "order": ["deepinfra", "groq"] }, "stream": true,
            "messages": [{ "role": "user", "content": "[[emulator: ttft-ms=50 chunk-delay-ms=20 chunks=5]] count to five now" }] }))
        .await;
    assert_eq!(status, 200);
    assert!(sse.done, "{}", sse.raw);

    let endpoint = h.endpoint("deepinfra").await;
    assert_eq!(endpoint["uptime_last_30m"], json!(75.0), "{endpoint}");
    assert_eq!(endpoint["uptime_last_5m"], json!(75.0), "{endpoint}");
    assert_eq!(endpoint["uptime_last_1d"], json!(75.0), "{endpoint}");
    assert_eq!(endpoint["status"], 0);
    let latency = &endpoint["latency_last_30m"];
    let p = |stats: &Value, k: &str| {
        stats[k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k} missing: {endpoint}"))
    };
    assert!(p(latency, "p50") >= 15.0, "{endpoint}");
    assert!(p(latency, "p50") <= p(latency, "p75"));
    assert!(p(latency, "p90") <= p(latency, "p99"));
    // The streamed reply's first token waited at least 20 + 50 ms.
    assert!(p(latency, "p99") >= 60.0, "{endpoint}");
    let throughput = &endpoint["throughput_last_30m"];
    assert!(p(throughput, "p50") > 0.0, "{endpoint}");
    assert!(p(throughput, "p50") >= p(throughput, "p99"), "{endpoint}");
    let groq = h.endpoint("groq").await;
    assert_eq!(groq["uptime_last_30m"], json!(100.0), "{groq}");
    // Endpoints of providers never called stay null.
    assert!(h.endpoint("together").await["uptime_last_30m"].is_null());
}
