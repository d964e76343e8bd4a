//! The one mapping from errors to HTTP. Every error leaves as
//! `{"error":{"code":<status>,"message":"...","metadata":{...}}}` (OpenRouter's shape).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::accounts::AccountError;
use crate::accounts::key_cache::KeyAuthError;
use crate::billing::budgets::BudgetError;
use crate::billing::grants::GrantError;
use crate::billing::ledger::LedgerError;
use crate::billing::stripe::PurchaseError;
use crate::gateway::failure::Failure;
use crate::gateway::routing::{NoRoute, RouteError};
use crate::inference::InferenceError;
use crate::limits::RateLimited;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Not enough credit (OpenRouter answers 402).
    #[error("{0}")]
    PaymentRequired(String),
    #[error("{message}")]
    MethodNotAllowed { message: String, allow: Vec<String> },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    Unavailable(String),
    /// An inference rate limit refused the request: 429 with `Retry-After` and `X-RateLimit-*`.
    #[error("{}", .0.message())]
    RateLimited(Box<RateLimited>),
    /// An error with a chosen status and metadata (provider errors, routing failures).
    #[error("{message}")]
    Detailed {
        status: StatusCode,
        message: String,
        metadata: Value,
        retry_after_secs: Option<u64>,
    },
    /// Details are logged, never sent: they may hold internals.
    #[error("Internal server error")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        ApiError::Internal(err.to_string())
    }

    fn metadata(&self) -> Option<Value> {
        match self {
            ApiError::MethodNotAllowed { allow, .. } => Some(json!({ "allowed_methods": allow })),
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => Some(json!({ "retry_after_seconds": retry_after_secs })),
            ApiError::Detailed { metadata, .. } => Some(metadata.clone()),
            ApiError::RateLimited(limited) => Some(limited.metadata()),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } | ApiError::RateLimited(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Detailed { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let ApiError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
        let mut builder = HttpResponse::build(status);
        match self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                builder.insert_header((header::ALLOW, allow.join(", ")));
            }
            ApiError::RateLimited(limited) => {
                builder
                    .insert_header((header::RETRY_AFTER, limited.retry_after_secs().to_string()));
                for h in super::rate_limits::headers(&limited.standing) {
                    builder.insert_header(h);
                }
            }
            ApiError::Detailed {
                retry_after_secs: Some(secs),
                ..
            } => {
                builder.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            _ => {}
        }
        builder.json(error_body(status, &self.to_string(), self.metadata()))
    }
}

/// The ingress protocols that answer errors in their own envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OpenAI Responses: `{"error":{"message","type","param","code"}}`.
    Responses,
    /// Anthropic Messages: `{"type":"error","error":{"type","message"}}`.
    Messages,
}

/// An [`ApiError`] answered in an ingress protocol's envelope: same status and headers
/// (`Retry-After`, rate limits), the body in the protocol's shape.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct IngressError {
    pub protocol: Protocol,
    pub error: ApiError,
}

impl Protocol {
    /// Wraps errors of this protocol's handlers: `.map_err(protocol.error())`.
    pub fn error(self) -> impl Fn(ApiError) -> IngressError {
        move |error| IngressError {
            protocol: self,
            error,
        }
    }
}

impl From<crate::ingress::InvalidRequest> for ApiError {
    fn from(err: crate::ingress::InvalidRequest) -> Self {
        ApiError::BadRequest(err.0)
    }
}

impl ResponseError for IngressError {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let metadata = self.error.metadata();
        let message = self.error.to_string();
        let body = match self.protocol {
            Protocol::Responses => {
                crate::ingress::responses::error::body(status.as_u16(), &message, metadata.as_ref())
            }
            Protocol::Messages => {
                crate::ingress::messages::error::body(status.as_u16(), &message, metadata.as_ref())
            }
        };
        // The OpenRouter-shaped answer carries the headers; only its body is replaced.
        let (response, _) = self.error.error_response().into_parts();
        response.set_body(actix_web::body::BoxBody::new(body.to_string()))
    }
}

