//! Canonical request -> Gemini generateContent request.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::gateway::error::TranslateError;
use crate::gateway::types::{
    ChatRequest, ContentPart, DataUri, Message, MessageContent, ReasoningDetail, ResponseFormat,
    Role,
};

use super::FORMAT;

pub(super) fn build(req: &ChatRequest) -> Result<Value, TranslateError> {
    let mut body = Map::new();
    let system: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| matches!(m.role, Role::System | Role::Developer))
        .map(|m| json!({"text": m.text()}))
        .collect();
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({ "parts": system }));
    }
    body.insert("contents".into(), contents(&req.messages)?.into());

    if let Some(tools) = &req.tools {
        let decls: Vec<Value> = tools
            .iter()
            .map(|t| {
                let mut d = json!({"name": t.function.name});
                if let Some(desc) = &t.function.description {
                    d["description"] = desc.clone().into();
                }
                // parametersJsonSchema takes standard JSON Schema as is, so
                // no conversion to Gemini's uppercase OpenAPI subset.
                if let Some(p) = &t.function.parameters {
                    d["parametersJsonSchema"] = p.clone();
                }
                d
            })
            .collect();
        body.insert("tools".into(), json!([{ "functionDeclarations": decls }]));
    }
    if let Some(tc) = &req.tool_choice {
        let config = match (tc.mode(), tc.function_name()) {
            (_, Some(name)) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
            (Some("none"), _) => json!({"mode": "NONE"}),
            (Some("required"), _) => json!({"mode": "ANY"}),
            _ => json!({"mode": "AUTO"}),
        };
        body.insert(
            "toolConfig".into(),
            json!({ "functionCallingConfig": config }),
        );
    }
    body.insert("generationConfig".into(), generation_config(req).into());
    Ok(Value::Object(body))
}

fn generation_config(req: &ChatRequest) -> Map<String, Value> {
    let mut g = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            g.insert(k.into(), v);
        }
    };
    put("temperature", req.temperature.map(Into::into));
    put("topP", req.top_p.map(Into::into));
    put("topK", req.top_k.map(Into::into));
    put("maxOutputTokens", req.max_output_tokens().map(Into::into));
    put("candidateCount", req.n.map(Into::into));
    put("seed", req.seed.map(Into::into));
    put("presencePenalty", req.presence_penalty.map(Into::into));
    put("frequencyPenalty", req.frequency_penalty.map(Into::into));
    put("responseLogprobs", req.logprobs.map(Into::into));
    put("logprobs", req.top_logprobs.map(Into::into));
    put(
        "stopSequences",
        req.stop.as_ref().map(|s| s.to_vec().into()),
    );
    match &req.response_format {
        Some(ResponseFormat::JsonObject) => {
            put("responseMimeType", Some("application/json".into()));
        }
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            put("responseMimeType", Some("application/json".into()));
            put("responseJsonSchema", json_schema.schema.clone());
        }
        _ => {}
    }
    put("thinkingConfig", thinking_config(req));
    g
}

/// An explicit budget wins; effort maps to fixed budgets; `enabled:false`
/// or effort `none` turns thinking off. Without any reasoning field the
/// model's default applies and no thoughts are returned.
fn thinking_config(req: &ChatRequest) -> Option<Value> {
    let explicit = req.reasoning.is_some() || req.reasoning_effort.is_some();
    if !explicit {
        return None;
    }
    if !req.wants_reasoning() {
        return Some(json!({"thinkingBudget": 0}));
    }
    // -1 is Gemini's "dynamic": the model picks its own budget.
    let budget: i64 = match (
        req.reasoning.as_ref().and_then(|r| r.max_tokens),
        req.effort(),
    ) {
        (Some(b), _) => b.into(),
        (None, Some("minimal")) => 512,
        (None, Some("low")) => 1024,
        (None, Some("medium")) => 8192,
        (None, Some("high" | "xhigh")) => 24_576,
        (None, _) => -1,
    };
    Some(json!({"thinkingBudget": budget, "includeThoughts": !req.excludes_reasoning()}))
}

