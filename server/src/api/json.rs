//! The JSON body extractor. Unlike actix's own, its errors name the offending field
//! (`limit: invalid type: string "ten", expected f64`), via serde_path_to_error.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON request body of type `T`.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parses a JSON document, naming the field at fault on error.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // The plain parser is the hot path; tracking the path costs an allocation per key, so it
    // runs only to explain a failure.
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        Err(_) => parse_explained(body),
    }
}

fn parse_explained<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let kind = if inner.is_syntax() || inner.is_eof() {
            "Malformed JSON"
        } else {
            "Invalid request body"
        };
        if path == "." || path.is_empty() {
            ApiError::BadRequest(format!("{kind}: {inner}"))
        } else {
            ApiError::BadRequest(format!("{kind}: {path}: {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::BadRequest(format!("Malformed JSON: {e}")))?;
    Ok(value)
}

/// An optional JSON body: empty or `null` means `T::default()` (the document declares such
/// bodies nullable).
pub fn parse_optional<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse::<Option<T>>(body).map(Option::unwrap_or_default)
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Reads the whole body within the configured limit (`web::PayloadConfig`).
pub(crate) async fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<web::Bytes, ApiError> {
    web::Bytes::from_request(req, payload).await.map_err(|err| {
        let status = err.as_response_error().status_code();
        if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
            let limit = req
                .app_data::<web::PayloadConfig>()
                .map(|_| "the configured limit (MAX_BODY_BYTES)")
                .unwrap_or("the limit");
            ApiError::PayloadTooLarge(format!("Request body exceeds {limit}"))
        } else {
            ApiError::BadRequest(format!("Unreadable request body: {err}"))
        }
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move { Ok(Json(read_json(&req, &mut payload).await?)) })
    }
}

async fn read_json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<T, ApiError> {
    if !is_json(req) {
        return Err(ApiError::UnsupportedMediaType(
            "Content-Type must be application/json".into(),
        ));
    }
    let body = read_body(req, payload).await?;
    parse(&body)
}

/// The JSON body as `T`, read inside a handler (as [`Json`] would read it): extractors run
/// concurrently, so a handler that must judge the caller first (403 before 400, 413 or 415)
/// takes its body this way after its credential extractor has succeeded.
pub async fn body<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    read_json(req, &mut payload.into_inner()).await
}
