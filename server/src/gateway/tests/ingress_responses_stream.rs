//! The Responses ingress's stream renderer against the recorded streams of
//! fixtures/openai-responses: each is read into the canonical chunks the relay would hand over,
//! rendered, and compared with the recording (event order, deltas, the spec's required fields,
//! the final response), our output re-read at byte splits.

use bytes::Bytes;
use serde_json::{Value, json};

use super::ingress_responses::{Body, DIR, canonical, check_rendered, exchanges, parse};
use super::support;
use crate::gateway::relay::StreamRenderer;
use crate::gateway::stream::parser::SseParser;
use crate::gateway::types::{ChatChunk, Delta, FunctionCallDelta, ReasoningDetail, ToolCallDelta};
use crate::ingress::responses::{self, Echo, Renderer};

/// The recorded events of a stream: SSE bodies, or `.chunks.txt` (one payload a line).
fn recorded_events(raw: &str) -> Vec<Value> {
    if raw.trim_start().starts_with('{') {
        return raw
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    }
    let mut parser = SseParser::new();
    let mut events = parser.feed(raw.as_bytes());
    events.extend(parser.finish());
    events
        .into_iter()
        .map(|e| {
            let v: Value = serde_json::from_str(&e.data).unwrap();
            assert_eq!(
                e.event.as_deref(),
                v["type"].as_str(),
                "event name = data.type"
            );
            v
        })
        .collect()
}

/// An independent canonical reading of a recorded stream: the chunks the relay would hand
/// the renderer, and the final chunk with usage (or the error chunk of a failed stream).
fn canonical_chunks(events: &[Value]) -> (Vec<ChatChunk>, ChatChunk) {
    let head = &events[0]["response"];
    let envelope = ChatChunk::new(
        head["id"].as_str().unwrap(),
        head["created_at"].as_u64().unwrap(),
        head["model"].as_str().unwrap(),
    );
    let mut chunks = Vec::new();
    let mut calls = 0;
    let delta = |d: Delta| {
        let mut c = envelope.clone().with_delta(0, d);
        c.choices[0].finish_reason = None;
        c
    };
    for e in events {
        match e["type"].as_str().unwrap() {
            "response.output_text.delta" => {
                chunks.push(delta(Delta::content(e["delta"].as_str().unwrap())))
            }
            "response.reasoning_summary_text.delta" => chunks.push(delta(Delta {
                reasoning: e["delta"].as_str().map(Into::into),
                ..Delta::default()
            })),
            "response.output_item.added" if e["item"]["type"] == "function_call" => {
                chunks.push(delta(Delta {
                    tool_calls: Some(vec![ToolCallDelta {
                        index: calls,
                        id: e["item"]["call_id"].as_str().map(Into::into),
                        kind: Some("function".into()),
                        function: Some(FunctionCallDelta {
                            name: e["item"]["name"].as_str().map(Into::into),
                            arguments: Some(String::new()),
                        }),
                    }]),
                    ..Delta::default()
                }));
                calls += 1;
            }
            "response.function_call_arguments.delta" => chunks.push(delta(Delta {
                tool_calls: Some(vec![ToolCallDelta {
                    index: calls - 1,
                    function: Some(FunctionCallDelta {
                        name: None,
                        arguments: e["delta"].as_str().map(Into::into),
                    }),
                    ..ToolCallDelta::default()
                }]),
                ..Delta::default()
            })),
            "response.output_item.done"
                if e["item"]["type"] == "reasoning"
                    && e["item"]["encrypted_content"].is_string() =>
            {
                chunks.push(delta(Delta {
                    reasoning_details: Some(vec![ReasoningDetail::encrypted(
                        e["item"]["encrypted_content"].as_str().unwrap(),
                        responses::request::REASONING_FORMAT,
                        0,
                    )]),
                    ..Delta::default()
                }))
            }
            "response.completed" | "response.incomplete" => {
                let r = canonical(&e["response"]);
                let mut last = envelope.clone().with_delta(0, Delta::default());
                last.choices[0].finish_reason = r.choices[0].finish_reason;
                chunks.push(last.clone());
                last.choices.clear();
                last.usage = r.usage;
                return (chunks, last);
            }
            "error" => {
                let mut failed = envelope.clone();
                failed.error = Some(
                    json!({"code": 500, "message": e["error"]["message"].as_str().or(e["message"].as_str())}),
                );
                return (chunks, failed);
            }
            _ => {}
        }
    }
    panic!("stream without an end: {events:?}")
}

