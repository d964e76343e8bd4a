//! The JSON work of one non-streamed chat completion through an OpenAI-compatible host, step by
//! step: parse the client's body, build the upstream body (bytes on the wire), parse the
//! upstream's answer, serialize the client's answer. The sum is most of the gateway's own
//! per-request CPU beyond HTTP and the kernel.
//!
//! `cargo bench -p server --bench translate`. Bodies are the load benchmark's
//! (scripts/bench-gateway.sh) and the emulator's real answer to it, plus a typical larger
//! request (system prompt, sampling knobs, one tool).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use server::gateway::providers::openai_compat::OpenAiCompat;
use server::gateway::providers::{CallContext, ProviderAdapter};
use server::gateway::types::ChatRequest;

const SMALL: &str = r#"{"model":"openai/gpt-4o-mini","stream":false,"messages":[{"role":"user","content":"Hello benchmark"}]}"#;

const TYPICAL: &str = r#"{"model":"openai/gpt-4o-mini","temperature":0.7,"max_tokens":512,"user":"u-42",
"messages":[{"role":"system","content":"You are a helpful assistant that answers briefly."},
{"role":"user","content":"What is the weather in Paris today? Answer in one sentence."}],
"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city",
"parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}}],
"provider":{"sort":"price","allow_fallbacks":true}}"#;

/// The emulator's answer to SMALL, byte for byte.
const ANSWER: &str = r#"{"choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"annotations":[],"content":"You said: Hello benchmark","refusal":null,"role":"assistant"}}],"created":1795391617,"id":"chatcmpl-57bgyaJKcS2ST4yqv2Y5LJyVknXxf","model":"gpt-4o-mini","object":"chat.completion","service_tier":"default","system_fingerprint":"fp_emulator","usage":{"completion_tokens":5,"completion_tokens_details":{"accepted_prediction_tokens":0,"audio_tokens":0,"reasoning_tokens":0,"rejected_prediction_tokens":0},"prompt_tokens":2,"prompt_tokens_details":{"audio_tokens":0,"cached_tokens":0},"total_tokens":7}}"#;

fn bench(c: &mut Criterion) {
    let ctx = CallContext::new("gpt-4o-mini", "sk-upstream", 1_795_391_617);
    let adapter = OpenAiCompat;
    for (name, body) in [("small", SMALL), ("typical", TYPICAL)] {
        c.bench_function(&format!("parse request ({name})"), |b| {
            b.iter(|| serde_json::from_slice::<ChatRequest>(black_box(body.as_bytes())).unwrap())
        });
        let request: ChatRequest = serde_json::from_str(body).unwrap();
        c.bench_function(&format!("upstream body ({name})"), |b| {
            b.iter(|| {
                let built = adapter.build_request(black_box(&request), &ctx).unwrap();
                built.body.into_bytes().unwrap()
            })
        });
    }
    c.bench_function("parse answer", |b| {
        b.iter(|| {
            adapter
                .parse_response(black_box(ANSWER.as_bytes()), &ctx)
                .unwrap()
        })
    });
    let answer = adapter.parse_response(ANSWER.as_bytes(), &ctx).unwrap();
    c.bench_function("serialize answer", |b| {
        b.iter(|| serde_json::to_vec(black_box(&answer)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
