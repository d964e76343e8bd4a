//! The Responses ingress against fixtures/openai-responses, read in the gateway's direction:
//! every recorded request must translate to a canonical chat request (or be refused naming
//! its stateful field), and every recorded response and stream must be reproduced by the
//! renderers from an independent canonical reading of it.

use serde_json::{Value, json};

use super::support;
use crate::gateway::providers::ProviderAdapter;
use crate::gateway::providers::anthropic::Anthropic;
use crate::gateway::providers::openai_compat::OpenAiCompat;
use crate::gateway::types::{
    ChatResponse, Choice, CompletionTokensDetails, FinishReason, PromptTokensDetails,
    ReasoningDetail, ResponseMessage, Role, ToolCall, Usage,
};
use crate::ingress::responses::{self, Echo, ResponsesRequest};

pub(super) const DIR: &str = "openai-responses";

pub(super) enum Body {
    Json(Value),
    Sse(String),
}

/// Every recorded POST: (name, request body, status, response).
pub(super) fn exchanges() -> Vec<(String, Value, u16, Body)> {
    let mut out = Vec::new();
    for f in [
        "cassette_error_400_decimal_below_min_value.json",
        "cassette_error_400_model_not_found.json",
        "cassette_error_400_reasoning_item_without_following_item.json",
        "cassette_nonstream_function_call_roundtrip.json",
        "cassette_nonstream_parallel_function_calls.json",
        "cassette_nonstream_reasoning_tool_roundtrip.json",
        "cassette_nonstream_text.json",
        "cassette_stream_reasoning_function_call_tool_choice_required.json",
    ] {
        let doc = support::json(&format!("{DIR}/{f}"));
        for (i, x) in doc["interactions"].as_array().unwrap().iter().enumerate() {
            let r = &x["response"];
            let body = match r.get("parsed_body") {
                Some(v) => Body::Json(v.clone()),
                None => Body::Sse(r["body"]["string"].as_str().unwrap().to_owned()),
            };
            let status = r["status"]["code"].as_u64().unwrap() as u16;
            out.push((
                format!("{f}#{i}"),
                x["request"]["parsed_body"].clone(),
                status,
                body,
            ));
        }
    }
    for f in [
        "recording_nonstream_function_call_previous_response_id.json",
        "recording_nonstream_incomplete_max_output_tokens.json",
        "recording_nonstream_json_schema.json",
        "recording_nonstream_reasoning_store_false.json",
        "recording_nonstream_tool_choice_function.json",
        "recording_store_false_then_get_404.json",
        "recording_stream_function_call.json",
        "recording_stream_text.json",
    ] {
        let doc = support::json(&format!("{DIR}/{f}"));
        for (i, e) in doc["Entries"].as_array().unwrap().iter().enumerate() {
            if e["RequestMethod"] != "POST" {
                continue;
            }
            let body = match &e["ResponseBody"] {
                Value::Array(lines) => {
                    Body::Sse(lines.iter().map(|l| l.as_str().unwrap()).collect())
                }
                v => Body::Json(v.clone()),
            };
            let status = e["StatusCode"].as_u64().unwrap() as u16;
            out.push((format!("{f}#{i}"), e["RequestBody"].clone(), status, body));
        }
    }
    let snap = support::json(&format!(
        "{DIR}/snapshot_nonstream_text_cache_write_tokens.json"
    ));
    out.push((
        "snapshot".into(),
        snap["request"]["body"].clone(),
        200,
        Body::Json(snap["response"]["body"].clone()),
    ));
    let spec = support::json(&format!("{DIR}/spec_create_response_examples.json"));
    for x in spec["examples"].as_array().unwrap() {
        let body = match x.get("response_body") {
            Some(Value::String(s)) => Body::Sse(s.clone()),
            Some(v) => Body::Json(v.clone()),
            None => continue,
        };
        out.push((
            format!("spec {}", x["title"]),
            x["request_body"].clone(),
            200,
            body,
        ));
    }
    out
}

pub(super) fn parse(body: &Value) -> ResponsesRequest {
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{body}: {e}"))
}

