//! Gemini `POST /v1beta/models/{model}:{generateContent|streamGenerateContent|countTokens}`:
//! `x-goog-api-key` (or `?key=`), Google error bodies, function calls with thought signatures,
//! thought parts, structured output, and `data: {...}\r\n\r\n` streams without `[DONE]`.
//! Embeddings: `:embedContent` and `:batchEmbedContents` (see [`embed`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::common::{Ctx, content_text, prepare, random_id, signature};
use crate::state::Shared;
use crate::{schema, sse, tokens};

const STREAM_ERROR: &str = "data: {\"error\": {\"code\": 503, \"message\": \"The model is overloaded. Please try again later.\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n";
const MALFORMED: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \r\n\r\n";

fn status_name(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        500 => "INTERNAL",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

/// `{"error":{code,message,status,details}}` (error_*.json); `details` only when given.
fn error(
    code: u16,
    message: &str,
    details: Option<Value>,
    retry_after: Option<u64>,
) -> HttpResponse {
    let mut error = json!({"code": code, "message": message, "status": status_name(code)});
    if let Some(details) = details {
        error["details"] = details;
    }
    let mut b = HttpResponse::build(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    b.content_type("application/json; charset=UTF-8")
        .insert_header(("vary", "Origin, X-Origin, Referer"));
    if let Some(secs) = retry_after {
        b.insert_header(("retry-after", secs.to_string()));
    }
    b.json(json!({ "error": error }))
}

fn not_found(model: &str, version: &str) -> HttpResponse {
    not_found_for(model, version, "generateContent")
}

fn not_found_for(model: &str, version: &str, method: &str) -> HttpResponse {
    let message = format!(
        "models/{model} is not found for API version {version}, or is not supported for {method}. Call ListModels to see the list of available models and their supported methods."
    );
    let details = json!([
        {"@type": "type.googleapis.com/google.rpc.DebugInfo",
         "detail": format!("[ORIGINAL ERROR] generic::not_found: {message} [google.rpc.error_details_ext] {{ message: {} }}", Value::from(message.as_str()))},
        {"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": message},
    ]);
    error(404, &message, Some(details), None)
}

fn injected(code: u16, model: &str, version: &str, ctx: &Ctx) -> HttpResponse {
    let retry = ctx.retry_after(code);
    match code {
        404 => not_found(model, version),
        429 => error(
            429,
            "Resource has been exhausted (e.g. check quota).",
            Some(
                json!([{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{}s", retry.unwrap_or(1))}]),
            ),
            retry,
        ),
        _ => {
            let message = match code {
                400 => "Request contains an invalid argument.",
                403 => "The caller does not have permission",
                500 => {
                    "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
                }
                503 => "The model is overloaded. Please try again later.",
                504 => "Deadline expired before operation could complete.",
                _ => "Emulated error.",
            };
            error(code, message, None, retry)
        }
    }
}

fn auth(req: &HttpRequest, ctx: &Ctx) -> Result<(), HttpResponse> {
    let header = req
        .headers()
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("key").cloned());
    let Some(key) = header.or(query).filter(|k| !k.is_empty()) else {
        return Err(error(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            None,
            None,
        ));
    };
    match &ctx.shared.config.api_key {
        Some(expected) if *expected != key => {
            let message = "API key not valid. Please pass a valid API key.";
            let details = json!([
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                 "metadata": {"service": "generativelanguage.googleapis.com"}},
                {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message},
                {"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": format!("Invalid API key: {key}")},
            ]);
            Err(error(400, message, Some(details), None))
        }
        _ => Ok(()),
    }
}

/// What one request produced.
struct Generation {
    thought: Option<String>,
    include_thoughts: bool,
    parts: Vec<Value>,
    finish: &'static str,
    prompt: usize,
    candidates: usize,
}

impl Generation {
    fn thoughts(&self) -> usize {
        self.thought.as_deref().map_or(0, tokens::count)
    }

    /// usageMetadata; `done` adds the candidates counts (absent on earlier chunks, as recorded).
    fn usage(&self, thoughts_so_far: usize, done: bool) -> Value {
        let mut u = json!({
            "promptTokenCount": self.prompt,
            "totalTokenCount": self.prompt + thoughts_so_far + if done { self.candidates } else { 0 },
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt}],
        });
        if done {
            u["candidatesTokenCount"] = json!(self.candidates);
            u["candidatesTokensDetails"] =
                json!([{"modality": "TEXT", "tokenCount": self.candidates}]);
        }
        if self.thought.is_some() {
            u["thoughtsTokenCount"] = json!(thoughts_so_far);
        }
        u
    }
}

fn generate(ctx: &Ctx) -> Generation {
    let body = &ctx.body;
    let contents = body
        .get("contents")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let text_of = |c: &Value| content_text(c.get("parts").unwrap_or(&Value::Null));
    let last_user = contents
        .iter()
        .rev()
        .find(|c| {
            c.get("role")
                .and_then(Value::as_str)
                .is_none_or(|r| r == "user")
        })
        .map(text_of)
        .unwrap_or_default();
    let system = body
        .get("systemInstruction")
        .map(text_of)
        .unwrap_or_default();
    let tools = body
        .get("tools")
        .map_or(0, |t| tokens::count(&t.to_string()));
    let prompt = (tokens::count_conversation(&json!([
        body.get("systemInstruction"),
        body.get("contents")
    ])) + tools)
        .max(1);

    let thinking_config = body.pointer("/generationConfig/thinkingConfig");
    let include_thoughts = thinking_config
        .and_then(|t| t.get("includeThoughts"))
        .and_then(Value::as_bool)
        == Some(true);
    let budget = thinking_config
        .and_then(|t| t.get("thinkingBudget"))
        .and_then(Value::as_i64);
    let thinking = include_thoughts || (thinking_config.is_some() && budget != Some(0));
    let thought = thinking.then(|| {
        format!(
            "Thinking about: {}",
            crate::knobs::strip_directive(&last_user).trim()
        )
    });

    let declarations: Vec<&Value> = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("functionDeclarations").and_then(Value::as_array))
        .flatten()
        .collect();
    let calling = body.pointer("/toolConfig/functionCallingConfig");
    let mode = calling
        .and_then(|c| c.get("mode"))
        .and_then(Value::as_str)
        .unwrap_or("AUTO");
    let after_response = contents
        .last()
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
        .is_some_and(|parts| parts.iter().any(|p| p.get("functionResponse").is_some()));
    let max = body
        .pointer("/generationConfig/maxOutputTokens")
        .and_then(Value::as_u64)
        .map(|m| m as usize);

    if !declarations.is_empty() && mode != "NONE" && (mode == "ANY" || !after_response) {
        let wanted = calling
            .and_then(|c| c.pointer("/allowedFunctionNames/0"))
            .and_then(Value::as_str);
        let decl = wanted
            .and_then(|w| {
                declarations
                    .iter()
                    .find(|d| d.get("name").and_then(Value::as_str) == Some(w))
            })
            .unwrap_or(&declarations[0]);
        let name = decl.get("name").and_then(Value::as_str).unwrap_or("tool");
        let args = decl
            .get("parameters")
            .or_else(|| decl.get("parametersJsonSchema"))
            .map_or_else(|| json!({}), schema::example);
        let mut part = json!({"functionCall": {"name": name, "args": args}});
        if let Some(t) = &thought {
            part["thoughtSignature"] = json!(signature(t));
        }
        return Generation {
            candidates: tokens::count(&args.to_string()),
            thought,
            include_thoughts,
            parts: vec![part],
            finish: "STOP",
            prompt,
        };
    }
    let json_mode = body
        .pointer("/generationConfig/responseMimeType")
        .and_then(Value::as_str)
        == Some("application/json");
    let response_schema = body
        .pointer("/generationConfig/responseJsonSchema")
        .or_else(|| body.pointer("/generationConfig/responseSchema"));
    let text = match (json_mode, response_schema, &ctx.knobs.reply) {
        (true, Some(s), None) => schema::example(s).to_string(),
        (true, None, None) => json!({"reply": ctx.reply_text(&system, &last_user)}).to_string(),
        _ => ctx.reply_text(&system, &last_user),
    };
    let (cut, truncated) = tokens::truncate(&text, max);
    Generation {
        candidates: tokens::count(cut),
        thought,
        include_thoughts,
        parts: ctx
            .chunk(cut)
            .into_iter()
            .map(|t| json!({"text": t}))
            .collect(),
        finish: if truncated { "MAX_TOKENS" } else { "STOP" },
        prompt,
    }
}