/// Renders `chunks` then `last` (finish or fail), and re-reads our output split at every
/// byte: the events must be the same however the bytes arrive.
fn render(events: &[Value]) -> Vec<Value> {
    let (chunks, last) = canonical_chunks(events);
    let req = json!({"model": "m", "reasoning": events[0]["response"]["reasoning"]});
    let mut renderer = Renderer::new(Echo::of(&parse(&req)));
    let mut out: Vec<Bytes> = Vec::new();
    for c in &chunks {
        renderer.chunk(c, &mut out);
    }
    if last.error.is_some() {
        renderer.fail(&last, &mut out);
    } else {
        renderer.finish(&last, &mut out);
    }
    let bytes: Vec<u8> = out.concat();
    let whole = recorded_events(std::str::from_utf8(&bytes).unwrap());
    for i in (0..=bytes.len()).step_by(7) {
        let mut p = SseParser::new();
        let mut got = p.feed(&bytes[..i]);
        got.extend(p.feed(&bytes[i..]));
        got.extend(p.finish());
        assert_eq!(got.len(), whole.len(), "split at {i}");
    }
    whole
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn joined(events: &[Value], kind: &str) -> String {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["delta"].as_str().unwrap())
        .collect()
}

#[test]
fn every_recorded_stream_is_reproduced() {
    let spec = support::json(&format!("{DIR}/spec_stream_event_examples.json"));
    let mut streams: Vec<(String, String)> = [
        "stream_text.sse",
        "stream_function_call.sse",
        "stream_reasoning_encrypted_function_call.sse",
        "stream_reasoning_summary_function_calls.chunks.txt",
        "stream_error_then_response_failed.chunks.txt",
    ]
    .iter()
    .map(|f| {
        let raw = String::from_utf8(support::bytes(&format!("{DIR}/{f}"))).unwrap();
        (f.to_string(), raw)
    })
    .collect();
    for (name, _, _, body) in exchanges() {
        if let Body::Sse(s) = body {
            streams.push((name, s));
        }
    }
    let mut n = 0;
    for (name, raw) in &streams {
        let all = recorded_events(raw);
        // A `.chunks.txt` may hold several streams one after another.
        let starts: Vec<usize> = (0..all.len())
            .filter(|&i| all[i]["type"] == "response.created")
            .collect();
        for (k, &start) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(all.len());
            let recorded = &all[start..end];
            let ours = render(recorded);
            let what = format!("{name} #{k}");
            for (i, e) in ours.iter().enumerate() {
                assert_eq!(e["sequence_number"], json!(i), "{what}");
                let kind = e["type"].as_str().unwrap();
                let required = &spec["events"][kind]["required"];
                for field in required.as_array().unwrap_or_else(|| panic!("{kind}")) {
                    let field = field.as_str().unwrap();
                    assert!(e.get(field).is_some(), "{what}: {kind} lacks {field}: {e}");
                }
            }
            for kind in [
                "response.output_text.delta",
                "response.function_call_arguments.delta",
            ] {
                assert_eq!(
                    joined(&ours, kind),
                    joined(recorded, kind),
                    "{what}: {kind}"
                );
            }
            // Summaries in several parts are joined into one part.
            let summary: String = joined(recorded, "response.reasoning_summary_text.delta");
            assert_eq!(
                joined(&ours, "response.reasoning_summary_text.delta").len(),
                summary.len(),
                "{what}"
            );
            let simple = !types(recorded).iter().any(|t| t.contains("reasoning"));
            if simple {
                // Without reasoning, the whole sequence is the recorded one.
                assert_eq!(types(&ours), types(recorded), "{what}");
            }
            let last = ours.last().unwrap();
            let recorded_last = recorded.last().unwrap();
            assert_eq!(last["type"], recorded_last["type"], "{what}");
            if last["type"] == "response.completed" && simple {
                check_rendered(&what, &recorded_last["response"], &last["response"], true);
            }
            n += 1;
        }
    }
    assert!(n >= 10, "{n}");
}

#[test]
fn spec_text_stream_matches_recorded_sequence_and_role() {
    // `text` streams open a message item whose first part is an empty output_text.
    let raw = String::from_utf8(support::bytes(&format!("{DIR}/stream_text.sse"))).unwrap();
    let recorded = recorded_events(&raw);
    let ours = render(&recorded);
    assert_eq!(ours[2]["item"]["role"], "assistant");
    assert_eq!(
        ours[3]["part"],
        json!({"type": "output_text", "text": "", "annotations": [], "logprobs": []})
    );
    let canonical = canonical(&recorded.last().unwrap()["response"]);
    assert_eq!(canonical.choices[0].message.role, "assistant");
}
