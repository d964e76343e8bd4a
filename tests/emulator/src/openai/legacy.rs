//! `POST /v1/completions` (legacy text completions), `POST /v1/embeddings`, `GET /v1/models`.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{DONE, MALFORMED, STREAM_ERROR, auth, builder, check};
use crate::common::{data_frame, fnv, now_secs, prepare, random_id};
use crate::state::Shared;
use crate::{sse, tokens};

/// The legacy endpoint's documented default `max_tokens`.
const LEGACY_DEFAULT_MAX_TOKENS: usize = 16;

fn prompt_text(prompt: &Value) -> String {
    match prompt {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(prompt_text).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

pub async fn completions(
    req: HttpRequest,
    raw: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let ctx = match prepare("openai", &req, &raw, &shared).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    let model = match check(&req, &ctx) {
        Ok(model) => model,
        Err(response) => return response,
    };
    let body = &ctx.body;
    let prompt = prompt_text(body.get("prompt").unwrap_or(&Value::Null));
    let max = body
        .get("max_tokens")
        .and_then(Value::as_u64)
        .map_or(LEGACY_DEFAULT_MAX_TOKENS, |m| m as usize);
    let reply = ctx.reply_text("", &prompt);
    let (text, truncated) = tokens::truncate(&reply, Some(max));
    let finish = if truncated { "length" } else { "stop" };
    let prompt_tokens = tokens::count(&prompt).max(1);
    let completion_tokens = tokens::count(text);
    let id = format!("cmpl-{}", random_id(29));
    let created = now_secs();
    let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens});
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let chunk = |text: &str, finish: Option<&str>| {
            data_frame(
                &json!({"id": id, "object": "text_completion", "created": created, "model": model,
                    "system_fingerprint": "fp_emulator",
                    "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": finish}]})
                .to_string(),
            )
        };
        let mut frames: Vec<Bytes> = ctx.chunk(text).iter().map(|p| chunk(p, None)).collect();
        frames.push(chunk("", Some(finish)));
        if body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true)
        {
            frames.push(data_frame(
                &json!({"id": id, "object": "text_completion", "created": created, "model": model,
                    "system_fingerprint": "fp_emulator", "choices": [], "usage": usage})
                .to_string(),
            ));
        }
        frames.push(Bytes::from_static(DONE.as_bytes()));
        let plan = sse::Plan {
            frames,
            first_output: 0,
            malformed: Bytes::from_static(MALFORMED.as_bytes()),
            error: Bytes::from_static(STREAM_ERROR.as_bytes()),
        };
        return sse::respond(plan, &ctx.knobs, ctx.shared.clone(), builder(200));
    }
    if ctx.knobs.ttft_ms > 0 {
        tokio::time::sleep(ctx.knobs.ttft()).await;
    }
    builder(200).json(json!({
        "id": id, "object": "text_completion", "created": created, "model": model,
        "system_fingerprint": "fp_emulator",
        "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": finish}],
        "usage": usage,
    }))
}

/// A deterministic unit vector for `text`: xorshift seeded by the text's hash, L2-normalised.
pub fn embedding_vector(text: &str, dims: usize) -> Vec<f32> {
    let mut state = fnv(text.as_bytes()) | 1;
    let mut v: Vec<f32> = (0..dims)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// Inputs of an embeddings request: a string, strings, a token array, or token arrays.
fn embedding_inputs(input: &Value) -> Vec<(String, usize)> {
    match input {
        Value::String(s) => vec![(s.clone(), tokens::count(s))],
        Value::Array(items) if items.iter().all(Value::is_number) => {
            vec![(input.to_string(), items.len())]
        }
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => (s.clone(), tokens::count(s)),
                Value::Array(t) => (i.to_string(), t.len()),
                other => (other.to_string(), 1),
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub async fn embeddings(
    req: HttpRequest,
    raw: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let ctx = match prepare("openai", &req, &raw, &shared).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    let model = match check(&req, &ctx) {
        Ok(model) => model,
        Err(response) => return response,
    };
    let body = &ctx.body;
    let inputs = embedding_inputs(body.get("input").unwrap_or(&Value::Null));
    if inputs.is_empty() {
        return super::error(
            400,
            "'input' is a required property",
            "invalid_request_error",
            None,
            None,
        );
    }
    let dims = body
        .get("dimensions")
        .and_then(Value::as_u64)
        .map_or(if model.contains("large") { 3072 } else { 1536 }, |d| {
            d as usize
        });
    let base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let mut prompt_tokens = 0;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, (text, n))| {
            prompt_tokens += n;
            let v = embedding_vector(text, dims);
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                Value::from(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                Value::from(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    builder(200).json(json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }))
}

pub async fn models(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let ctx = match prepare("openai", &req, &web::Bytes::new(), &shared).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    if let Err(response) = auth(&req, &ctx) {
        return response;
    }
    let data: Vec<Value> = ctx
        .shared
        .config
        .models
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1_686_935_002, "owned_by": "system"}))
        .collect();
    builder(200).json(json!({"object": "list", "data": data}))
}