pub fn error_body(status: StatusCode, message: &str, metadata: Option<Value>) -> Value {
    let mut error = json!({ "code": status.as_u16(), "message": message });
    if let Some(metadata) = metadata {
        error["metadata"] = metadata;
    }
    json!({ "error": error })
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::InvalidCredentials | AccountError::SessionInvalid => {
                ApiError::Unauthorized(err.to_string())
            }
            AccountError::EmailTaken | AccountError::Conflict(_) => {
                ApiError::Conflict(err.to_string())
            }
            AccountError::Invalid(message) => ApiError::BadRequest(message),
            AccountError::NotFound(_) => ApiError::NotFound(err.to_string()),
            AccountError::Forbidden(message) => ApiError::Forbidden(message),
            AccountError::Hashing(_) | AccountError::Db(_) => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Overflow(_) => ApiError::BadRequest(err.to_string()),
            LedgerError::Db(_) => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<GrantError> for ApiError {
    fn from(err: GrantError) -> Self {
        match err {
            GrantError::Invalid(message) => ApiError::BadRequest(message),
            GrantError::NoOrganization => ApiError::NotFound(err.to_string()),
            GrantError::Ledger(err) => err.into(),
            GrantError::Audit(_) => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<BudgetError> for ApiError {
    fn from(err: BudgetError) -> Self {
        match err {
            BudgetError::Invalid(message) => ApiError::BadRequest(message),
            BudgetError::NoOrganization => ApiError::NotFound(err.to_string()),
            BudgetError::Db(_) | BudgetError::Audit(_) => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<PurchaseError> for ApiError {
    fn from(err: PurchaseError) -> Self {
        match err {
            PurchaseError::NotConfigured | PurchaseError::WebhookNotConfigured => {
                ApiError::Unavailable(err.to_string())
            }
            PurchaseError::Invalid(message) => ApiError::BadRequest(message),
            PurchaseError::Signature(_) | PurchaseError::Malformed(_) => {
                ApiError::BadRequest(err.to_string())
            }
            PurchaseError::NotFound => ApiError::NotFound(err.to_string()),
            PurchaseError::NoSavedCard => ApiError::Conflict(err.to_string()),
            PurchaseError::Stripe(err) => {
                // Stripe's own message may name internals (keys, accounts): logged, not sent.
                tracing::error!(error = %err, "Stripe call failed");
                ApiError::Detailed {
                    status: StatusCode::BAD_GATEWAY,
                    message: "Stripe could not be reached or refused the request; try again".into(),
                    metadata: json!({ "provider": "stripe" }),
                    retry_after_secs: None,
                }
            }
            PurchaseError::Ledger(err) => err.into(),
        }
    }
}

impl From<KeyAuthError> for ApiError {
    fn from(err: KeyAuthError) -> Self {
        match err {
            KeyAuthError::Unknown | KeyAuthError::Disabled | KeyAuthError::Expired => {
                ApiError::Unauthorized(err.to_string())
            }
            KeyAuthError::Suspended => ApiError::Forbidden(err.to_string()),
            KeyAuthError::Db(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<NoRoute> for ApiError {
    fn from(err: NoRoute) -> Self {
        ApiError::Detailed {
            status: StatusCode::NOT_FOUND,
            message: err.message,
            metadata: err.metadata,
            retry_after_secs: None,
        }
    }
}

impl From<RouteError> for ApiError {
    fn from(err: RouteError) -> Self {
        match err {
            RouteError::Invalid(message) => ApiError::BadRequest(message),
            RouteError::NoRoute(no_route) => no_route.into(),
        }
    }
}

/// An upstream failure, as the error table reports it before a stream begins.
impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        ApiError::Detailed {
            status: StatusCode::from_u16(failure.status).unwrap_or(StatusCode::BAD_GATEWAY),
            message: failure.message,
            metadata: Value::Object(failure.metadata),
            retry_after_secs: failure.retry_after_secs,
        }
    }
}

impl From<InferenceError> for ApiError {
    fn from(err: InferenceError) -> Self {
        match err {
            InferenceError::Invalid(message) => ApiError::BadRequest(message),
            InferenceError::RateLimited(limited) => ApiError::RateLimited(limited),
            InferenceError::Route(route) => route.into(),
            InferenceError::InsufficientCredit(message) => ApiError::PaymentRequired(message),
            InferenceError::OverBudget(message) => ApiError::Forbidden(message),
            InferenceError::Unavailable(err) => {
                tracing::error!(error = %err, "credit check failed");
                ApiError::Unavailable("Credit could not be checked; try again".into())
            }
            InferenceError::RecordingBacklogged => {
                ApiError::Unavailable(InferenceError::RecordingBacklogged.to_string())
            }
            InferenceError::Upstream(failure) => (*failure).into(),
        }
    }
}

impl From<crate::usage::query::InvalidQuery> for ApiError {
    fn from(err: crate::usage::query::InvalidQuery) -> Self {
        ApiError::BadRequest(err.0)
    }
}

impl From<crate::alerts::AlertError> for ApiError {
    fn from(err: crate::alerts::AlertError) -> Self {
        use crate::alerts::AlertError;
        match err {
            AlertError::Invalid(message) => ApiError::BadRequest(message),
            AlertError::Conflict(message) => ApiError::Conflict(message),
            AlertError::TooManyTests {
                max,
                retry_after_secs,
            } => ApiError::TooManyRequests {
                message: AlertError::TooManyTests {
                    max,
                    retry_after_secs,
                }
                .to_string(),
                retry_after_secs,
            },
            AlertError::Account(err) => err.into(),
            AlertError::Db(err) => err.into(),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::Internal(err.to_string())
    }
}

/// Extractor failures (bad JSON, wrong content type, oversized body, bad path or query)
/// become 4xx errors that name the problem.
pub mod extractors {
    use actix_web::error::{PathError, QueryPayloadError};
    use actix_web::{HttpRequest, web};
    use serde::de::DeserializeOwned;

    use super::ApiError;

    pub fn path_config() -> web::PathConfig {
        web::PathConfig::default().error_handler(|err: PathError, _req: &HttpRequest| {
            ApiError::NotFound(format!("Not found: {err}")).into()
        })
    }

    pub fn query_config() -> web::QueryConfig {
        web::QueryConfig::default()
            .error_handler(|err: QueryPayloadError, _req: &HttpRequest| query_error(err).into())
    }

    fn query_error(err: QueryPayloadError) -> ApiError {
        let message = match err {
            QueryPayloadError::Deserialize(e) => format!("Invalid query string: {e}"),
            other => format!("Invalid query string: {other}"),
        };
        ApiError::BadRequest(message)
    }

    /// The query string as `T`, read inside a handler: extractors run concurrently, so a
    /// handler that must judge the caller first (403 before 400) takes its query this way
    /// after its credential extractor has succeeded.
    pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
        web::Query::<T>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .map_err(query_error)
    }
}