/// Consecutive same-role turns are merged: parallel function responses must
/// arrive in one user turn.
fn contents(messages: &[Message]) -> Result<Vec<Value>, TranslateError> {
    let names: HashMap<&str, &str> = messages
        .iter()
        .flat_map(|m| m.tool_calls.iter().flatten())
        .map(|tc| (tc.id.as_str(), tc.function.name.as_str()))
        .collect();
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in messages {
        let (role, parts) = match m.role {
            Role::System | Role::Developer => continue,
            Role::User => ("user", user_parts(m)?),
            Role::Assistant => ("model", model_parts(m)),
            Role::Tool => ("user", vec![function_response(m, &names)?]),
        };
        if parts.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some((r, p)) if *r == role => p.extend(parts),
            _ => out.push((role, parts)),
        }
    }
    Ok(out
        .into_iter()
        .map(|(role, parts)| json!({"role": role, "parts": parts}))
        .collect())
}

fn user_parts(m: &Message) -> Result<Vec<Value>, TranslateError> {
    m.content
        .iter()
        .flat_map(MessageContent::to_parts)
        .map(|p| {
            Ok(match &p {
                ContentPart::Text { text, .. } => json!({"text": text}),
                ContentPart::ImageUrl { image_url, .. } => media(&image_url.url, "image/jpeg"),
                ContentPart::InputAudio { input_audio } => json!({"inlineData": {
                    "mimeType": format!("audio/{}", input_audio.format),
                    "data": input_audio.data,
                }}),
                ContentPart::File { file, .. } => {
                    let data = file.file_data.as_deref().ok_or_else(|| {
                        TranslateError::InvalidRequest("file part needs file_data".into())
                    })?;
                    media(data, "application/pdf")
                }
            })
        })
        .collect()
}

/// Data URIs are sent inline; URLs by reference.
fn media(url: &str, default_mime: &str) -> Value {
    match DataUri::parse(url) {
        Some(d) => json!({"inlineData": {"mimeType": d.mime_type, "data": d.data}}),
        None => {
            json!({"fileData": {"mimeType": guess_mime(url).unwrap_or(default_mime), "fileUri": url}})
        }
    }
}

fn guess_mime(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next()?.to_ascii_lowercase();
    let ext = path.rsplit_once('.')?.1;
    Some(match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        _ => return None,
    })
}

/// Thought signatures from `reasoning_details` go back on the part they came
/// with: a function call (matched by tool call id) or else the first part.
fn model_parts(m: &Message) -> Vec<Value> {
    let signatures: Vec<&ReasoningDetail> = m
        .reasoning_details
        .iter()
        .flatten()
        .filter(|d| d.kind == ReasoningDetail::ENCRYPTED && d.data.is_some())
        .filter(|d| d.format.as_deref().is_none_or(|f| f == FORMAT))
        .collect();
    let mut parts: Vec<Value> = Vec::new();
    let text = m.text();
    if !text.is_empty() {
        parts.push(json!({"text": text}));
    }
    for tc in m.tool_calls.iter().flatten() {
        let args: Value =
            serde_json::from_str(&tc.function.arguments).unwrap_or_else(|_| json!({}));
        let mut p = json!({"functionCall": {"name": tc.function.name, "args": args}});
        if let Some(sig) = signatures.iter().find(|d| d.id.as_deref() == Some(&tc.id)) {
            p["thoughtSignature"] = sig.data.clone().into();
        }
        parts.push(p);
    }
    if let (Some(sig), Some(first)) = (
        signatures.iter().find(|d| d.id.is_none()),
        parts.first_mut(),
    ) && first.get("thoughtSignature").is_none()
    {
        first["thoughtSignature"] = sig.data.clone().into();
    }
    parts
}

fn function_response(m: &Message, names: &HashMap<&str, &str>) -> Result<Value, TranslateError> {
    let id = m.tool_call_id.as_deref().unwrap_or_default();
    let name = names
        .get(id)
        .copied()
        .or(m.name.as_deref())
        .ok_or_else(|| {
            TranslateError::InvalidRequest(format!("tool message {id:?} matches no tool call"))
        })?;
    let text = m.text();
    // functionResponse.response must be an object: the tool output goes
    // under "output", parsed when it is JSON (as Google's SDKs do).
    let output = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    let response = json!({ "output": output });
    Ok(json!({"functionResponse": {"name": name, "response": response}}))
}
