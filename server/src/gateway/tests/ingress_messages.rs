//! The Messages ingress against fixtures/anthropic, both directions at once: a recorded
//! Anthropic request taken in by the ingress and sent on by the Anthropic adapter must be the
//! recorded request again; a recorded response or stream decoded by the adapter and rendered by
//! the ingress must say what the recording says. This is the Messages -> Anthropic path, where
//! nothing may be lost.

use bytes::Bytes;
use serde_json::{Value, json};

use super::anthropic::{exchanges, normalize, recorded_streams};
use super::support::{self, ctx, decode_any_split, naive_sse_data};
use crate::gateway::providers::ProviderAdapter;
use crate::gateway::providers::anthropic::Anthropic;
use crate::gateway::relay::StreamRenderer;
use crate::gateway::types::ChatChunk;
use crate::ingress::messages::{self, MessagesRequest, Renderer};

fn through_ingress(body: &Value) -> Value {
    let parsed: MessagesRequest = serde_json::from_value(body.clone()).unwrap();
    let req = messages::to_chat(&parsed).unwrap();
    let model = body["model"].as_str().unwrap();
    Anthropic
        .build_request(&req, &ctx(model))
        .unwrap()
        .body
        .json()
}

#[test]
fn recorded_requests_pass_through_unchanged() {
    let mut bodies: Vec<(String, Value)> = exchanges()
        .into_iter()
        .map(|(n, req, _, _)| (n, req))
        .collect();
    let pc = support::json("anthropic/prompt_caching_and_thinking.json");
    bodies.push(("prompt_caching_and_thinking".into(), pc["request"].clone()));
    assert_eq!(bodies.len(), 15);
    for (name, recorded) in bodies {
        let sent = through_ingress(&recorded);
        assert_eq!(normalize(&sent), normalize(&recorded), "{name}");
    }
}

#[test]
fn thinking_blocks_and_markers_survive_a_turn() {
    let pc = support::json("anthropic/prompt_caching_and_thinking.json");
    let mut assistant = pc["response_first_call_cache_write"]["content"].clone();
    assistant
        .as_array_mut()
        .unwrap()
        .insert(1, pc["redacted_thinking_block_shape"].clone());
    let mut body = pc["request"].clone();
    body["tool_choice"] = json!({"type": "auto", "disable_parallel_tool_use": true});
    body["tools"] = json!([{"name": "f", "input_schema": {"type": "object"}}]);
    body["stop_sequences"] = json!(["END"]);
    body["metadata"] = json!({"user_id": "u-1"});
    body["messages"] = json!([
        {"role": "user", "content": [
            {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}},
            {"type": "image", "source": {"type": "url", "url": "https://x/y.jpg"}},
        ]},
        {"role": "assistant", "content": assistant},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "42"}]},
            {"type": "text", "text": "go on"},
        ]},
    ]);
    let sent = through_ingress(&body);
    assert_eq!(normalize(&sent)["messages"], normalize(&body)["messages"]);
    for k in [
        "system",
        "thinking",
        "tool_choice",
        "stop_sequences",
        "metadata",
        "max_tokens",
    ] {
        assert_eq!(sent[k], body[k], "{k}");
    }
}

#[test]
fn what_the_canonical_form_narrows_reaches_anthropic_as_sent() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 1000,
        "thinking": {"type": "adaptive"},
        "service_tier": "standard_only", "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
        "session_id": "s-1", "usage": {"include": true},
        "tools": [
            {"name": "f", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
        ],
        "messages": [{"role": "user", "content": "hi"}]});
    let sent = through_ingress(&body);
    for k in ["thinking", "service_tier", "context_management", "tools"] {
        assert_eq!(sent[k], body[k], "{k}");
    }
    assert!(sent.get("session_id").is_none() && sent.get("usage").is_none());

    // Another protocol gets the canonical form only.
    let parsed: MessagesRequest = serde_json::from_value(body).unwrap();
    let req = messages::to_chat(&parsed).unwrap();
    let openai = crate::gateway::providers::openai_compat::OpenAiCompat
        .build_request(&req, &ctx("gpt-4o"))
        .unwrap()
        .body
        .json();
    assert!(openai.get("service_tier").is_none() && openai.get("thinking").is_none());
    assert_eq!(
        openai["tools"].as_array().unwrap().len(),
        1,
        "the server tool is Anthropic's"
    );
}