fn response(
    parts: Vec<Value>,
    finish: Option<&str>,
    usage: Value,
    model: &str,
    response_id: &str,
) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    if let Some(finish) = finish {
        candidate["finishReason"] = json!(finish);
    }
    json!({"candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": response_id})
}

/// The stream's chunks: thought parts (when requested), then one chunk per text piece (or the
/// function call); usageMetadata on each, finishReason only on the last.
fn chunks(g: &Generation, model: &str, response_id: &str, ctx: &Ctx) -> Vec<Value> {
    let mut out = Vec::new();
    let mut thoughts_so_far = 0;
    if let (Some(thought), true) = (&g.thought, g.include_thoughts) {
        for piece in ctx.chunk(thought) {
            thoughts_so_far += tokens::count(&piece);
            out.push(response(
                vec![json!({"text": piece, "thought": true})],
                None,
                g.usage(thoughts_so_far, false),
                model,
                response_id,
            ));
        }
    }
    let parts = if g.parts.is_empty() {
        vec![json!({"text": ""})]
    } else {
        g.parts.clone()
    };
    let last = parts.len() - 1;
    for (i, part) in parts.into_iter().enumerate() {
        let done = i == last;
        // Thinking is over once text flows, so the thought count is final from here on.
        let usage = g.usage(g.thoughts(), done);
        out.push(response(
            vec![part],
            done.then_some(g.finish),
            usage,
            model,
            response_id,
        ));
    }
    out
}

