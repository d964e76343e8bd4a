//! OpenAI: auth, the error body `{"error":{message,type,param,code}}` (all four keys always
//! present, as in fixtures/openai/errors.json) and the response headers shared by every route.

mod chat;
mod legacy;

pub use chat::chat;
pub(crate) use legacy::embedding_vector;
pub use legacy::{completions, embeddings, models};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde_json::{Value, json};

use crate::common::{Ctx, random_id};

/// `x-request-id`, `openai-*` and the `x-ratelimit-*` family, as the live API sends them.
pub fn builder(status: u16) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    b.insert_header(("x-request-id", format!("req_{}", random_id(32))))
        .insert_header(("openai-organization", "emulator-org"))
        .insert_header(("openai-processing-ms", "1"))
        .insert_header(("openai-version", "2020-10-01"))
        .insert_header(("x-ratelimit-limit-requests", "10000"))
        .insert_header(("x-ratelimit-limit-tokens", "30000000"))
        .insert_header(("x-ratelimit-remaining-requests", "9999"))
        .insert_header(("x-ratelimit-remaining-tokens", "29999000"))
        .insert_header(("x-ratelimit-reset-requests", "6ms"))
        .insert_header(("x-ratelimit-reset-tokens", "0s"));
    b
}

/// An error response in OpenAI's exact shape.
pub fn error(
    status: u16,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> HttpResponse {
    builder(status).json(json!({
        "error": { "message": message, "type": kind, "param": param, "code": code }
    }))
}

/// The body OpenAI gives for `status`, used by the `status`/`fail-first` knobs.
pub fn injected(status: u16, model: &str, ctx: &Ctx) -> HttpResponse {
    let (message, kind, param, code): (String, &str, Option<&str>, Option<&str>) = match status {
        400 => (
            "Invalid value for 'temperature': expected a number between 0 and 2.".into(),
            "invalid_request_error",
            Some("temperature"),
            Some("invalid_value"),
        ),
        401 => (
            invalid_key_message("sk-emulator-injected"),
            "invalid_request_error",
            None,
            Some("invalid_api_key"),
        ),
        403 => (
            "Country, region, or territory not supported".into(),
            "request_forbidden",
            None,
            Some("unsupported_country_region_territory"),
        ),
        404 => (
            model_not_found(model),
            "invalid_request_error",
            None,
            Some("model_not_found"),
        ),
        429 => (
            format!(
                "Rate limit reached for {model} in organization org-emulator on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more."
            ),
            "requests",
            None,
            Some("rate_limit_exceeded"),
        ),
        503 => (
            "The engine is currently overloaded, please try again later".into(),
            "server_error",
            None,
            None,
        ),
        s if s >= 500 => (
            "The server had an error while processing your request. Sorry about that!".into(),
            "server_error",
            None,
            None,
        ),
        _ => (
            "Emulated request error.".into(),
            "invalid_request_error",
            None,
            None,
        ),
    };
    let mut b = builder(status);
    if let Some(secs) = ctx.retry_after(status) {
        b.insert_header(("retry-after", secs.to_string()));
    }
    b.json(json!({ "error": { "message": message, "type": kind, "param": param, "code": code } }))
}

pub fn model_not_found(model: &str) -> String {
    format!("The model `{model}` does not exist or you do not have access to it.")
}

fn invalid_key_message(key: &str) -> String {
    let masked = if key.len() > 10 {
        format!(
            "{}{}{}",
            &key[..6],
            "*".repeat(key.len() - 9),
            &key[key.len() - 3..]
        )
    } else {
        "*".repeat(key.len())
    };
    format!(
        "Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com/account/api-keys."
    )
}

/// Checks `Authorization: Bearer <key>`; the 401 bodies are the live API's.
pub fn auth(req: &HttpRequest, ctx: &Ctx) -> Result<(), HttpResponse> {
    let presented = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(key) = presented else {
        return Err(error(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            None,
            None,
        ));
    };
    match &ctx.shared.config.api_key {
        Some(expected) if expected != key => Err(error(
            401,
            &invalid_key_message(key),
            "invalid_request_error",
            None,
            Some("invalid_api_key"),
        )),
        _ => Ok(()),
    }
}

/// The common preamble: auth, injected failures, a JSON object body with a model.
/// Returns the model id.
pub fn check(req: &HttpRequest, ctx: &Ctx) -> Result<String, HttpResponse> {
    auth(req, ctx)?;
    let model = ctx
        .body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if let Some(status) = ctx.injected_status() {
        return Err(injected(status, &model, ctx));
    }
    if !ctx.body.is_object() {
        return Err(error(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
            "invalid_request_error",
            None,
            None,
        ));
    }
    if model.is_empty() {
        return Err(error(
            400,
            "you must provide a model parameter",
            "invalid_request_error",
            None,
            None,
        ));
    }
    if ctx.unknown_model(&model) {
        return Err(error(
            404,
            &model_not_found(&model),
            "invalid_request_error",
            None,
            Some("model_not_found"),
        ));
    }
    Ok(model)
}

/// The `usage` object of chat completions, with `cached` of the prompt tokens read from the
/// prompt cache.
pub fn usage_cached(prompt: usize, completion: usize, cached: usize) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": { "cached_tokens": cached.min(prompt), "audio_tokens": 0 },
        "completion_tokens_details": {
            "reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0
        }
    })
}

/// The in-band stream error (fixtures/openai/errors.json `mid_stream_error`).
pub const STREAM_ERROR: &str = "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
/// An event no JSON parser accepts.
pub const MALFORMED: &str = "data: {\"id\":\"chatcmpl-malformed\",\"choices\":[{\"delta\":\n\n";
/// The stream terminator.
pub const DONE: &str = "data: [DONE]\n\n";