#[test]
fn recorded_responses_render_back() {
    let mut n = 0;
    let pc = support::json("anthropic/prompt_caching_and_thinking.json");
    let mut with_thinking = pc["response_first_call_cache_write"].clone();
    with_thinking["content"]
        .as_array_mut()
        .unwrap()
        .insert(1, pc["redacted_thinking_block_shape"].clone());
    let mut bodies: Vec<(String, Value)> = exchanges()
        .into_iter()
        .filter(|(_, _, status, body)| *status == 200 && body.is_object())
        .map(|(n, _, _, b)| (n, b))
        .collect();
    bodies.push(("thinking".into(), with_thinking));
    for (name, recorded) in bodies {
        let canonical = Anthropic
            .parse_response(recorded.to_string().as_bytes(), &ctx("m"))
            .unwrap();
        let ours = messages::render(&canonical);
        for k in [
            "id",
            "type",
            "role",
            "model",
            "stop_reason",
            "stop_sequence",
        ] {
            assert_eq!(ours[k], recorded[k], "{name}: {k}");
        }
        // Server-tool blocks have no canonical form; every other block comes back whole.
        let blocks: Vec<&Value> = recorded["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| {
                ["text", "tool_use", "thinking", "redacted_thinking"]
                    .contains(&b["type"].as_str().unwrap())
            })
            .collect();
        let strip = |b: &Value| {
            let mut b = b.clone();
            for k in ["citations", "caller"] {
                b.as_object_mut().unwrap().remove(k);
            }
            b
        };
        let ours_blocks: Vec<Value> = ours["content"].as_array().unwrap().to_vec();
        let recorded_blocks: Vec<Value> = blocks.into_iter().map(strip).collect();
        // Consecutive text blocks are one canonical content string.
        let merge = |blocks: Vec<Value>| {
            let mut out: Vec<Value> = Vec::new();
            for b in blocks {
                match out.last_mut() {
                    Some(last) if last["type"] == "text" && b["type"] == "text" => {
                        let text = format!(
                            "{}{}",
                            last["text"].as_str().unwrap(),
                            b["text"].as_str().unwrap()
                        );
                        last["text"] = text.into();
                    }
                    _ => out.push(b),
                }
            }
            out
        };
        // Canonically, reasoning comes first, then text, then tool calls.
        let order = |mut blocks: Vec<Value>| {
            blocks.sort_by_key(|b| match b["type"].as_str().unwrap() {
                "thinking" | "redacted_thinking" => 0,
                "text" => 1,
                _ => 2,
            });
            blocks
        };
        assert_eq!(
            merge(order(ours_blocks)),
            merge(order(recorded_blocks)),
            "{name}"
        );
        for k in [
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ] {
            assert_eq!(
                ours["usage"][k].as_u64().unwrap(),
                recorded["usage"][k].as_u64().unwrap_or(0),
                "{name}: {k}"
            );
        }
        n += 1;
    }
    assert_eq!(n, 7);
}

/// Renders a recorded stream after the adapter decoded it, as the relay would hand it over.
fn rerender(raw: &[u8]) -> Vec<u8> {
    let decoded = decode_any_split(&Anthropic, &ctx("m"), raw);
    let mut renderer = Renderer::new();
    let mut out: Vec<Bytes> = Vec::new();
    let mut envelope = ChatChunk::new("gen-1", 1, "m");
    for c in decoded.chunks() {
        envelope.id.clone_from(&c.id);
        envelope.model.clone_from(&c.model);
        renderer.chunk(c, &mut out);
    }
    if let Some(err) = decoded.errors().first() {
        let failed = crate::gateway::stream::emitter::error_chunk(&envelope, err);
        renderer.fail(&failed, &mut out);
    } else {
        let mut last = envelope.clone();
        last.usage = decoded.usage.clone();
        renderer.finish(&last, &mut out);
    }
    out.concat()
}

/// What a stream says, read independently.
#[derive(Debug, PartialEq)]
struct Summary {
    /// Per block index: its type and what its start and deltas add up to.
    blocks: Vec<(String, String)>,
    stop: Option<String>,
    output_tokens: Option<u64>,
    /// The event types in order, `ping` and empty deltas left out.
    types: Vec<String>,
}

