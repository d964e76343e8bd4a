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

/// Parses a JSON document, naming the field at fault on error. Every body this API takes is
/// an object: serde would also read a struct from an array (`[null]` as a one-field struct),
/// which no client means, so anything else is refused.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if !starts_as_object(body) {
        return Err(not_an_object(body));
    }
    // The plain parser is the hot path; tracking the path costs an allocation per key, so it
    // runs only to explain a failure.
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        Err(_) => parse_explained(body),
    }
}

/// Whether the first byte past JSON's white space opens an object (an empty body passes, for
/// the parser to call it malformed).
fn starts_as_object(body: &[u8]) -> bool {
    matches!(
        body.iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')),
        None | Some(b'{')
    )
}

/// The error for a body that does not open an object: malformed if it is not JSON at all.
fn not_an_object(body: &[u8]) -> ApiError {
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Ok(_) => {
            ApiError::BadRequest("Invalid request body: the body must be a JSON object".into())
        }
        Err(err) => ApiError::BadRequest(format!("Malformed JSON: {err}")),
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
/// bodies nullable); anything else must be an object.
pub fn parse_optional<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    match body.trim_ascii() {
        b"" | b"null" => Ok(T::default()),
        _ => parse(body),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Default, Debug, PartialEq)]
    struct Suspend {
        reason: Option<String>,
    }

    fn message(err: ApiError) -> String {
        match err {
            ApiError::BadRequest(message) => message,
            other => panic!("expected 400, got {other:?}"),
        }
    }

    #[test]
    fn an_object_parses() {
        let parsed: Suspend = parse(b" \n{\"reason\":\"spam\"}").unwrap();
        assert_eq!(parsed.reason.as_deref(), Some("spam"));
    }

    #[test]
    fn arrays_and_scalars_are_not_bodies() {
        for body in [
            &b"[null]"[..],
            b"[\"spam\"]",
            b"  []",
            b"\"x\"",
            b"1",
            b"true",
            b"null",
        ] {
            let err = parse::<Suspend>(body).unwrap_err();
            assert_eq!(
                message(err),
                "Invalid request body: the body must be a JSON object",
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn what_is_not_json_stays_malformed() {
        for body in [&b""[..], b"   ", b"nul", b"[1,", b"xyz", b"{"] {
            let err = parse::<Suspend>(body).unwrap_err();
            assert!(message(err).starts_with("Malformed JSON"), "{body:?}");
        }
    }

    /// Bounds are judged on the number as written: it is read correctly rounded (the default
    /// fast path read this one as 1e9, so a budget above the 1e9 maximum passed).
    #[test]
    fn numbers_are_read_correctly_rounded() {
        #[derive(serde::Deserialize)]
        struct Amount {
            usd: f64,
        }
        let parsed: Amount = parse(b"{\"usd\": 1000000000.0000001}").unwrap();
        assert!(parsed.usd > 1e9, "{}", parsed.usd);
        assert!(crate::billing::budgets::parse_cap("weekly", Some(parsed.usd)).is_err());
    }

    #[test]
    fn optional_bodies_take_nothing_null_or_an_object() {
        for body in [&b""[..], b" ", b"null", b" null \n"] {
            assert_eq!(parse_optional::<Suspend>(body).unwrap(), Suspend::default());
        }
        let parsed: Suspend = parse_optional(b"{\"reason\":\"x\"}").unwrap();
        assert_eq!(parsed.reason.as_deref(), Some("x"));
        for body in [&b"[null]"[..], b"[]", b"0"] {
            assert!(parse_optional::<Suspend>(body).is_err(), "{body:?}");
        }
    }
}