pub async fn call(
    req: HttpRequest,
    path: web::Path<String>,
    raw: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let ctx = match prepare("gemini", &req, &raw, &shared).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    let version = if req.path().starts_with("/v1beta/") {
        "v1beta"
    } else {
        "v1"
    };
    let (model, method) = path.rsplit_once(':').unwrap_or((path.as_str(), ""));
    if let Err(response) = auth(&req, &ctx) {
        return response;
    }
    if !matches!(
        method,
        "generateContent"
            | "streamGenerateContent"
            | "countTokens"
            | "embedContent"
            | "batchEmbedContents"
    ) {
        return error(404, &format!("Method not found: {method}"), None, None);
    }
    if let Some(code) = ctx.injected_status() {
        return injected(code, model, version, &ctx);
    }
    if ctx.unknown_model(model) {
        return not_found_for(model, version, method);
    }
    if matches!(method, "embedContent" | "batchEmbedContents") {
        return embed(&ctx, model, version, method);
    }
    if ctx
        .body
        .get("contents")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return error(
            400,
            "* GenerateContentRequest.contents: contents is not specified\n",
            None,
            None,
        );
    }
    if method == "countTokens" {
        let n = tokens::count_conversation(&json!([
            ctx.body.get("systemInstruction"),
            ctx.body.get("contents")
        ]))
        .max(1);
        return HttpResponse::Ok().json(json!({"totalTokens": n, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": n}]}));
    }
    let g = generate(&ctx);
    let response_id = random_id(23);
    if method == "streamGenerateContent" {
        let chunks = chunks(&g, model, &response_id, &ctx);
        let sse = req.query_string().split('&').any(|kv| kv == "alt=sse");
        if !sse {
            // Without alt=sse the API answers one JSON array of the same chunks.
            return HttpResponse::Ok()
                .content_type("application/json; charset=UTF-8")
                .json(chunks);
        }
        let plan = sse::Plan {
            frames: chunks
                .iter()
                .map(|c| Bytes::from(format!("data: {c}\r\n\r\n")))
                .collect(),
            first_output: 0,
            malformed: Bytes::from_static(MALFORMED.as_bytes()),
            error: Bytes::from_static(STREAM_ERROR.as_bytes()),
        };
        let mut builder = HttpResponse::Ok();
        builder.insert_header(("vary", "Origin, X-Origin, Referer"));
        return sse::respond(plan, &ctx.knobs, ctx.shared.clone(), builder);
    }
    if ctx.knobs.ttft_ms > 0 {
        tokio::time::sleep(ctx.knobs.ttft()).await;
    }
    let mut parts = Vec::new();
    if let (Some(thought), true) = (&g.thought, g.include_thoughts) {
        parts.push(json!({"text": thought, "thought": true}));
    }
    // A unary response carries the text whole, not in stream pieces.
    let text: String = g
        .parts
        .iter()
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect();
    if g.parts.iter().any(|p| p.get("functionCall").is_some()) {
        parts.extend(g.parts.iter().cloned());
    } else {
        parts.push(json!({"text": text}));
    }
    HttpResponse::Ok()
        .content_type("application/json; charset=UTF-8")
        .insert_header(("vary", "Origin, X-Origin, Referer"))
        .json(response(
            parts,
            Some(g.finish),
            g.usage(g.thoughts(), true),
            model,
            &response_id,
        ))
}

/// `embedContent` (`{"content":{"parts":[{"text"}]},"outputDimensionality"?}` ->
/// `{"embedding":{"values":[...]}}`) and `batchEmbedContents` (`{"requests":[{"model":
/// "models/{model}",...}]}` -> `{"embeddings":[{"values"}]}`, in request order). Only embedding
/// models (ids containing `embedding`) embed; vectors are deterministic per text, 3072
/// dimensions unless `outputDimensionality` asks fewer. The answers carry no token counts, as
/// Google's do not.
fn embed(ctx: &Ctx, model: &str, version: &str, method: &str) -> HttpResponse {
    if !model.contains("embedding") {
        return not_found_for(model, version, method);
    }
    let one = |r: &Value, at: &str| -> Result<Value, HttpResponse> {
        let text = r
            .pointer("/content/parts")
            .and_then(Value::as_array)
            .filter(|p| !p.is_empty())
            .map(|_| content_text(&r["content"]["parts"]))
            .ok_or_else(|| {
                error(
                    400,
                    &format!("* {at}.content: content is not specified\n"),
                    None,
                    None,
                )
            })?;
        let dims = match r.get("outputDimensionality").and_then(Value::as_u64) {
            Some(d @ 1..=3072) => d as usize,
            Some(d) => {
                return Err(error(
                    400,
                    &format!("* {at}.output_dimensionality: {d} is outside [1, 3072]\n"),
                    None,
                    None,
                ));
            }
            None => 3072,
        };
        Ok(json!({"values": crate::openai::embedding_vector(&text, dims)}))
    };
    let answer = if method == "embedContent" {
        one(&ctx.body, "EmbedContentRequest").map(|e| json!({ "embedding": e }))
    } else {
        let Some(requests) = ctx
            .body
            .get("requests")
            .and_then(Value::as_array)
            .filter(|r| !r.is_empty())
        else {
            return error(
                400,
                "* BatchEmbedContentsRequest.requests: requests is not specified\n",
                None,
                None,
            );
        };
        let expected = format!("models/{model}");
        requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let at = format!("BatchEmbedContentsRequest.requests[{i}]");
                if r.get("model").and_then(Value::as_str) != Some(expected.as_str()) {
                    return Err(error(
                        400,
                        &format!("* {at}.model: must be {expected}, the model of the URL\n"),
                        None,
                        None,
                    ));
                }
                one(r, &at)
            })
            .collect::<Result<Vec<Value>, HttpResponse>>()
            .map(|es| json!({ "embeddings": es }))
    };
    match answer {
        Ok(body) => HttpResponse::Ok()
            .content_type("application/json; charset=UTF-8")
            .insert_header(("vary", "Origin, X-Origin, Referer"))
            .json(body),
        Err(response) => response,
    }
}