fn summary(raw: &[u8]) -> Summary {
    let mut blocks: Vec<(String, String)> = Vec::new();
    let (mut stop, mut output, mut types) = (None, None, Vec::new());
    for data in naive_sse_data(raw) {
        let v: Value = serde_json::from_str(&data).unwrap();
        let kind = v["type"].as_str().unwrap().to_owned();
        match kind.as_str() {
            "content_block_start" => {
                let b = &v["content_block"];
                let seed = b["text"]
                    .as_str()
                    .or(b["thinking"].as_str())
                    .or(b["data"].as_str())
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{}:{}", b["id"], b["name"]));
                blocks.push((b["type"].as_str().unwrap().into(), seed));
            }
            "content_block_delta" => {
                let d = &v["delta"];
                let piece = d["text"]
                    .as_str()
                    .or(d["thinking"].as_str())
                    .or(d["partial_json"].as_str())
                    .or(d["signature"].as_str())
                    .unwrap_or_default();
                blocks.last_mut().unwrap().1.push_str(piece);
            }
            "message_delta" => {
                stop = v["delta"]["stop_reason"].as_str().map(str::to_owned);
                output = v["usage"]["output_tokens"].as_u64();
            }
            _ => {}
        }
        // Anthropic sends empty deltas (a tool's input opens with `""`, a thinking block may
        // end with one); they add nothing, and the canonical stream drops them.
        let d = &v["delta"];
        let empty = ["partial_json", "thinking", "text"]
            .iter()
            .any(|k| d[*k] == "");
        if kind != "ping" && !empty {
            types.push((kind, v["index"].as_u64()));
        }
    }
    // An empty text block (a refusal's) has no canonical trace either.
    let hollow = |i: u64| {
        blocks
            .get(i as usize)
            .is_some_and(|(t, s)| t == "text" && s.is_empty())
    };
    let types = types
        .into_iter()
        .filter(|(_, index)| !index.is_some_and(hollow))
        .map(|(kind, _)| kind)
        .collect();
    let blocks = blocks
        .iter()
        .filter(|(t, s)| !(t == "text" && s.is_empty()))
        .cloned()
        .collect();
    Summary {
        blocks,
        stop,
        output_tokens: output,
        types,
    }
}

#[test]
fn recorded_streams_render_back() {
    for (name, raw) in &recorded_streams() {
        let ours = rerender(raw);
        let (ours_said, said) = (summary(&ours), summary(raw));
        assert_eq!(ours_said.types, said.types, "{name}: the event sequence");
        assert_eq!(ours_said.stop, said.stop, "{name}");
        assert_eq!(ours_said.output_tokens, said.output_tokens, "{name}");
        // Deltas may be cut differently (a tool call's id and name come with its start);
        // what each block adds up to may not.
        let squash = |b: &[(String, String)]| {
            b.iter()
                .map(|(t, s)| (t.clone(), s.replace("\"\"", "")))
                .collect::<Vec<_>>()
        };
        assert_eq!(squash(&ours_said.blocks), squash(&said.blocks), "{name}");
        // And the adapter reads our rendering as it read the recording.
        let again = decode_any_split(&Anthropic, &ctx("m"), &ours).response();
        let first = decode_any_split(&Anthropic, &ctx("m"), raw).response();
        assert_eq!(again.choices, first.choices, "{name}");
    }
}

#[test]
fn a_failed_stream_ends_with_anthropics_error_event() {
    let raw = support::bytes("anthropic/stream_error_event.sse");
    let ours = String::from_utf8(rerender(&raw)).unwrap();
    let last = ours.trim_end().rsplit("\n\n").next().unwrap();
    assert!(last.starts_with("event: error\ndata: "), "{ours}");
    let v: Value = serde_json::from_str(last.split_once("data: ").unwrap().1).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "overloaded_error", "{v}");
    assert!(!ours.contains("message_stop"));
}

#[test]
fn error_types_follow_anthropics_table() {
    let table = support::json("anthropic/errors.json");
    let table = table["status_to_type"].as_object().unwrap();
    assert!(table.len() >= 10);
    for (status, ty) in table {
        let status: u16 = status.parse().unwrap();
        assert_eq!(messages::error::type_for(status), ty, "{status}");
    }
    let body = messages::error::body(429, "slow down", None);
    assert_eq!(
        body,
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})
    );
}