/// Requests the gateway refuses, by design, with the field they name.
fn expected_refusal(name: &str, body: &Value) -> Option<&'static str> {
    if body
        .get("previous_response_id")
        .is_some_and(|v| !v.is_null())
    {
        return Some("previous_response_id");
    }
    if body["store"] == true {
        return Some("store");
    }
    // The spec's file-search and image examples use stored files and hosted tools.
    if name.starts_with("spec") && body.to_string().contains("file_id") {
        return Some("input[0].content");
    }
    None
}

#[test]
fn every_recorded_request_translates_or_names_its_field() {
    let mut requests: Vec<(String, Value)> = exchanges()
        .into_iter()
        .map(|(n, req, _, _)| (n, req))
        .collect();
    let codex = support::json(&format!("{DIR}/codex_cli_request_from_tests.json"));
    for (i, x) in codex["asserted"].as_array().unwrap().iter().enumerate() {
        if let Some(input) = x.get("turn1.body.input").filter(|v| v.is_array()) {
            requests.push((
                format!("codex #{i}"),
                json!({"model": "m", "input": input, "store": false, "stream": true,
                    "include": ["reasoning.encrypted_content"], "prompt_cache_key": "conv-1",
                    "tool_choice": "auto", "parallel_tool_calls": false}),
            ));
        }
    }
    assert!(requests.len() >= 30, "{}", requests.len());
    let mut translated = 0;
    for (name, body) in &requests {
        let result = responses::to_chat(&parse(body));
        if let Some(field) = expected_refusal(name, body) {
            let err = result.expect_err(name);
            assert!(err.0.starts_with(field), "{name}: {err}");
            continue;
        }
        let req = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        translated += 1;
        // An independent count of what the body holds.
        let items: Vec<Value> = match &body["input"] {
            Value::String(_) => vec![json!({"role": "user"})],
            Value::Array(items) => items.clone(),
            _ => vec![],
        };
        let of = |kind: &str| {
            items
                .iter()
                .filter(|i| i["type"].as_str().unwrap_or("message") == kind)
                .count()
        };
        let calls: usize = req
            .messages
            .iter()
            .map(|m| m.tool_calls.as_ref().map_or(0, Vec::len))
            .sum();
        assert_eq!(calls, of("function_call"), "{name}");
        let outputs = req.messages.iter().filter(|m| m.role == Role::Tool).count();
        assert_eq!(outputs, of("function_call_output"), "{name}");
        let instructions =
            usize::from(body["instructions"].as_str().is_some_and(|i| !i.is_empty()));
        let texts = req
            .messages
            .iter()
            .filter(|m| m.role != Role::Tool && m.content.is_some())
            .count();
        assert_eq!(texts, of("message") + instructions, "{name}");
        let encrypted = items
            .iter()
            .filter(|i| i["encrypted_content"].is_string())
            .count();
        let details = req
            .messages
            .iter()
            .flat_map(|m| m.reasoning_details.iter().flatten())
            .filter(|d| d.kind == ReasoningDetail::ENCRYPTED)
            .count();
        assert_eq!(details, encrypted, "{name}: reasoning items ride along");
        let functions = body["tools"]
            .as_array()
            .map_or(0, |t| t.iter().filter(|t| t["type"] == "function").count());
        assert_eq!(req.tools.as_ref().map_or(0, Vec::len), functions, "{name}");
        assert_eq!(
            req.max_tokens,
            body["max_output_tokens"].as_u64().map(|n| n as u32)
        );
        if let Some(schema) = body.pointer("/text/format/schema") {
            let v = serde_json::to_value(&req.response_format).unwrap();
            assert_eq!(&v["json_schema"]["schema"], schema, "{name}");
        }
        // Every upstream protocol can take the result.
        let ctx = support::ctx("m");
        OpenAiCompat
            .build_request(&req, &ctx)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        Anthropic
            .build_request(&req, &ctx)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(translated >= 24, "{translated}");
}

/// An independent canonical reading of a recorded response object.
pub(super) fn canonical(raw: &Value) -> ChatResponse {
    let mut m = ResponseMessage::assistant();
    let mut calls = Vec::new();
    let mut details = Vec::new();
    for item in raw["output"].as_array().unwrap() {
        match item["type"].as_str().unwrap() {
            "message" => {
                for part in item["content"].as_array().unwrap() {
                    match part["type"].as_str().unwrap() {
                        "output_text" => m
                            .content
                            .get_or_insert_with(String::new)
                            .push_str(part["text"].as_str().unwrap()),
                        "refusal" => m.refusal = part["refusal"].as_str().map(Into::into),
                        _ => {}
                    }
                }
            }
            "function_call" => calls.push(ToolCall::function(
                item["call_id"].as_str().unwrap(),
                item["name"].as_str().unwrap(),
                item["arguments"].as_str().unwrap().to_owned(),
            )),
            "reasoning" => {
                let summary: Vec<&str> = item["summary"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["text"].as_str().unwrap())
                    .collect();
                if !summary.is_empty() {
                    m.reasoning = Some(summary.join("\n\n"));
                }
                if let Some(data) = item["encrypted_content"].as_str() {
                    details.push(ReasoningDetail::encrypted(
                        data,
                        responses::request::REASONING_FORMAT,
                        0,
                    ));
                }
            }
            _ => {}
        }
    }
    m.tool_calls = (!calls.is_empty()).then_some(calls);
    m.reasoning_details = (!details.is_empty()).then_some(details);
    let u = &raw["usage"];
    let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let finish = match (raw["status"].as_str(), &m.tool_calls) {
        (Some("incomplete"), _) => FinishReason::Length,
        (_, Some(_)) => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    };
    ChatResponse {
        id: raw["id"].as_str().unwrap().into(),
        object: ChatResponse::OBJECT.into(),
        created: raw["created_at"].as_u64().unwrap(),
        model: raw["model"].as_str().unwrap().into(),
        provider: None,
        system_fingerprint: None,
        choices: vec![Choice {
            index: 0,
            message: m,
            finish_reason: Some(finish),
            native_finish_reason: None,
            logprobs: None,
        }],
        usage: Some(Usage {
            prompt_tokens: n("/input_tokens"),
            completion_tokens: n("/output_tokens"),
            total_tokens: n("/total_tokens"),
            prompt_tokens_details: Some(PromptTokensDetails {
                cached_tokens: n("/input_tokens_details/cached_tokens"),
                ..Default::default()
            }),
            completion_tokens_details: Some(CompletionTokensDetails {
                reasoning_tokens: n("/output_tokens_details/reasoning_tokens"),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

/// Fields of OpenAI's response object the gateway does not produce: hosted-service state
/// (`background`, `billing`, `service_tier`, `prompt_cache_*`, `safety_identifier`) and
/// limits it does not model.
const NOT_EMITTED: &[&str] = &[
    "background",
    "billing",
    "conversation",
    "max_tool_calls",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "safety_identifier",
    "service_tier",
    "top_logprobs",
    "output_text",
];

/// Our rendering of `raw`'s canonical reading says what `raw` says.
/// `streamed`: OpenAI re-encrypts reasoning between a stream's `output_item.done` and its
/// `response.completed`, so only the presence of `encrypted_content` can match there.
pub(super) fn check_rendered(name: &str, raw: &Value, ours: &Value, streamed: bool) {
    for key in raw.as_object().unwrap().keys() {
        if !NOT_EMITTED.contains(&key.as_str()) {
            assert!(ours.get(key).is_some(), "{name}: we lack `{key}`: {ours}");
        }
    }
    assert_eq!(ours["object"], "response");
    assert_eq!(ours["status"], raw["status"], "{name}");
    assert_eq!(
        ours["incomplete_details"], raw["incomplete_details"],
        "{name}"
    );
    let kept: Vec<&Value> = raw["output"]
        .as_array()
        .unwrap()
        .iter()
        // Hosted tools' items and reasoning with nothing to show or replay have no
        // canonical trace.
        .filter(|i| {
            ["message", "function_call", "reasoning"].contains(&i["type"].as_str().unwrap())
        })
        .filter(|i| {
            i["type"] != "reasoning"
                || !i["summary"].as_array().unwrap().is_empty()
                || i["encrypted_content"].is_string()
        })
        .collect();
    let output = ours["output"].as_array().unwrap();
    let types = |items: Vec<&Value>| items.iter().map(|i| i["type"].clone()).collect::<Vec<_>>();
    assert_eq!(
        types(output.iter().collect()),
        types(kept.clone()),
        "{name}"
    );
    for (o, r) in output.iter().zip(kept) {
        match r["type"].as_str().unwrap() {
            "message" => {
                assert_eq!(o["role"], "assistant");
                let texts = |v: &Value| {
                    v["content"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| (p["type"].clone(), p["text"].clone(), p["refusal"].clone()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(texts(o), texts(r), "{name}");
                assert_eq!(o["status"], r["status"], "{name}");
            }
            "function_call" => {
                for k in ["call_id", "name", "arguments", "status"] {
                    assert_eq!(o[k], r[k], "{name}: {k}");
                }
            }
            "reasoning" => {
                let joined = |v: &Value| {
                    v["summary"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s["text"].as_str().unwrap().to_owned())
                        .collect::<Vec<_>>()
                        .join("\n\n")
                };
                assert_eq!(joined(o), joined(r), "{name}");
                if streamed {
                    assert_eq!(
                        o["encrypted_content"].is_string(),
                        r["encrypted_content"].is_string(),
                        "{name}"
                    );
                } else {
                    assert_eq!(o["encrypted_content"], r["encrypted_content"], "{name}");
                }
            }
            _ => unreachable!(),
        }
    }
    for p in [
        "/input_tokens",
        "/output_tokens",
        "/total_tokens",
        "/input_tokens_details/cached_tokens",
        "/output_tokens_details/reasoning_tokens",
    ] {
        if raw["usage"].pointer(p).is_none() {
            continue; // the spec's examples omit the details
        }
        assert_eq!(
            ours["usage"].pointer(p),
            raw["usage"].pointer(p),
            "{name}: usage{p}"
        );
    }
}

#[test]
fn every_recorded_response_is_reproduced() {
    let mut n = 0;
    let mut bodies: Vec<(String, Value, Value)> = exchanges()
        .into_iter()
        .filter_map(|(name, req, status, body)| match body {
            Body::Json(v) if status == 200 && v["object"] == "response" => Some((name, req, v)),
            _ => None,
        })
        .collect();
    bodies.push((
        "nonstream_reasoning_summary_encrypted_store_false".into(),
        json!({"model": "m"}),
        support::json(&format!(
            "{DIR}/nonstream_reasoning_summary_encrypted_store_false.json"
        )),
    ));
    for (name, req, raw) in bodies {
        let ours = responses::render(&canonical(&raw), &Echo::of(&parse(&req)));
        check_rendered(&name, &raw, &ours, false);
        n += 1;
    }
    assert!(n >= 15, "{n}");
}

#[test]
fn error_bodies_have_openais_keys() {
    for f in [
        "error_400_unsupported_parameter_temperature.json",
        "error_insufficient_quota.json",
    ] {
        let recorded = support::json(&format!("{DIR}/{f}"));
        let ours = responses::error::body(400, "temperature: unsupported", None);
        let keys = |v: &Value| {
            let mut k: Vec<String> = v["error"].as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&ours), keys(&recorded), "{f}");
    }
    for (name, _, status, body) in exchanges() {
        if let (400.., Body::Json(v)) = (status, body) {
            let ours = responses::error::body(status, "x", None);
            assert_eq!(
                ours["error"].as_object().unwrap().len(),
                v["error"].as_object().unwrap().len(),
                "{name}"
            );
        }
    }
    let ours = responses::error::body(400, "store: true is not supported", None);
    assert_eq!(ours["error"]["param"], "store");
    assert_eq!(ours["error"]["type"], "invalid_request_error");
}
